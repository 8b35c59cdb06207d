"""``Idempotency-Key``: a retry replays the first response and creates nothing; reusing a key
for another request is refused; failures keep no key; keys expire."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from api.models import IdempotencyKey
from api.urls import router
from clients.models import Client, Interaction
from receivables.models import Payment
from tests.api.conftest import client_for
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"
CLIENTS = "/api/v1/clients/"
PAYMENT = {"client": "ACME", "amount": "80.00", "received_on": "2026-03-16",
           "reference": "TX-1"}


def post(api, url, body, key):
    return api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_gets_the_first_response_and_records_nothing_twice(api, acme):
    first = post(api, PAYMENTS, PAYMENT, "pay-tx-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    entries = Interaction.objects.count()
    # the same body in another key order and spacing is the same request
    retry = post(api, PAYMENTS, dict(reversed(PAYMENT.items())), "pay-tx-1")
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert Interaction.objects.count() == entries


def test_without_a_key_a_retry_is_caught_by_the_natural_key_instead(api, acme):
    assert api.post(PAYMENTS, PAYMENT, format="json").status_code == 201
    assert api.post(PAYMENTS, PAYMENT, format="json").status_code == 409
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_with_another_body_is_refused(api, acme):
    post(api, PAYMENTS, PAYMENT, "k-1")
    reused = post(api, PAYMENTS, {**PAYMENT, "amount": "81.00"}, "k-1")
    assert reused.status_code == 422
    [message] = reused.json()["errors"]["Idempotency-Key"]
    assert "already used" in message and "different request" in message
    other_endpoint = post(api, CLIENTS, {"reference": "NEW", "display_name": "New"}, "k-1")
    assert other_endpoint.status_code == 422
    assert Payment.objects.count() == 1 and not Client.objects.filter(reference="NEW").exists()


def test_a_failed_request_keeps_no_key_so_the_corrected_one_may_reuse_it(api, acme):
    failed = post(api, PAYMENTS, {**PAYMENT, "amount": 80}, "k-2")
    assert failed.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = post(api, PAYMENTS, PAYMENT, "k-2")
    assert fixed.status_code == 201
    assert IdempotencyKey.objects.get().status_code == 201


def test_keys_belong_to_their_user(api, acme):
    post(api, CLIENTS, {"reference": "U1", "display_name": "One"}, "same-key")
    other = client_for(UserFactory(username="second-system"))
    response = post(other, CLIENTS, {"reference": "U2", "display_name": "Two"}, "same-key")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert set(Client.objects.values_list("reference", flat=True)) >= {"U1", "U2"}


def test_keys_expire_after_24_hours(api, db):
    post(api, CLIENTS, {"reference": "E1", "display_name": "One"}, "old-key")
    with time_machine.travel(NOW + timedelta(hours=23), tick=False):
        assert post(api, CLIENTS, {"reference": "E2", "display_name": "Two"},
                    "old-key").status_code == 422
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        fresh = post(api, CLIENTS, {"reference": "E2", "display_name": "Two"}, "old-key")
        assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh
        assert IdempotencyKey.objects.count() == 1


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "tab\tkey"])
def test_a_malformed_key_is_refused(api, acme, key):
    response = post(api, PAYMENTS, PAYMENT, key)
    assert response.status_code == 400
    assert "printable ASCII characters" in response.json()["errors"]["Idempotency-Key"][0]
    assert not Payment.objects.exists()


def test_every_post_of_the_api_honours_the_key():
    """A new POST endpoint without ``@idempotent`` fails here."""
    checked = []
    for prefix, viewset, _ in router.registry:
        for route in router.get_routes(viewset):
            for method, action in route.mapping.items():
                if method == "post" and hasattr(viewset, action):
                    checked.append(f"{prefix}.{action}")
                    assert getattr(getattr(viewset, action), "idempotent", False), \
                        f"{prefix}.{action} answers POST without @idempotent"
    assert sorted(checked) == ["clients.create", "clients.pause", "clients.resume",
                               "invoices.create", "invoices.credit_note", "invoices.pause",
                               "invoices.resume", "invoices.void", "payments.create",
                               "payments.sync"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_concurrent_duplicates_do_not_both_run():
    ClientFactory(reference="ACME")
    user = UserFactory(username="racer")
    clients = [client_for(user), client_for(user)]
    start = threading.Barrier(2)
    answers: list[int] = []

    def send(api: APIClient) -> None:
        start.wait()
        try:
            answers.append(post(api, PAYMENTS, PAYMENT, "race").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(api,)) for api in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 201]  # one ran, the other replayed its response
    assert Payment.objects.count() == 1


def test_expired_keys_of_anyone_are_purged_in_batches(api, db):
    other = client_for(UserFactory(username="second-system"))
    for n in range(3):
        post(other, CLIENTS, {"reference": f"P{n}", "display_name": "P"}, f"key-{n}")
    assert IdempotencyKey.objects.count() == 3
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        post(api, CLIENTS, {"reference": "P9", "display_name": "P"}, "mine")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["mine"]
