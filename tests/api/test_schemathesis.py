"""schemathesis 4 against the live schema, in process, with every check, over a seeded book
(issue 17, item 8): each operation's answers (every status, every body, every header) are what
``/api/schema/`` says they are, valid data is accepted and invalid data refused.

The schema is loaded from the running app (``/api/schema/?format=json`` through Django's WSGI
handler) with an API token, as an integration would fetch it; every generated request goes
through the same handler, middleware included, in the test's database transaction.

Runs in the PostgreSQL pass of ``make test`` (about a minute on two cores); the SQLite pass has
the targeted tests of tests/api/test_schema_truth.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from api.idempotency import HEADER
from api.tokens import token_create
from receivables.demo import DemoOptions, seed_demo_book
from tests.factories import UserFactory
from tests.reminders.support import NOW

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql"
                       and not os.environ.get("SETTLE_SCHEMATHESIS_ANY_DB"),
                       reason="runs in the PostgreSQL pass of `make test` (about a minute); "
                              "SETTLE_SCHEMATHESIS_ANY_DB=1 runs it on SQLite too"),
]

# How many examples per operation: enough to reach every status an operation documents (the
# coverage phase adds its boundary cases on top), few enough for < 3 minutes on two cores.
MAX_EXAMPLES = 25


@pytest.fixture
def token(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A seeded demo book and a read-and-write token of a bookkeeper; the WSGI handler keeps
    the test's connection (as Django's test client does), and the rate limits are out of the
    way (429 is documented; a run of hundreds of requests would otherwise end in it)."""
    seed_demo_book(DemoOptions(clients=12, invoices=60, today=NOW.date()))
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "1000000/hour"})
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000000/hour"})
    user: Any = UserFactory(username="schemathesis")
    _, key = token_create(user=user)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield key
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# positive_data_acceptance: a request the schema calls valid must not be refused, except where
# a business rule the schema cannot state may refuse it with a 400 naming the field: whether a
# referenced record exists (?client=, a client reference, terms, invoice numbers), country,
# time zone, currency and phone numbers a client may have, a due date not before the issue
# date, a credit note at most the balance, a payment not after the client's today. Every other
# operation (reads, pause, resume, void, the sync) must accept every valid request.
REFERENCES_AND_RULES = [
    "GET /api/v1/invoices/", "GET /api/v1/payments/", "GET /api/v1/interactions/",
    "GET /api/v1/reminders/forecast/", "POST /api/v1/clients/", "PATCH /api/v1/clients/{id}/",
    "POST /api/v1/invoices/", "PATCH /api/v1/invoices/{id}/",
    "POST /api/v1/invoices/{id}/credit-note/", "POST /api/v1/payments/",
]
NAMES = ", ".join(f'"{name}"' for name in REFERENCES_AND_RULES)
CONFIG = f"""
[[operations]]
include-name = [{NAMES}]
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "400", "401", "403", "404", "409", "429"]
"""


@pytest.fixture
def api_schema(token: str) -> Any:
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", WSGIHandler(), headers={"Authorization": f"Token {token}"},
        config=schemathesis.Config.from_str(CONFIG))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 renames the test node per operation through ``node._nodeid``, which
    pytest 9 no longer has (its id lives in ``_id``): give it one to rename."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says(case: Any, token: str) -> None:
    if (case.headers and HEADER in case.headers and case.meta is not None
            and case.meta.generation.mode.is_positive):
        # A key is unique per operation (an integration makes a UUID): the generator's "0"
        # again for another body is the documented 422, not what a valid request gets.
        case.headers[HEADER] = str(uuid.uuid4())
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
