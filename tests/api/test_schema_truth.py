"""The schema tells the truth (issue 17, item 8), in targeted tests that run in both passes (the
whole-schema fuzzing is tests/api/test_schemathesis.py): one error shape everywhere, the
same 400 for an unknown ``?client=`` on every list, nullability, formats, enums, date bounds,
the Idempotency-Key; PATCH for clients and invoices, void and credit notes through the
services; the per-client forecast reads only that client."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
import yaml
from rest_framework.test import APIClient

from api.schema import date_pattern
from clients.models import Client, Interaction
from core import calendar as cal
from receivables import services
from receivables.models import Invoice, InvoiceAdjustment
from tests.factories import TermsFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 17)  # the clock of tests/api/conftest.py
ERROR_KEYS = {"detail", "code", "errors"}


@pytest.fixture
def schema(api: APIClient) -> dict[str, Any]:
    return yaml.safe_load(api.get("/api/schema/").content)


@pytest.fixture
def invoice(acme: Any, make_invoice: Any) -> Invoice:
    return make_invoice(acme, "100.00", issue_date=date(2026, 3, 1))


# --- One error shape --------------------------------------------------------------------------

def test_every_error_has_one_shape(api: APIClient, acme: Any, invoice: Invoice) -> None:
    answers = {
        400: api.post("/api/v1/clients/", {"display_name": "X"}, format="json"),
        401: APIClient().get("/api/v1/clients/"),
        404: api.get("/api/v1/invoices/999999/"),
        405: api.delete(f"/api/v1/invoices/{invoice.pk}/"),
        409: api.post("/api/v1/clients/", {"reference": "ACME", "display_name": "A"},
                      format="json"),
        415: api.post("/api/v1/clients/", "reference=K", content_type="text/plain"),
    }
    for status, response in answers.items():
        assert response.status_code == status, response.content
        body = response.json()
        assert set(body) == ERROR_KEYS, body
        assert isinstance(body["detail"], str) and body["detail"]
        assert isinstance(body["errors"], dict)
    assert answers[400].json()["code"] == "invalid"
    assert answers[400].json()["errors"] == {"reference": ["This field is required."]}
    assert answers[400].json()["detail"] == "reference: This field is required."
    assert answers[404].json()["code"] == "not_found"
    assert answers[409].json()["code"] == "conflict"
    assert "reference" in answers[409].json()["errors"]
    assert answers[401].json()["code"] == "not_authenticated"
    # Not routed at all by Django's URL patterns before: now the API's JSON 404 too.
    assert api.get("/api/v1/invoices/0.5/").json()["code"] == "not_found"


@pytest.mark.parametrize("url", ["/api/v1/invoices/", "/api/v1/payments/",
                                 "/api/v1/interactions/", "/api/v1/reminders/forecast/"])
def test_an_unknown_client_filter_is_the_same_400_on_every_list(api: APIClient, url: str
                                                                ) -> None:
    response = api.get(url, {"client": "NOPE"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"client": [
        "No client with reference 'NOPE': create it first (POST /api/v1/clients/)."]}


def test_pages_and_empty_filters_are_checked(api: APIClient, acme: Any) -> None:
    assert api.get("/api/v1/clients/", {"page_size": "x"}).status_code == 400
    assert api.get("/api/v1/clients/", {"page": "0"}).status_code == 400
    assert api.get("/api/v1/clients/", {"page": "9"}).status_code == 404
    assert api.get("/api/v1/clients/", {"page_size": "999"}).json()["count"] == 1
    assert api.get("/api/v1/invoices/", {"updated_since": ""}).status_code == 400
    assert api.get("/api/v1/clients/", {"search": ""}).status_code == 200


# --- What the schema says ---------------------------------------------------------------------

def test_nullability_formats_and_enums(schema: dict[str, Any]) -> None:
    parts = schema["components"]["schemas"]
    client = parts["Client"]["properties"]
    assert client["default_terms"]["nullable"] is True
    assert {"type": "string", "maxLength": 0} in client["email"]["anyOf"]
    invoice = parts["Invoice"]["properties"]
    assert "$ref" in str(invoice["status"]) or "enum" in invoice["status"]
    params = {p["name"]: p for p in schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]}
    assert set(params["status"]["schema"]["items"]["enum"]) >= {"open", "partially_paid"}
    assert params["status"]["explode"] is False
    assert params["page_size"]["schema"]["minimum"] == 1


def test_every_operation_documents_its_errors_with_the_error_shape(
        schema: dict[str, Any]) -> None:
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "401", "403", "406", "429"):
                content = responses[status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (method, path)
            if "{id}" in path or method == "get":
                assert "404" in responses, (method, path)
            if method in ("post", "patch"):
                assert "415" in responses and "413" in responses, (method, path)
            keys = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
            if method == "post":
                assert "422" in responses, (method, path)
                [key] = keys
                assert key["in"] == "header" and not key.get("required", False)
                assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
            else:
                assert not keys, (method, path)
    assert "409" in schema["paths"]["/api/v1/invoices/{id}/void/"]["post"]["responses"]


def test_dates_carry_their_bounds(schema: dict[str, Any]) -> None:
    props = schema["components"]["schemas"]["InvoiceCreateRequest"]["properties"]
    pattern = re.compile(props["issue_date"]["pattern"])
    latest = cal.latest_date(TODAY)
    assert pattern.match("2000-01-01") and pattern.match(latest.isoformat())
    assert not pattern.match("1999-12-31")
    assert not pattern.match((latest + timedelta(days=1)).isoformat())
    pause = schema["components"]["schemas"]["PauseRequest"]["properties"]["until"]
    assert re.match(pause["pattern"], TODAY.isoformat())
    assert not re.match(pause["pattern"], (TODAY - timedelta(days=1)).isoformat())


def test_the_date_pattern_matches_exactly_the_days_between() -> None:
    start, end = date(2003, 11, 28), date(2008, 3, 2)
    pattern = re.compile(date_pattern(start, end))
    day = start - timedelta(days=40)
    while day <= end + timedelta(days=40):
        assert bool(pattern.match(day.isoformat())) == (start <= day <= end), day
        day += timedelta(days=1)
    for invalid in ("2005-02-29", "2004-02-30", "2005-04-31", "2005-13-01", "2005-00-10"):
        assert not pattern.match(invalid)
    assert pattern.match("2004-02-29")


def test_the_idempotency_key_is_checked_as_documented(api: APIClient, acme: Any) -> None:
    def sync(key: str) -> int:
        return api.post("/api/v1/payments/sync/", HTTP_IDEMPOTENCY_KEY=key).status_code

    assert sync("") == 400 and sync(" padded ") == 400 and sync("x" * 256) == 400
    assert sync("a b") == 201 and sync("x" * 255) == 201


# --- PATCH, void, credit note -----------------------------------------------------------------

def test_patch_a_client_through_client_update(api: APIClient, api_user: Any,
                                              acme: Any) -> None:
    terms = TermsFactory(name="Net 14 api", net_days=14)
    response = api.patch(f"/api/v1/clients/{acme.pk}/",
                         {"email": "AP@acme.example", "default_terms": terms.name,
                          "reference": "IGNORED"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["email"] == "AP@acme.example" and body["default_terms"] == "Net 14 api"
    assert body["reference"] == "ACME"  # the natural key does not change
    entry = Interaction.objects.filter(client=acme).latest("pk")
    assert "Details changed by the API" in entry.summary
    assert entry.actor == api_user
    bad = api.patch(f"/api/v1/clients/{acme.pk}/", {"email": "not an address"}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    assert Client.objects.get(pk=acme.pk).email == "AP@acme.example"
    assert api.put(f"/api/v1/clients/{acme.pk}/", {}, format="json").status_code == 405


def test_patch_an_invoice_while_it_is_owed(api: APIClient, invoice: Invoice,
                                           make_payment: Any) -> None:
    url = f"/api/v1/invoices/{invoice.pk}/"
    response = api.patch(url, {"due_date": "2026-04-30", "reference": "PO-7"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["due_date"], response.json()["reference"]) == ("2026-04-30", "PO-7")
    early = api.patch(url, {"due_date": "2026-02-01"}, format="json")
    assert early.status_code == 400 and "due_date" in early.json()["errors"]
    assert api.patch(url, {"total": "1.00"}, format="json").json()["total"] == "100.00"
    make_payment(invoice.client, "100.00", date(2026, 3, 10))
    paid = api.patch(url, {"due_date": "2026-05-30"}, format="json")
    assert paid.status_code == 409 and paid.json()["code"] == "conflict"
    assert Invoice.objects.get(pk=invoice.pk).due_date == date(2026, 4, 30)


def test_void_an_invoice_as_the_admin_does(api: APIClient, invoice: Invoice,
                                           make_invoice: Any, make_payment: Any) -> None:
    response = api.post(f"/api/v1/invoices/{invoice.pk}/void/", {"reason": "sent twice"},
                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "void"
    assert "sent twice" in Interaction.objects.filter(client=invoice.client).latest("pk").summary
    again = api.post(f"/api/v1/invoices/{invoice.pk}/void/", {}, format="json")
    assert again.status_code == 409 and "cannot go from void" in again.json()["detail"]
    paid_part = make_invoice(invoice.client, "80.00")
    make_payment(invoice.client, "10.00", date(2026, 3, 10), invoices=[paid_part])
    refused = api.post(f"/api/v1/invoices/{paid_part.pk}/void/", {}, format="json")
    assert refused.status_code == 409 and "to void" in refused.json()["detail"]


def test_a_credit_note_reduces_what_is_owed(api: APIClient, invoice: Invoice) -> None:
    url = f"/api/v1/invoices/{invoice.pk}/credit-note/"
    response = api.post(url, {"amount": "30.00", "memo": "damaged goods"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["balance"] == "70.00"
    note = InvoiceAdjustment.objects.get(invoice=invoice)
    assert (note.kind, note.amount, note.effective_on) == ("credit_note", Decimal("30.00"),
                                                           TODAY)
    too_much = api.post(url, {"amount": "70.01"}, format="json")
    assert too_much.status_code == 400 and "amount" in too_much.json()["errors"]
    assert api.post(url, {"amount": 30}, format="json").status_code == 400  # a JSON number
    services.invoice_transition(invoice=invoice, to="written_off")
    closed = api.post(url, {"amount": "1.00"}, format="json")
    assert closed.status_code == 409 and "nothing to adjust" in closed.json()["detail"]
    assert InvoiceAdjustment.objects.filter(kind="credit_note").count() == 1


def test_the_per_client_forecast_replays_only_that_client(api: APIClient, acme: Any) -> None:
    with mock.patch("api.views.forecast", return_value=[]) as replay:
        assert api.get("/api/v1/reminders/forecast/", {"client": "ACME"}).status_code == 200
        assert replay.call_args.kwargs["client_ids"] == [acme.pk]
        api.get("/api/v1/reminders/forecast/")
        assert replay.call_args.kwargs["client_ids"] is None
