"""Shared helpers below the domain apps (they import no app): set-based SQL for batch paths
(``bulk``), WeasyPrint with a static-files-only fetcher (``pdf``), the Admin and Bookkeeper
roles and their view decorators (``roles``), CSP hashes for e-mails shown in frames (``csp``),
the client's address behind a proxy (``security``), which providers are configured
(``integrations``), the text policy's middleware and validators (``text``), download headers
(``downloads``), attachment checks (``uploads``), the request-size limit and private caching
(``http``), the superusers-only admin site (``admin_site``) and the per-address login lockout
(``lockout``). ``config/`` only wires: settings, URLs, Celery, WSGI, system checks."""
