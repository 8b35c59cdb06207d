"""The permission matrix: every URL of the project by anonymous / no role / bookkeeper / admin.

Every named URL must have a decision in ``MATRIX``; a URL added without one fails
``test_every_url_has_a_decision``, so no page can be published by accident. Pages are fetched
with GET (and POST-only views with POST), arguments filled with an id that does not exist, so a
permitted request answers 200, 302 (elsewhere than the login), 400, 404 or 405 — never the
login redirect or 403 — and a refused one answers exactly those.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC, BOOKKEEPER, ADMIN, DJANGO_ADMIN = "public", "bookkeeper", "admin", "django-admin"
API = "api"  # the REST API: bookkeepers only, refused with 401/403 (never a login redirect)

MATRIX: dict[str, str] = {
    "home": PUBLIC,  # a redirect to the dashboard, which then asks to log in
    "login": PUBLIC,
    "healthz": PUBLIC,  # for load balancers: says what holds, nothing secret
    "favicon": PUBLIC,
    "logout": PUBLIC,
    # The bookkeeper's pages
    "desk:dashboard": BOOKKEEPER,
    "desk:attention": BOOKKEEPER,
    "desk:worklist": BOOKKEEPER,
    "desk:worklist-bulk": BOOKKEEPER,
    "desk:worklist-csv": BOOKKEEPER,
    "desk:client": BOOKKEEPER,
    "desk:client-payment": BOOKKEEPER,
    "desk:client-note": BOOKKEEPER,
    "desk:client-call": BOOKKEEPER,
    "desk:client-pause": BOOKKEEPER,
    "desk:invoice-pause": BOOKKEEPER,
    "desk:invoice-send-now": BOOKKEEPER,
    "desk:reply-attachment": BOOKKEEPER,
    "api:invoice-void": API,
    "api:invoice-credit-note": API,
    "desk:invoice-skip": BOOKKEEPER,
    "receivables:open-invoices": BOOKKEEPER,
    "receivables:invoice-pdf": BOOKKEEPER,
    "receivables:statement-pdf": BOOKKEEPER,
    "reminders:tasks": BOOKKEEPER,
    "people:settings": BOOKKEEPER,
    "configure:template-frame": ADMIN,
    "help": BOOKKEEPER,
    "reminders:outbox": BOOKKEEPER,
    "reminders:outbox-review": BOOKKEEPER,
    "reminders:sent-messages": BOOKKEEPER,
    "reminders:sent-message": BOOKKEEPER,
    "reminders:sent-message-html": BOOKKEEPER,
    "reminders:task": BOOKKEEPER,
    "reminders:task-done": BOOKKEEPER,
    "reminders:plan-decide": BOOKKEEPER,
    "reminders:dispute-attachment": BOOKKEEPER,
    "reminders:dispute-resolve": BOOKKEEPER,
    "reminders:flag-clear": BOOKKEEPER,
    "reminders:print-queue": BOOKKEEPER,
    "reminders:print-batch-create": BOOKKEEPER,
    "reminders:print-batch-pdf": BOOKKEEPER,
    "reminders:print-batch-posted": BOOKKEEPER,
    "reminders:letter-pdf": BOOKKEEPER,
    "insights:analytics": BOOKKEEPER,
    "transfer:index": BOOKKEEPER,
    "transfer:job": BOOKKEEPER,
    "transfer:job-start": BOOKKEEPER,
    "transfer:job-progress": BOOKKEEPER,
    "transfer:template": BOOKKEEPER,
    "transfer:export-invoices": BOOKKEEPER,
    "transfer:export-payments": BOOKKEEPER,
    "transfer:export-aging": BOOKKEEPER,
    "transfer:export-timeline": BOOKKEEPER,
    "escalation:collections": BOOKKEEPER,
    "escalation:package-pdf": BOOKKEEPER,
    "escalation:package-zip": BOOKKEEPER,
    "escalation:demand": BOOKKEEPER,
    # Configuration
    "configure:home": ADMIN,
    "configure:cadences": ADMIN,
    "configure:cadence": ADMIN,
    "configure:cadence-settings": ADMIN,
    "configure:step-add": ADMIN,
    "configure:step-edit": ADMIN,
    "configure:step-move": ADMIN,
    "configure:step-remove": ADMIN,
    "configure:templates": ADMIN,
    "configure:template-new": ADMIN,
    "configure:template": ADMIN,
    "configure:terms": ADMIN,
    "configure:terms-new": ADMIN,
    "configure:terms-edit": ADMIN,
    "configure:business": ADMIN,
    "configure:bank-account-new": ADMIN,
    "configure:bank-account": ADMIN,
    "configure:bank-account-active": ADMIN,
    # The client's pay-now pages (their token is the credential) and provider webhooks
    # (signature-checked)
    "portal:page": PUBLIC,
    "portal:pay": PUBLIC,
    "portal:promise": PUBLIC,
    "portal:plan": PUBLIC,
    "portal:dispute": PUBLIC,
    "portal:callback": PUBLIC,
    "portal:preferences": PUBLIC,
    "portal:statement": PUBLIC,
    "portal:invoice": PUBLIC,
    "checkout:stripe-webhook": PUBLIC,
    "twilio-status": PUBLIC,
    "twilio-inbound": PUBLIC,
    # The REST API (tokens or a session) and its pages for people
    "api:client-list": API,
    "api:client-detail": API,
    "api:client-pause": API,
    "api:client-resume": API,
    "api:invoice-list": API,
    "api:invoice-detail": API,
    "api:invoice-pause": API,
    "api:invoice-resume": API,
    "api:payment-list": API,
    "api:payment-detail": API,
    "api:payment-sync": API,
    "api:interaction-list": API,
    "api:interaction-detail": API,
    "api:reminder-forecast": API,
    "api:schema": API,
    "api:docs": BOOKKEEPER,
    "api:token": BOOKKEEPER,
}
# Patterns without a name, or from Django's admin and anymail, decided wholesale.
NAMESPACE_DECISIONS = {"admin": DJANGO_ADMIN, "anymail": PUBLIC}


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            inner = f"{namespace}:{ns}" if namespace and ns else ns or namespace
            found += _walk(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            found.append((name, prefix + str(entry.pattern)))
    return found


def all_urls() -> list[tuple[str, str]]:
    return _walk(get_resolver().url_patterns)


def _decision(name: str, route: str) -> str | None:
    top = name.split(":", 1)[0] if ":" in name else ""
    if top in NAMESPACE_DECISIONS:
        return NAMESPACE_DECISIONS[top]
    if not name:
        if route.startswith(("admin/", "anymail/")):
            return NAMESPACE_DECISIONS[route.split("/", 1)[0]]
        if route.startswith("p/"):  # the portal's catch-all: the neutral 404
            return PUBLIC
        return None
    return MATRIX.get(name)


def test_every_url_has_a_decision():
    undecided = sorted({f"{name or '(unnamed)'} → /{route}" for name, route in all_urls()
                        if _decision(name, route) is None})
    assert undecided == [], "Add these URLs to MATRIX in tests/test_permissions.py"


def _sample(name: str) -> str:
    """The URL with an id that does not exist for each argument."""
    from django.urls import NoReverseMatch

    for args in ((), (999999,), (999999, 999999), ("x" * 22,), ("x" * 22, 999999),
                 (999999, "accept"), ("broken",)):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    raise AssertionError(f"cannot build a sample URL for {name}")


def _fetch(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def _refused_to_anonymous(response: Any) -> bool:
    return response.status_code == 302 and "/login/" in response["Location"]


PROTECTED = sorted(name for name, role in MATRIX.items() if role in (BOOKKEEPER, ADMIN))


@pytest.mark.parametrize("name", PROTECTED)
def test_roles_are_enforced(client, name):
    url = _sample(name)
    assert _refused_to_anonymous(_fetch(client, url)), f"{url} open to anonymous"
    client.force_login(UserFactory(role="", username="nobody"))
    assert _fetch(client, url).status_code == 403, f"{url} open without a role"
    client.force_login(UserFactory(username="bea"))
    as_bookkeeper = _fetch(client, url)
    if MATRIX[name] == ADMIN:
        assert as_bookkeeper.status_code == 403, f"{url} open to bookkeepers"
        client.force_login(UserFactory(role="Admin", username="ada"))
        as_admin = _fetch(client, url)
        assert as_admin.status_code not in (403,) and not _refused_to_anonymous(as_admin)
    else:
        assert as_bookkeeper.status_code not in (403,) and not _refused_to_anonymous(
            as_bookkeeper), f"{url} refused to a bookkeeper"


@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if r == API))
def test_api_needs_a_bookkeeper(client, name):
    url = _sample(name)
    assert _fetch(client, url).status_code in (401, 403), f"{url} open to anonymous"
    client.force_login(UserFactory(role="", username="nobody"))
    assert _fetch(client, url).status_code == 403, f"{url} open without a role"
    client.force_login(UserFactory(username="bea"))
    assert _fetch(client, url).status_code not in (401, 403), f"{url} refused to a bookkeeper"


@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if r == PUBLIC
                                        and re.match(r"^portal:", n)))
def test_pay_now_pages_need_no_login_and_reveal_nothing_without_a_token(client, name):
    response = _fetch(client, _sample(name))
    assert response.status_code in (404, 405)
    assert not _refused_to_anonymous(response)
