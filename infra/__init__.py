"""Shared helpers below the domain apps (they import no app): set-based SQL for batch paths
(``bulk``), WeasyPrint with a static-files-only fetcher (``pdf``), the Admin and Bookkeeper
roles and their view decorators (``roles``), CSP hashes for e-mails shown in frames (``csp``),
the client's address behind a proxy (``security``) and which providers are configured
(``integrations``). ``config/`` only wires: settings, URLs, Celery, WSGI."""
