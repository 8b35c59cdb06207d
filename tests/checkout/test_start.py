"""Opening a Stripe Checkout Session: the amounts are Settle's own (the browser names none),
posted through the real ``stripe`` library to an intercepted Stripe API."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from django.core.exceptions import ValidationError

from checkout.models import CheckoutSession, CheckoutStatus
from checkout.services import checkout_quote, checkout_start, stripe_enabled
from checkout.testing import SESSIONS_URL, stripe_checkout_fake
from receivables.services import adjustment_add, invoice_transition
from tests.checkout.conftest import CANCEL_URL, NOW, PAY_URL, SUCCESS_URL
from tests.factories import ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db


def start(customer: Any, invoices: list[Any], **kwargs: Any) -> str:
    return checkout_start(client=customer, invoices=invoices, success_url=SUCCESS_URL,
                          cancel_url=CANCEL_URL, **kwargs)


def form(rsps: responses.RequestsMock, index: int = -1) -> dict[str, str]:
    """The form-encoded body Stripe received, one value per key."""
    body = rsps.calls[index].request.body
    text = body.decode() if isinstance(body, bytes) else body
    return {key: values[0] for key, values in parse_qs(text).items()}


def test_the_session_charges_the_balance_worked_out_by_settle(
        client_de: Any, make_invoice: Any, stripe_api: Any, fake_stripe: Any) -> None:
    invoice = make_invoice(client_de, "1190.00", issue_date=date(2026, 3, 1))

    url = start(client_de, [invoice])

    assert url == PAY_URL
    assert len(stripe_api.calls) == 1
    sent = form(stripe_api)
    row = CheckoutSession.objects.get()
    assert sent["mode"] == "payment"
    assert sent["line_items[0][price_data][currency]"] == "eur"
    assert sent["line_items[0][price_data][unit_amount]"] == "119000"
    assert sent["line_items[0][quantity]"] == "1"
    assert sent["line_items[0][price_data][product_data][name]"] == f"Rechnung {invoice.number}"
    assert "line_items[1][price_data][unit_amount]" not in sent
    assert sent["success_url"] == SUCCESS_URL and sent["cancel_url"] == CANCEL_URL
    assert sent["metadata[settle_client_id]"] == str(client_de.pk)
    assert sent["metadata[settle_checkout_id]"] == str(row.pk)
    assert sent["payment_intent_data[metadata][settle_checkout_id]"] == str(row.pk)
    assert sent["client_reference_id"] == f"settle-client-{client_de.pk}-checkout-{row.pk}"
    assert sent["customer_email"] == client_de.email
    assert sent["locale"] == "de"
    # The quote is good for the client's day: the session ends at midnight in Berlin.
    assert int(sent["expires_at"]) == int((NOW.replace(hour=0, minute=0) + timedelta(days=1))
                                          .timestamp())
    assert stripe_api.calls[0].request.headers["Idempotency-Key"] == row.idempotency_key
    assert row.idempotency_key.startswith(f"settle-checkout-{row.fingerprint[:40]}-")
    assert (row.status, row.amount, row.currency) == (CheckoutStatus.OPEN, Decimal("1190"),
                                                      "EUR")
    assert (row.url, row.stripe_session_id) == (PAY_URL, fake_stripe.last_session()["id"])
    assert row.quoted_on == date(2026, 3, 17)
    assert list(row.invoices.all()) == [invoice]
    assert row.breakdown == [{"invoice_id": invoice.pk, "number": invoice.number,
                              "balance": "1190.00", "discount": "0.00", "late_fee": "0.00",
                              "interest": "0.00", "total": "1190.00", "units": 119000,
                              "booked_late_fee": "0.00", "booked_interest": "0.00"}]


def test_inside_the_discount_window_the_discounted_amount_is_charged(
        client_de: Any, make_invoice: Any, stripe_api: Any, fake_stripe: Any) -> None:
    terms = TermsFactory(name="2/10 net 30", net_days=30, discount_percent=Decimal("2"),
                         discount_days=10)
    invoice = make_invoice(client_de, "1000.00", issue_date=date(2026, 3, 10), terms=terms)
    other = make_invoice(client_de, "250.00", issue_date=date(2026, 3, 1))

    start(client_de, [other, invoice])

    sent = form(stripe_api)
    # Oldest due first, whatever order they were ticked in.
    assert sent["line_items[0][price_data][unit_amount]"] == "25000"
    assert sent["line_items[1][price_data][unit_amount]"] == "98000"
    assert sent["line_items[1][price_data][product_data][description]"] == (
        "1.000,00\xa0€ − Skonto 20,00\xa0€")
    assert CheckoutSession.objects.get().amount == Decimal("1230.00")


def test_after_the_discount_window_the_full_amount_is_charged(
        client_de: Any, make_invoice: Any, stripe_api: Any, fake_stripe: Any) -> None:
    terms = TermsFactory(name="2/10 net 30", net_days=30, discount_percent=Decimal("2"),
                         discount_days=10)
    invoice = make_invoice(client_de, "1000.00", issue_date=date(2026, 3, 1), terms=terms)

    start(client_de, [invoice])

    assert form(stripe_api)["line_items[0][price_data][unit_amount]"] == "100000"


def test_overdue_invoices_include_the_late_fee_and_interest_not_booked_yet(
        client_de: Any, make_invoice: Any, stripe_api: Any, fake_stripe: Any) -> None:
    terms = TermsFactory(name="Fee and interest", net_days=30, late_fee_percent=Decimal("5"),
                         interest_percent=Decimal("1.5"))
    invoice = make_invoice(client_de, "1000.00", issue_date=date(2026, 1, 1), terms=terms)

    start(client_de, [invoice])

    line = CheckoutSession.objects.get().breakdown[0]
    assert (line["late_fee"], line["interest"], line["total"]) == ("50.00", "22.50", "1072.50")
    assert form(stripe_api)["line_items[0][price_data][unit_amount]"] == "107250"


def test_yen_are_sent_without_decimals(make_invoice: Any, stripe_api: Any,
                                       fake_stripe: Any) -> None:
    customer = ClientFactory(default_currency="JPY", language="en", timezone="Asia/Tokyo")
    invoice = make_invoice(customer, "12345", issue_date=date(2026, 3, 1), currency="JPY")

    start(customer, [invoice])

    sent = form(stripe_api)
    assert sent["line_items[0][price_data][currency]"] == "jpy"
    assert sent["line_items[0][price_data][unit_amount]"] == "12345"
    assert sent["line_items[0][price_data][product_data][name]"] == f"Invoice {invoice.number}"
    assert CheckoutSession.objects.get().quoted_on == date(2026, 3, 17)


def test_three_decimal_currencies_go_only_when_stripe_can_take_them_exactly(
        make_invoice: Any, stripe_api: Any, fake_stripe: Any) -> None:
    customer = ClientFactory(default_currency="BHD", country="BH", timezone="Asia/Bahrain")
    exact = make_invoice(customer, "10.050", issue_date=date(2026, 3, 1), currency="BHD")
    odd = make_invoice(customer, "10.005", issue_date=date(2026, 3, 1), currency="BHD")

    with pytest.raises(ValidationError, match=r"steps of 0\.01 BHD.*bank transfer"):
        start(customer, [odd])
    assert not stripe_api.calls
    start(customer, [exact])
    assert form(stripe_api)["line_items[0][price_data][unit_amount]"] == "10050"


def test_a_double_click_opens_one_session(client_de: Any, make_invoice: Any, stripe_api: Any,
                                          fake_stripe: Any) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))

    first = start(client_de, [invoice])
    second = start(client_de, [invoice])

    assert first == second == PAY_URL
    assert len(stripe_api.calls) == 1
    assert CheckoutSession.objects.count() == 1


def test_a_different_quote_opens_a_new_session(client_de: Any, make_invoice: Any,
                                               make_payment: Any, stripe_api: Any,
                                               fake_stripe: Any) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    start(client_de, [invoice])
    make_payment(client_de, "100.00", date(2026, 3, 17), invoices=[invoice])

    start(client_de, [invoice])

    assert len(stripe_api.calls) == 2
    assert form(stripe_api)["line_items[0][price_data][unit_amount]"] == "40000"
    assert stripe_api.calls[0].request.headers["Idempotency-Key"] != \
        stripe_api.calls[1].request.headers["Idempotency-Key"]


def test_a_session_about_to_expire_is_replaced(client_de: Any, make_invoice: Any,
                                               stripe_api: Any, fake_stripe: Any) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    start(client_de, [invoice])
    CheckoutSession.objects.update(expires_at=NOW + timedelta(minutes=5))

    start(client_de, [invoice])

    assert len(stripe_api.calls) == 2
    assert sorted(CheckoutSession.objects.values_list("status", flat=True)) == [
        CheckoutStatus.EXPIRED, CheckoutStatus.OPEN]


def test_with_stripe_off_nothing_is_offered(settings: Any, client_de: Any, make_invoice: Any,
                                            stripe_api: Any, fake_stripe: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))

    assert not stripe_enabled()
    with pytest.raises(ValidationError, match="Online payment is not available"):
        start(client_de, [invoice])
    assert not stripe_api.calls
    assert not CheckoutSession.objects.exists()


@pytest.mark.parametrize(("status", "body"), [
    (500, {"error": {"type": "api_error", "message": "Something went wrong."}}),
    (402, {"error": {"type": "card_error", "code": "card_declined",
                     "message": "Your card was declined."}}),
    (401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}}),
])
def test_a_stripe_error_is_a_clear_message_and_leaves_nothing_behind(
        client_de: Any, make_invoice: Any, stripe_api: Any, status: int,
        body: dict[str, Any]) -> None:
    stripe_api.add(responses.POST, SESSIONS_URL, status=status, json=body,
                   headers={"Stripe-Should-Retry": "false"})
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))

    with pytest.raises(ValidationError, match="Online payment is unavailable right now"):
        start(client_de, [invoice])

    assert len(stripe_api.calls) == 1
    assert not CheckoutSession.objects.exists()
    assert not CheckoutSession.invoices.through.objects.exists()


def test_after_a_stripe_error_the_next_attempt_uses_a_new_key(
        client_de: Any, make_invoice: Any, stripe_api: Any) -> None:
    """Stripe replays a stored error for the same idempotency key; a retry must not reuse it."""
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    stripe_checkout_fake(stripe_api, status=500)
    with pytest.raises(ValidationError):
        start(client_de, [invoice])
    failed_key = stripe_api.calls[0].request.headers["Idempotency-Key"]
    stripe_api.reset()
    stripe_checkout_fake(stripe_api, url=PAY_URL)

    assert start(client_de, [invoice]) == PAY_URL
    key = stripe_api.calls[0].request.headers["Idempotency-Key"]
    assert key != failed_key
    assert CheckoutSession.objects.get().idempotency_key == key


def test_a_minimum_amount_refusal_says_so(client_de: Any, make_invoice: Any,
                                          stripe_api: Any) -> None:
    stripe_api.add(responses.POST, SESSIONS_URL, status=400, json={"error": {
        "type": "invalid_request_error", "code": "amount_too_small",
        "message": "The Checkout Session's total amount due must add up to at least €0.50"}})
    invoice = make_invoice(client_de, "0.30", issue_date=date(2026, 3, 1))

    with pytest.raises(ValidationError, match="below the minimum"):
        start(client_de, [invoice])


def test_a_session_that_charges_something_else_is_not_used(
        client_de: Any, make_invoice: Any, stripe_api: Any) -> None:
    stripe_api.add(responses.POST, SESSIONS_URL, json={
        "id": "cs_test_wrong", "object": "checkout.session", "url": PAY_URL,
        "amount_total": 1, "currency": "eur"})
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))

    with pytest.raises(ValidationError, match="unavailable"):
        start(client_de, [invoice])
    assert not CheckoutSession.objects.exists()


def test_another_clients_invoice_is_refused(client_de: Any, make_invoice: Any,
                                            stripe_api: Any, fake_stripe: Any) -> None:
    mine = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    theirs = make_invoice(ClientFactory(), "700.00", issue_date=date(2026, 3, 1))

    with pytest.raises(ValidationError, match="does not belong to this client"):
        start(client_de, [mine, theirs])
    assert not stripe_api.calls


def test_no_invoices_and_mixed_currencies_are_refused(client_de: Any, make_invoice: Any,
                                                      stripe_api: Any, fake_stripe: Any) -> None:
    euros = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    dollars = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1), currency="USD")

    with pytest.raises(ValidationError, match="at least one invoice"):
        start(client_de, [])
    with pytest.raises(ValidationError, match="EUR and USD cannot be paid together"):
        start(client_de, [euros, dollars])
    assert not stripe_api.calls


@pytest.mark.parametrize("status", ["void", "disputed", "written_off", "in_collections"])
def test_invoices_not_open_for_payment_are_refused(client_de: Any, make_invoice: Any,
                                                   stripe_api: Any, fake_stripe: Any,
                                                   status: str) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    invoice_transition(invoice=invoice, to=status, reason="test")

    with pytest.raises(ValidationError, match=f"{invoice.number} is .* cannot be paid online"):
        start(client_de, [invoice])
    assert not stripe_api.calls


def test_a_paid_invoice_is_refused(client_de: Any, make_invoice: Any, make_payment: Any,
                                   stripe_api: Any, fake_stripe: Any) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    make_payment(client_de, "500.00", date(2026, 3, 16), invoices=[invoice])

    with pytest.raises(ValidationError, match="is paid and cannot be paid online"):
        start(client_de, [invoice])
    assert not stripe_api.calls


def test_the_quote_is_what_the_pay_now_page_can_show(client_de: Any, make_invoice: Any) -> None:
    invoice = make_invoice(client_de, "1190.00", issue_date=date(2026, 3, 1))

    quote = checkout_quote(client=client_de, invoices=[invoice])

    assert (quote.amount, quote.currency, quote.units) == (Decimal("1190.00"), "EUR", 119000)
    assert quote.on == date(2026, 3, 17)


def test_a_booked_late_fee_is_not_charged_again(client_de: Any, make_invoice: Any) -> None:
    terms = TermsFactory(name="Fee and interest", net_days=30, late_fee_percent=Decimal("5"),
                         interest_percent=Decimal("1.5"))
    invoice = make_invoice(client_de, "1000.00", issue_date=date(2026, 1, 1), terms=terms)
    adjustment_add(invoice=invoice, kind="late_fee", amount="50.00", on=date(2026, 3, 1))

    line = checkout_quote(client=client_de, invoices=[invoice]).lines[0]

    assert (line["late_fee"], line["interest"], line["total"]) == ("0.00", "22.50", "1072.50")
