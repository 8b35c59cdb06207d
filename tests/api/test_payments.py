"""Payments over the API: recorded by ``payment_record`` (source "api"), applied to invoices,
on the client's timeline, and counted as a payment sync of the API."""

from datetime import date, timedelta

import pytest
import time_machine

from receivables.models import Payment, PaymentSync
from tests.factories import ClientFactory
from tests.reminders.support import NOW

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/"


def payment_body(**overrides):
    return {"client": "ACME", "amount": "150.00", "currency": "EUR", "received_on": "2026-03-16",
            "reference": "BANK-0001", **overrides}


def test_a_payment_settles_the_named_invoice_and_lands_on_the_timeline(api, acme, make_invoice):
    invoice = make_invoice(acme, "100.00", number="RE-1")
    make_invoice(acme, "500.00", number="RE-2", issue_date=date(2025, 12, 1))  # older, not named
    response = api.post(URL, payment_body(invoices=["RE-1"], method="card"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source"] == "api" and body["method"] == "card"
    assert (body["amount"], body["amount_allocated"], body["unapplied"]) == (
        "150.00", "100.00", "50.00")
    assert body["allocations"] == [{"invoice": "RE-1", "amount": "100.00"}]
    invoice.refresh_from_db()
    assert invoice.status == "paid"

    timeline = api.get("/api/v1/interactions/", {"client": "ACME", "kind": "payment"}).json()
    [entry] = timeline["results"]
    assert entry["summary"] == ("Payment of €150.00 received (card): RE-1 paid; €50.00 kept as "
                                "credit")
    assert entry["invoices"] == ["RE-1"] and entry["actor_label"] == "Berta Keeper"
    assert entry["metadata"]["payment_id"] == body["id"]
    assert api.get(f"{URL}{body['id']}/").json() == body


def test_without_invoices_the_oldest_open_ones_are_paid_first(api, acme, make_invoice):
    old = make_invoice(acme, "100.00", issue_date=date(2025, 12, 1))
    new = make_invoice(acme, "100.00", issue_date=date(2026, 2, 1))
    response = api.post(URL, payment_body(amount="120.00"), format="json")
    assert response.json()["allocations"] == [{"invoice": old.number, "amount": "100.00"},
                                               {"invoice": new.number, "amount": "20.00"}]


def test_an_api_payment_records_a_payment_sync(api, acme):
    assert not PaymentSync.objects.exists()
    api.post(URL, payment_body(), format="json")
    sync = PaymentSync.objects.get(source="api")
    assert sync.synced_at == NOW and sync.payments == 1


def test_the_sync_heartbeat_says_payments_are_complete_as_of_now(api, db):
    response = api.post(f"{URL}sync/", format="json")
    assert response.status_code == 201
    assert response.json() == {"source": "api", "synced_at": "2026-03-17T09:30:00Z",
                               "payments": 0}
    later = NOW + timedelta(hours=5)
    with time_machine.travel(later, tick=False):
        api.post(f"{URL}sync/", format="json")
    assert PaymentSync.objects.get(source="api").synced_at == later


def test_a_reference_already_recorded_for_the_client_is_a_conflict(api, acme):
    first = api.post(URL, payment_body(), format="json").json()
    again = api.post(URL, payment_body(amount="99.00"), format="json")
    assert again.status_code == 409
    assert again.json()["errors"] == {"reference": [
        f"A payment with reference 'BANK-0001' is already recorded for client ACME "
        f"(id {first['id']})."]}
    assert Payment.objects.count() == 1
    ClientFactory(reference="OTHER")  # the same bank reference for another client is fine
    assert api.post(URL, payment_body(client="OTHER"), format="json").status_code == 201


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"amount": 150}, "amount", "not as a JSON number"),
    ({"amount": 150.5}, "amount", "not as a JSON number"),
    ({"amount": "150.005"}, "amount", "has more decimals than EUR allows (2)"),
    ({"amount": "0"}, "amount", "must be greater than zero"),
    ({"amount": "-3.00"}, "amount", "cannot be negative"),
    ({"received_on": "2026-03-18"}, "received_on", "cannot be received in the future"),
    ({"received_on": "16.03.2026"}, "received_on", "YYYY-MM-DD"),
    ({"reference": ""}, "reference", "may not be blank"),
    ({"method": "barter"}, "method", '"barter" is not a valid choice.'),
    ({"client": "NOPE"}, "client", "No client with reference 'NOPE'"),
    ({"invoices": ["RE-404"]}, "invoices", "Client ACME has no invoice RE-404."),
])
def test_bad_payments_are_refused_with_a_message_and_nothing_is_recorded(
        api, acme, change, field, message):
    response = api.post(URL, payment_body(**change), format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert not Payment.objects.exists()
    assert not PaymentSync.objects.exists()


def test_an_invoice_in_another_currency_cannot_take_the_payment(api, acme, make_invoice):
    make_invoice(acme, "100.00", number="US-1", currency="USD")
    response = api.post(URL, payment_body(invoices=["US-1"]), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"currency": [
        "Invoice US-1 is in USD; a payment in EUR cannot settle it."]}
    assert not Payment.objects.exists()


def test_another_clients_invoice_is_not_found_for_this_client(api, acme, make_invoice):
    make_invoice(ClientFactory(reference="OTHER"), "100.00", number="OT-1")
    response = api.post(URL, payment_body(invoices=["OT-1"]), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"invoices": ["Client ACME has no invoice OT-1."]}


def test_list_filters(api, acme, make_payment):
    other = ClientFactory(reference="OTHER")
    a = make_payment(acme, "10.00", date(2026, 3, 1), reference="A")
    b = make_payment(acme, "20.00", date(2026, 3, 10), reference="B")
    c = make_payment(other, "30.00", date(2026, 3, 5), reference="C")

    def ids(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        return [p["id"] for p in response.json()["results"]]

    assert ids() == [b.pk, c.pk, a.pk]  # newest received first
    assert ids(client="ACME") == [b.pk, a.pk]
    assert ids(reference="C") == [c.pk]
    assert ids(received_from="2026-03-05", received_to="2026-03-09") == [c.pk]
    assert api.get(URL, {"received_from": "soon"}).status_code == 400
