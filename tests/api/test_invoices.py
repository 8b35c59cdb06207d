"""Invoices over the API: created by ``invoice_create`` (source "api"), amounts as strings."""

from datetime import date

import pytest
import time_machine

from clients.models import Interaction
from receivables.models import Invoice
from tests.factories import ClientFactory
from tests.reminders.support import NOW

pytestmark = pytest.mark.django_db

URL = "/api/v1/invoices/"


def invoice_body(**overrides):
    body = {"client": "ACME", "number": "RE-2026-001", "issue_date": "2026-03-01",
            "due_date": "2026-03-31", "currency": "EUR",
            "lines": [{"description": "Consulting", "quantity": "2.5", "unit_price": "100.00",
                       "tax_rate": "19"},
                      {"description": "Travel", "unit_price": "40.10"}]}
    return {**body, **overrides}


def test_create_an_invoice_with_lines(api, acme):
    response = api.post(URL, invoice_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["client"] == "ACME" and body["status"] == "open" and body["source"] == "api"
    assert (body["subtotal"], body["tax_total"], body["total"], body["balance"]) == (
        "290.10", "47.50", "337.60", "337.60")
    assert [(ln["description"], ln["quantity"], ln["unit_price"], ln["tax_rate"],
             ln["net_amount"], ln["tax_amount"]) for ln in body["lines"]] == [
        ("Consulting", "2.5", "100.00", "19", "250.00", "47.50"),
        ("Travel", "1", "40.10", "0", "40.10", "0.00")]
    invoice = Invoice.objects.get(number="RE-2026-001")
    assert invoice.source == "api" and invoice.client == acme
    issued = Interaction.objects.get(client=acme, kind="invoice_issued")
    assert issued.actor.username == "ledger-sync"
    assert api.get(f"{URL}{invoice.pk}/").json() == body


def test_due_date_comes_from_the_terms_and_jpy_has_no_decimals(api, acme):
    body = invoice_body(currency="JPY", due_date=None,
                        lines=[{"description": "License", "unit_price": "50000"}])
    del body["due_date"]
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["due_date"] == "2026-03-31"  # Net 30
    assert response.json()["total"] == "50000"


@pytest.mark.parametrize(("line", "message"), [
    ({"description": "A", "unit_price": 100.1},
     'Send the amount as a decimal string such as "120.50", not as a JSON number'),
    ({"description": "A", "unit_price": 100},
     'Send the amount as a decimal string such as "120.50", not as a JSON number'),
    ({"description": "A", "unit_price": "ten"}, "Unit price 'ten' is not a number."),
    ({"description": "A", "unit_price": "1", "quantity": 0.5},
     'Send fractional numbers as decimal strings such as "0.5"'),
])
def test_amounts_must_be_decimal_strings(api, acme, line, message):
    response = api.post(URL, invoice_body(lines=[line]), format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]["lines"]["0"]  # the first line's fields
    assert message in " ".join(m for msgs in errors.values() for m in msgs)
    assert not Invoice.objects.exists()


def test_unit_prices_keep_their_precision_and_line_amounts_are_rounded(api, acme):
    response = api.post(URL, invoice_body(lines=[{"description": "Screws", "quantity": 3,
                                                  "unit_price": "0.0125"}]), format="json")
    assert response.status_code == 201, response.json()
    [line] = response.json()["lines"]
    assert (line["quantity"], line["unit_price"], line["net_amount"]) == ("3", "0.0125", "0.04")


def test_the_services_rules_come_back_as_400s(api, acme):
    negative = api.post(URL, invoice_body(lines=[{"description": "A", "unit_price": "-5"}]),
                        format="json")
    assert negative.status_code == 400
    assert negative.json()["errors"] == {"lines": [
        "Line 1 unit price cannot be negative; issue a credit note to reduce what is owed."]}
    early = api.post(URL, invoice_body(due_date="2026-02-01"), format="json")
    assert early.status_code == 400
    assert early.json()["errors"] == {"due_date": [
        "The due date 2026-02-01 is before the issue date 2026-03-01."]}
    currency = api.post(URL, invoice_body(currency="EURO"), format="json")
    assert currency.status_code == 400 and "ISO 4217" in currency.json()["errors"]["currency"][0]
    empty = api.post(URL, invoice_body(lines=[]), format="json")
    assert empty.status_code == 400 and "lines" in empty.json()["errors"]
    assert not Invoice.objects.exists()


def test_an_unknown_client_is_named(api, db):
    response = api.post(URL, invoice_body(client="NOPE"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"client": [
        "No client with reference 'NOPE': create it first (POST /api/v1/clients/)."]}


def test_a_used_number_is_a_conflict(api, acme):
    assert api.post(URL, invoice_body(), format="json").status_code == 201
    again = api.post(URL, invoice_body(lines=[{"description": "X", "unit_price": "1.00"}]),
                     format="json")
    assert again.status_code == 409
    assert again.json()["errors"] == {"number": ["Invoice number RE-2026-001 is already used."]}
    assert str(Invoice.objects.get().total) == "337.6000"


def test_list_filters(api, acme, make_invoice):
    other = ClientFactory(reference="OTHER")
    overdue = make_invoice(acme, "100.00", issue_date=date(2026, 1, 1))   # due 31 Jan
    current = make_invoice(acme, "200.00", issue_date=date(2026, 3, 10))  # due 9 Apr
    theirs = make_invoice(other, "300.00", issue_date=date(2026, 1, 1))
    draft = make_invoice(acme, "50.00", issue_date=date(2026, 1, 1), issue=False)

    def numbers(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        return {inv["number"] for inv in response.json()["results"]}

    assert numbers(client="ACME") == {overdue.number, current.number, draft.number}
    assert numbers(status="open") == {overdue.number, current.number, theirs.number}
    assert numbers(status="draft,paid") == {draft.number}
    assert numbers(overdue="true") == {overdue.number, theirs.number}
    assert numbers(overdue="true", client="ACME") == {overdue.number}
    assert numbers(overdue="false", client="ACME") == {current.number, draft.number}
    assert numbers(number=theirs.number) == {theirs.number}
    with time_machine.travel(NOW.replace(hour=12), tick=False):
        api.post(f"{URL}{current.pk}/pause/", {"until": "2026-03-20"}, format="json")
    assert numbers(updated_since="2026-03-17T10:00:00Z") == {current.number}


def test_list_filters_that_make_no_sense_are_400s(api, db):
    bad = api.get(URL, {"status": "open,lost", "overdue": "maybe",
                        "updated_since": "2026-03-17T10:00:00"})
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert "Unknown status lost" in errors["status"][0]
    assert "overdue" in errors
    assert "UTC offset" in errors["updated_since"][0]
    assert api.get(URL, {"client": "NOPE"}).status_code == 400


def test_pause_and_resume_one_invoice(api, acme, make_invoice):
    invoice = make_invoice(acme, "100.00")
    response = api.post(f"{URL}{invoice.pk}/pause/", {"until": "2026-04-15",
                                                     "reason": "Checking the delivery"},
                        format="json")
    assert response.status_code == 200
    assert response.json()["reminders_paused_until"] == "2026-04-15"
    entry = Interaction.objects.filter(client=acme).first()
    assert entry.summary == (f"Reminders for {invoice.number} paused until 2026-04-15: "
                             "Checking the delivery")
    assert list(entry.invoices.all()) == [invoice]
    resumed = api.post(f"{URL}{invoice.pk}/resume/", {"reason": "Delivered"}, format="json")
    assert resumed.status_code == 200 and resumed.json()["reminders_paused_until"] is None
    invoice.refresh_from_db()
    assert invoice.reminders_paused_until is None


@pytest.mark.parametrize("name", ["\u0000", "Net\u000030", "\U000f0000", "x" * 201])
def test_a_related_name_that_cannot_be_a_name_is_a_400_before_the_database(api, acme, name):
    """Schemathesis found it on PostgreSQL: a NUL byte in ``terms`` reached the query and the
    database answered with an error (a 500). Every name the API looks up is checked first."""
    response = api.post(URL, invoice_body(terms=name), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["terms"]
    assert not Invoice.objects.exists()
