"""Hostile and careless text (issue 16, item 3 and the payment-date part of 6): a NUL byte or
another control character, an id no column can hold, a date ten thousand years out, amounts
whose product overflows — each through the real URLs, each answered with a 4xx that says what
is wrong, and nothing written. The same on SQLite and PostgreSQL (the PostgreSQL pass of
``make test`` runs this file too: PostgreSQL refuses a NUL in text outright, SQLite overflows
on a 20-digit integer)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from answers import links
from answers.models import Dispute, PaymentPlan
from clients.models import Client, Interaction, InteractionKind
from receivables.models import Invoice, InvoiceStatus, Payment
from receivables.services import payment_record
from tests.factories import ClientFactory, UserFactory
from work.models import Task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

HUGE = "99999999999999999999"  # 20 digits: more than any 64-bit column holds


@pytest.fixture
def customer(owner: Any) -> Client:
    return ClientFactory(owner=owner)


@pytest.fixture
def token(customer: Client) -> str:
    return links.link_issue(client=customer).token


@pytest.fixture
def desk(client: Any) -> Any:
    client.force_login(UserFactory(username="berta-desk"))
    return client


@pytest.fixture
def api() -> APIClient:
    api = APIClient()
    api.force_authenticate(UserFactory(username="ledger-sync"))
    return api


def counts() -> dict[str, int]:
    return {"invoices": Invoice.objects.count(), "payments": Payment.objects.count(),
            "disputes": Dispute.objects.count(), "plans": PaymentPlan.objects.count(),
            "tasks": Task.objects.count(), "timeline": Interaction.objects.count()}


def text(response: Any) -> str:
    return response.content.decode()


# --- NUL and other control characters ---------------------------------------------------------

def test_a_nul_in_the_pay_now_dispute_message_is_a_400_and_disputes_nothing(
        client: Any, customer: Client, token: str, overdue: Any, battery: Any) -> None:
    invoice = overdue(customer, 6)
    before = counts()
    battery.tried("anonymous POST /p/<token>/dispute/ with message 'a\\x00b'")
    response = client.post(f"/p/{token}/dispute/", {
        "invoice": invoice.pk, "reason": "other", "message": "a\x00b"})
    assert response.status_code == 400
    assert "NUL (U+0000)" in text(response) and "“message”" in text(response)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and counts() == before
    battery.held("400 naming the field and the character; no dispute, task or timeline entry")


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f", "\x85"])
def test_control_characters_in_a_note_are_refused_but_newlines_and_tabs_are_free_text(
        desk: Any, customer: Client, char: str, battery: Any) -> None:
    before = counts()
    battery.tried(f"a note with U+{ord(char):04X} through the client page's note form")
    refused = desk.post(f"/desk/clients/{customer.pk}/note/", {"note": f"call{char}back"})
    assert refused.status_code == 400
    assert f"U+{ord(char):04X}" in text(refused) and "“note”" in text(refused)
    assert counts() == before

    accepted = desk.post(f"/desk/clients/{customer.pk}/note/",
                         {"note": "Called twice.\r\n\tWill pay Friday."})
    assert accepted.status_code == 302
    note = Interaction.objects.get(client=customer, kind=InteractionKind.NOTE)
    assert note.content["note"] == "Called twice.\r\n\tWill pay Friday."
    battery.held("400 with the character's code point; newline, CR and tab stay allowed")


def test_a_nul_in_the_worklist_search_is_a_400(desk: Any, battery: Any) -> None:
    battery.tried("GET /desk/worklist/?q=a%00b and the CSV export with the same filter")
    for url in ("/desk/worklist/?q=a%00b", "/desk/worklist.csv?q=a%00b"):
        response = desk.get(url)
        assert response.status_code == 400
        assert "“q” contains a NUL (U+0000)" in text(response)
    battery.held("400 page saying which parameter holds which character")


def test_a_nul_in_a_payment_reference_writes_no_payment(
        desk: Any, customer: Client, overdue: Any, battery: Any) -> None:
    overdue(customer, 6)
    before = counts()
    battery.tried("desk payment form with reference 'BANK\\x00-1', then the same reference "
                  "straight to payment_record (the import's and the admin's path)")
    response = desk.post(f"/desk/clients/{customer.pk}/payment/", {
        "amount": "100.00", "received_on": "2026-03-16", "reference": "BANK\x00-1"})
    assert response.status_code == 400 and "NUL" in text(response)
    with pytest.raises(Exception) as refused:
        payment_record(client=customer, amount="100.00", received_on=date(2026, 3, 16),
                       reference="BANK\x00-1")
    assert "reference" in refused.value.message_dict  # type: ignore[attr-defined]
    assert "NUL (U+0000)" in str(refused.value)
    assert counts() == before
    battery.held("the form: 400; the service: a field error before any query; no payment")


def test_a_nul_in_the_path_is_a_400(client: Any, battery: Any) -> None:
    battery.tried("GET /p/a%00b/ (a token with a NUL)")
    response = client.get("/p/a%00b/")
    assert response.status_code == 400 and "NUL" in text(response)
    battery.held("400 before any view or query runs")


# --- Ids no column can hold -------------------------------------------------------------------

@pytest.mark.parametrize(("page", "data"), [
    ("pay/", {"invoice": [HUGE]}),
    ("promise/", {"invoice": [HUGE], "promised_on": "2026-03-20"}),
    ("plan/", {"invoice": [HUGE], "count": "3", "first": "2026-03-31", "frequency": "monthly"}),
    ("plan/", {"invoice": [], "count": HUGE, "first": "2026-03-31", "frequency": "monthly"}),
    ("dispute/", {"invoice": HUGE, "reason": "other", "message": "wrong"}),
    ("dispute/", {"invoice": "-1", "reason": "other", "message": "wrong"}),
])
def test_a_huge_id_on_the_pay_now_page_is_a_4xx_and_writes_nothing(
        client: Any, customer: Client, token: str, overdue: Any, page: str, data: dict[str, Any],
        battery: Any) -> None:
    invoice = overdue(customer, 6)
    if page == "plan/" and not data["invoice"]:
        data = {**data, "invoice": [invoice.pk]}
    before = counts()
    battery.tried(f"POST /p/<token>/{page} with {data}")
    response = client.post(f"/p/{token}/{page}", data)
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert 'class="alert bad"' in text(response)  # the form again, with the reason
    invoice.refresh_from_db()
    assert invoice.promised_until is None and invoice.status == InvoiceStatus.OPEN
    assert counts() == before
    battery.held(f"{response.status_code} (the pay form: the neutral page, as for a foreign "
                 "invoice; the others: the form with the reason); nothing written")


@pytest.mark.parametrize(("url", "data"), [
    ("/desk/clients/{pk}/payment/", {"invoice": [HUGE], "amount": "10.00",
                                     "received_on": "2026-03-16"}),
    ("/desk/clients/{pk}/payment/", {"invoice": ["1e3"], "amount": "10.00",
                                     "received_on": "2026-03-16"}),
    ("/desk/clients/{pk}/call/", {"invoice": [HUGE], "outcome": "no_answer"}),
    ("/escalation/clients/{pk}/collections/", {"invoice": [HUGE], "confirm": "1"}),
])
def test_a_huge_id_in_a_desk_form_is_a_400_and_writes_nothing(
        desk: Any, customer: Client, overdue: Any, url: str, data: dict[str, Any],
        battery: Any) -> None:
    overdue(customer, 6)
    before = counts()
    battery.tried(f"POST {url} with {data}")
    response = desk.post(url.format(pk=customer.pk), data)
    assert response.status_code == 400
    assert "not valid" in text(response) and "reload" in text(response)
    assert counts() == before
    battery.held("400 saying the selection is not valid and to reload; nothing written")


def test_a_huge_id_in_the_worklist_selection_is_refused_with_a_message(
        desk: Any, customer: Client, overdue: Any, battery: Any) -> None:
    invoice = overdue(customer, 6)
    battery.tried("POST /desk/worklist/bulk/ pausing invoice ids [HUGE]")
    response = desk.post("/desk/worklist/bulk/", {"action": "pause", "invoice": [HUGE],
                                                   "until": "2026-04-01"}, follow=True)
    assert response.status_code == 200
    assert "The selection is garbled; reload the worklist." in text(response)
    invoice.refresh_from_db()
    assert invoice.reminders_paused_until is None
    battery.held("back on the worklist with the message; nothing paused")


@pytest.mark.parametrize("url", [
    f"/desk/clients/{HUGE}/", f"/invoices/{HUGE}.pdf", f"/tasks/{HUGE}/",
    f"/escalation/clients/{HUGE}/collections/", f"/api/v1/invoices/{HUGE}/",
    f"/api/v1/clients/{HUGE}/", f"/api/v1/payments/{HUGE}/",
])
def test_a_huge_id_in_an_address_is_not_found(desk: Any, url: str) -> None:
    assert desk.get(url).status_code == 404


def test_a_huge_preview_id_is_ignored(desk: Any, customer: Client) -> None:
    assert desk.get(f"/desk/clients/{customer.pk}/?preview={HUGE}").status_code == 200


# --- The API ----------------------------------------------------------------------------------

def invoice_body(customer: Client, **changes: Any) -> dict[str, Any]:
    return {"client": customer.reference, "number": "API-1", "issue_date": "2026-03-01",
            "lines": [{"description": "Consulting", "unit_price": "100.00"}], **changes}


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"issue_date": "9999-12-31"}, "issue_date", "Choose a date between 2000-01-01"),
    ({"issue_date": "2026-03-01", "due_date": "9999-12-31"}, "due_date",
     "Choose a date between 2000-01-01"),
    ({"lines": [{"description": "Huge", "unit_price": "99999999999999.99",
                 "quantity": "99999999"}]}, "lines", "more than an invoice can hold"),
    ({"lines": [{"description": "Huge", "unit_price": "999999999999999999999"}]}, "lines",
     "out of range"),
    ({"lines": [{"description": "Many", "unit_price": "1.00", "quantity": HUGE}]}, "lines",
     "out of range"),
    ({"lines": [{"description": "a\u0000b", "unit_price": "1.00"}]}, "lines", "Null characters"),
    ({"lines": [{"description": "a\u001bb", "unit_price": "1.00"}]}, "lines", "U+001B"),
    ({"number": "INV\t7"}, "number", "tab (U+0009)"),
    ({"number": "INV\n7"}, "number", "line break (U+000A)"),
    ({"number": "INV\u202e7"}, "number", "U+202E"),
    ({"number": "N" * 65}, "number", "at most 64"),
    ({"notes": "a\u0007b"}, "notes", "U+0007"),
    ({"reference": "PO 7\n8"}, "reference", "line break"),
])
def test_hostile_invoices_through_the_api_are_a_400_json_and_nothing_is_written(
        api: APIClient, customer: Client, changes: dict[str, Any], field: str, words: str,
        battery: Any) -> None:
    before = counts()
    battery.tried(f"POST /api/v1/invoices/ with {json.dumps(changes)[:120]}")
    response = api.post("/api/v1/invoices/", invoice_body(customer, **changes), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"] and words in json.dumps(body, ensure_ascii=False), body
    assert counts() == before
    battery.held(f"400 {{'{field}': …}} saying {words!r}; no invoice")


def test_the_header_injection_number_is_printable_so_it_is_stored_as_given(
        api: APIClient, customer: Client) -> None:
    """Quotes and semicolons are printable: the number is kept, and every download escapes
    it (test_hostile_downloads)."""
    number = "HDR\"; filename*=UTF-8''evil.html; x=\""
    response = api.post("/api/v1/invoices/", invoice_body(customer, number=number),
                        format="json")
    assert response.status_code == 201 and response.json()["number"] == number


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"received_on": "0001-01-01"}, "received_on", "Choose a date between 2000-01-01"),
    ({"received_on": "1999-12-31"}, "received_on", "Choose a date between 2000-01-01"),
    ({"reference": "BANK\u00001"}, "reference", "Null characters"),
    ({"reference": "BANK\t1"}, "reference", "tab"),
    ({"reference": "R" * 65}, "reference", "at most 64"),
    ({"notes": "x\u001fy"}, "notes", "U+001F"),
    ({"amount": "99999999999999999999.00"}, "amount", "too large"),
])
def test_hostile_payments_through_the_api_are_a_400_json_and_nothing_is_written(
        api: APIClient, customer: Client, changes: dict[str, Any], field: str, words: str,
        battery: Any) -> None:
    before = counts()
    battery.tried(f"POST /api/v1/payments/ with {json.dumps(changes)[:120]}")
    response = api.post("/api/v1/payments/", {
        "client": customer.reference, "amount": "10.00", "received_on": "2026-03-16",
        "reference": "BANK-1", **changes}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"] and words in json.dumps(response.json()), \
        response.json()
    assert counts() == before
    battery.held(f"400 {{'{field}': …}}; no payment")


def test_a_payment_dated_0001_01_01_is_refused_on_every_path(
        desk: Any, customer: Client, overdue: Any, battery: Any) -> None:
    overdue(customer, 6)
    battery.tried("received_on 0001-01-01 through the desk form and payment_record itself "
                  "(the admin's, the import's and the checkout webhook's path)")
    desk.post(f"/desk/clients/{customer.pk}/payment/", {
        "amount": "10.00", "received_on": "0001-01-01", "reference": "OLD-1"})
    with pytest.raises(Exception, match="Choose a date between 2000-01-01"):
        payment_record(client=customer, amount="10.00", received_on=date(1, 1, 1))
    assert not Payment.objects.exists()
    battery.held("refused with the bounds; no payment")


def test_control_characters_in_api_query_parameters_are_a_400_json(
        api: APIClient, battery: Any) -> None:
    battery.tried("GET /api/v1/invoices/?number=a%00b and /api/v1/clients/?search=a%1bb")
    for url in ("/api/v1/invoices/?number=a%00b", "/api/v1/clients/?search=a%1bb"):
        response = api.get(url)
        assert response.status_code == 400
        assert "contains a" in response.json()["detail"]
    battery.held("400 with {'detail': …} naming the parameter and the character")


def test_a_client_reference_with_a_control_character_is_refused(
        api: APIClient, battery: Any) -> None:
    battery.tried("POST /api/v1/clients/ with reference 'AC\\u0085ME' and a name with a NUL")
    response = api.post("/api/v1/clients/", {"reference": "AC\u0085ME",
                                             "display_name": "Acme\u0000 GmbH"}, format="json")
    assert response.status_code == 400
    assert {"reference", "display_name"} <= set(response.json()["errors"])
    assert not Client.objects.exists()
    battery.held("400 for both fields; no client")
