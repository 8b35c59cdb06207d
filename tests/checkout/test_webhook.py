"""Stripe's webhook: signed events (computed as Stripe documents it) record the payment once,
through the real services, with the receipt email and the timeline."""

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend

from checkout.models import CheckoutSession, CheckoutStatus, StripeEvent
from checkout.services import checkout_start
from checkout.testing import FakeStripeCheckout, signed_webhook, stripe_signature
from clients.models import InteractionChannel, InteractionKind
from core.money import format_money
from receivables.models import (
    AdjustmentKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentSource,
)
from receivables.services import adjustment_add
from reminders.models import MessageStatus, OutboundMessage, Reminder
from reminders.tick import reminders_tick
from tests.checkout.conftest import CANCEL_URL, NOW, SUCCESS_URL, WEBHOOK_SECRET
from tests.factories import ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db


def pay_online(customer: Any, *invoices: Invoice) -> CheckoutSession:
    checkout_start(client=customer, invoices=list(invoices), success_url=SUCCESS_URL,
                   cancel_url=CANCEL_URL)
    return CheckoutSession.objects.latest("id")


@pytest.fixture
def deliver(post_event: Callable[..., Any], django_capture_on_commit_callbacks: Any
            ) -> Callable[..., Any]:
    """Post a signed event and run what waits for the commit (the receipt email)."""
    def post(event: dict[str, Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return post_event(event, **kwargs)
    return post


def fresh(invoice: Invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def test_a_paid_session_records_one_portal_payment_and_sends_a_receipt(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "1190.00", issue_date=date(2026, 2, 1))
    Invoice.objects.filter(pk=invoice.pk).update(next_action_at=NOW + timedelta(days=2))
    session = pay_online(client_de, invoice)
    event = fake_stripe.event("checkout.session.completed")

    response = deliver(event)

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert (payment.source, payment.method, payment.amount, payment.currency) == (
        PaymentSource.PORTAL, "card", Decimal("1190.00"), "EUR")
    assert payment.reference == event["data"]["object"]["payment_intent"]
    assert payment.received_on == date(2026, 3, 17)
    assert payment.unapplied == 0
    invoice = fresh(invoice)
    assert (invoice.status, invoice.balance) == (InvoiceStatus.PAID, 0)
    assert invoice.next_action_at is None  # the planner looks again: no more reminders
    session.refresh_from_db()
    assert (session.status, session.payment, session.paid_at) == (
        CheckoutStatus.PAID, payment, NOW)
    assert StripeEvent.objects.get().event_id == event["id"]
    # The receipt, in the client's language, as an outbound message and in the timeline.
    [email] = mail.outbox
    assert email.to == [client_de.email]
    amount = format_money(Decimal("1190"), "EUR", "de_DE")
    assert email.subject == f"Zahlung erhalten: {amount} – vielen Dank"
    assert "am 17. März 2026" in email.body
    assert f"Rechnung {invoice.number}: {amount}, vollständig bezahlt" in email.body
    assert payment.reference in email.body
    assert "vollständig bezahlt" in email.alternatives[0][0]
    message = OutboundMessage.objects.get()
    assert (message.channel, message.language, message.status) == (
        "email", "de", MessageStatus.ACCEPTED)
    assert session.receipt == message
    kinds = list(client_de.interactions.order_by("id").values_list("kind", "channel"))
    assert kinds[-2:] == [(InteractionKind.PAYMENT, InteractionChannel.PORTAL),
                          (InteractionKind.NOTE, InteractionChannel.EMAIL)]
    assert client_de.interactions.filter(summary__startswith="Payment receipt sent").exists()


def test_an_english_client_gets_an_english_receipt(client_de: Any, make_invoice: Any,
                                                   fake_stripe: FakeStripeCheckout,
                                                   deliver: Callable[..., Any]) -> None:
    client_de.language = "fr"  # no French receipt yet: English
    client_de.save()
    invoice = make_invoice(client_de, "100.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)

    deliver(fake_stripe.event())

    [email] = mail.outbox
    assert email.subject.startswith("Payment received:")
    assert "paid in full" in email.body


def test_the_quoted_fee_and_interest_are_booked_so_the_payment_settles_exactly(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    terms = TermsFactory(name="Fee and interest", net_days=30, late_fee_percent=Decimal("5"),
                         interest_percent=Decimal("1.5"))
    invoice = make_invoice(client_de, "1000.00", issue_date=date(2026, 1, 1), terms=terms)
    pay_online(client_de, invoice)

    deliver(fake_stripe.event())

    invoice = fresh(invoice)
    booked = dict(invoice.adjustments.values_list("kind", "amount"))
    assert booked == {AdjustmentKind.LATE_FEE: Decimal("50.00"),
                      AdjustmentKind.INTEREST: Decimal("22.50")}
    assert (invoice.status, invoice.balance) == (InvoiceStatus.PAID, 0)
    payment = Payment.objects.get()
    assert (payment.amount, payment.unapplied) == (Decimal("1072.50"), 0)


def test_a_fee_booked_after_the_quote_is_not_charged_twice(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    terms = TermsFactory(name="Fee only", net_days=30, late_fee_percent=Decimal("5"))
    invoice = make_invoice(client_de, "1000.00", issue_date=date(2026, 1, 1), terms=terms)
    pay_online(client_de, invoice)
    adjustment_add(invoice=invoice, kind=AdjustmentKind.LATE_FEE, amount="50.00",
                   on=date(2026, 3, 17), memo="cadence step")

    deliver(fake_stripe.event())

    invoice = fresh(invoice)
    assert invoice.adjustments.filter(kind=AdjustmentKind.LATE_FEE).count() == 1
    assert (invoice.status, invoice.balance) == (InvoiceStatus.PAID, 0)
    assert Payment.objects.get().unapplied == 0


def test_the_early_payment_discount_is_granted(client_de: Any, make_invoice: Any,
                                               fake_stripe: FakeStripeCheckout,
                                               deliver: Callable[..., Any]) -> None:
    terms = TermsFactory(name="2/10 net 30", net_days=30, discount_percent=Decimal("2"),
                         discount_days=10)
    invoice = make_invoice(client_de, "1000.00", issue_date=date(2026, 3, 10), terms=terms)
    pay_online(client_de, invoice)

    deliver(fake_stripe.event())

    invoice = fresh(invoice)
    assert (invoice.status, invoice.balance) == (InvoiceStatus.PAID, 0)
    assert invoice.adjustments.get().kind == AdjustmentKind.EARLY_DISCOUNT
    assert Payment.objects.get().amount == Decimal("980.00")
    assert f"Ihr Skonto: {format_money(Decimal(20), 'EUR', 'de_DE')}." in mail.outbox[0].body


def test_a_replayed_event_records_nothing_twice(client_de: Any, make_invoice: Any,
                                                fake_stripe: FakeStripeCheckout,
                                                deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    event = fake_stripe.event()

    first, again = deliver(event), deliver(event)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == b"already processed"
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_second_event_for_a_paid_session_changes_nothing(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    deliver(fake_stripe.event())

    response = deliver(fake_stripe.event("checkout.session.async_payment_succeeded"))

    assert response.content == b"already paid"
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(("how", "reason"), [
    ("tampered", "Invalid signature."),
    ("wrong secret", "Invalid signature."),
    ("stale", "Signature timestamp too old."),
    ("unsigned", "Missing Stripe-Signature header."),
    ("garbled", "Invalid signature."),
])
def test_an_unverified_request_is_refused_and_records_nothing(
        client: Any, client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        post_event: Callable[..., Any], how: str, reason: str) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    event = fake_stripe.event()
    now = int(NOW.timestamp())

    if how == "tampered":  # signed for one body, sent with another: the amount raised
        raised = json.loads(json.dumps(event))
        raised["data"]["object"]["amount_total"] += 100
        response = post_event(event, body=signed_webhook(raised, WEBHOOK_SECRET)[0])
    elif how == "wrong secret":
        response = post_event(event, secret="whsec_someone_else")
    elif how == "stale":
        response = post_event(event, timestamp=now - 301)
    elif how == "unsigned":
        response = client.post("/hooks/stripe/", event, content_type="application/json")
    else:
        response = client.post("/hooks/stripe/", b"{not json", content_type="application/json",
                               HTTP_STRIPE_SIGNATURE="t=1,v1=00")

    assert (response.status_code, response.content.decode()) == (400, reason)
    assert not Payment.objects.exists()
    assert not StripeEvent.objects.exists()


def test_a_signature_within_five_minutes_is_accepted(client_de: Any, make_invoice: Any,
                                                     fake_stripe: FakeStripeCheckout,
                                                     deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)

    response = deliver(fake_stripe.event(), timestamp=int(NOW.timestamp()) - 299)

    assert response.status_code == 200
    assert Payment.objects.count() == 1


def test_a_signed_body_that_is_not_json_is_refused(client: Any) -> None:
    body = b"{not json"
    response = client.post("/hooks/stripe/", body, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=stripe_signature(body, WEBHOOK_SECRET))

    assert (response.status_code, response.content) == (400, b"Invalid JSON payload.")


def test_only_post_is_allowed(client: Any) -> None:
    assert client.get("/hooks/stripe/").status_code == 405


def test_a_failed_bank_payment_records_no_payment_and_tells_the_timeline(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    session = pay_online(client_de, invoice)

    started = deliver(fake_stripe.event(payment_status="unpaid"))
    failed = deliver(fake_stripe.event("checkout.session.async_payment_failed",
                                       payment_status="unpaid"))

    assert (started.content, failed.content) == (b"processing", b"failed")
    assert not Payment.objects.exists()
    session.refresh_from_db()
    assert session.status == CheckoutStatus.FAILED
    assert fresh(invoice).status == InvoiceStatus.OPEN
    notes = list(client_de.interactions.filter(kind=InteractionKind.NOTE)
                 .order_by("id").values_list("summary", flat=True))
    assert notes[0].endswith("started; the bank has not confirmed it yet.")
    assert "failed" in notes[1] and "the invoices stay open" in notes[1]
    assert not mail.outbox


def test_a_bank_payment_that_succeeds_later_is_recorded_then(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    deliver(fake_stripe.event(payment_status="unpaid"))
    assert not Payment.objects.exists()

    deliver(fake_stripe.event("checkout.session.async_payment_succeeded"))

    payment = Payment.objects.get()
    assert (payment.method, payment.source) == ("direct_debit", PaymentSource.PORTAL)
    assert fresh(invoice).status == InvoiceStatus.PAID


def test_paying_again_while_a_bank_payment_is_pending_is_refused(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    deliver(fake_stripe.event(payment_status="unpaid"))

    with pytest.raises(ValidationError, match="already on its way"):
        pay_online(client_de, invoice)


def test_an_expired_session_is_marked_and_nothing_is_paid(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    session = pay_online(client_de, invoice)

    response = deliver(fake_stripe.event("checkout.session.expired", payment_status="unpaid"))

    assert response.content == b"expired"
    session.refresh_from_db()
    assert session.status == CheckoutStatus.EXPIRED
    assert not Payment.objects.exists()


def test_an_invoice_paid_by_bank_transfer_meanwhile_leaves_the_money_as_credit(
        client_de: Any, make_invoice: Any, make_payment: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    make_payment(client_de, "500.00", date(2026, 3, 17), invoices=[invoice],
                 reference="BANK-1")

    response = deliver(fake_stripe.event())

    assert response.status_code == 200
    online = Payment.objects.get(source=PaymentSource.PORTAL)
    assert (online.amount, online.unapplied) == (Decimal("500.00"), Decimal("500.00"))
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert "wir schreiben den Betrag Ihrem Kundenkonto gut" in mail.outbox[0].body


def test_when_one_of_two_invoices_was_paid_meanwhile_its_share_is_credit(
        client_de: Any, make_invoice: Any, make_payment: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    first = make_invoice(client_de, "300.00", issue_date=date(2026, 2, 20))
    second = make_invoice(client_de, "200.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, first, second)
    make_payment(client_de, "300.00", date(2026, 3, 17), invoices=[first], reference="BANK-1")

    deliver(fake_stripe.event())

    online = Payment.objects.get(source=PaymentSource.PORTAL)
    assert (online.amount, online.unapplied) == (Decimal("500.00"), Decimal("300.00"))
    assert list(online.allocations.values_list("invoice", "amount")) == [
        (second.pk, Decimal("200.00"))]
    assert fresh(second).status == InvoiceStatus.PAID


def test_when_every_invoice_was_paid_meanwhile_other_invoices_are_not_touched(
        client_de: Any, make_invoice: Any, make_payment: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    paid = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    untouched = make_invoice(client_de, "800.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, paid)
    make_payment(client_de, "500.00", date(2026, 3, 17), invoices=[paid], reference="BANK-1")

    deliver(fake_stripe.event())

    assert Payment.objects.get(source=PaymentSource.PORTAL).unapplied == Decimal("500.00")
    assert fresh(untouched).status == InvoiceStatus.OPEN


def test_a_session_settle_did_not_open_is_acknowledged_and_ignored(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    event = fake_stripe.event(id="cs_test_from_another_integration", metadata={})

    response = deliver(event)

    assert (response.status_code, response.content) == (200, b"unknown session")
    assert not Payment.objects.exists()
    assert not StripeEvent.objects.exists()


def test_other_event_types_are_acknowledged_and_ignored(deliver: Callable[..., Any]) -> None:
    event = {"id": "evt_other", "object": "event", "type": "payment_intent.succeeded",
             "created": int(NOW.timestamp()), "data": {"object": {"id": "pi_1"}}}

    response = deliver(event)

    assert (response.status_code, response.content) == (200, b"ignored payment_intent.succeeded")
    assert not StripeEvent.objects.exists()


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("The mail server is down.")


def test_a_mail_failure_does_not_undo_the_payment(settings: Any, client_de: Any,
                                                  make_invoice: Any,
                                                  fake_stripe: FakeStripeCheckout,
                                                  deliver: Callable[..., Any]) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.BrokenEmailBackend"
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)

    response = deliver(fake_stripe.event())

    assert response.status_code == 200
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert CheckoutSession.objects.get().status == CheckoutStatus.PAID
    message = OutboundMessage.objects.get()
    assert message.status == MessageStatus.FAILED
    assert client_de.interactions.filter(
        summary__startswith=f"Payment receipt to {client_de.email} could not be sent").exists()


def test_a_client_without_email_gets_no_receipt(client_de: Any, make_invoice: Any,
                                                fake_stripe: FakeStripeCheckout,
                                                deliver: Callable[..., Any]) -> None:
    client_de.email = ""
    client_de.save()
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)

    deliver(fake_stripe.event())

    assert fresh(invoice).status == InvoiceStatus.PAID
    assert not mail.outbox and not OutboundMessage.objects.exists()


def test_a_payment_that_cannot_be_recorded_is_put_before_a_person(
        client_de: Any, make_invoice: Any, make_payment: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    event = fake_stripe.event()
    reference = event["data"]["object"]["payment_intent"]
    make_payment(client_de, "500.00", date(2026, 3, 17), invoices=[invoice],
                 reference=reference)  # a bookkeeper typed it in from the Stripe dashboard

    response = deliver(event)

    assert response.status_code == 200
    assert response.content.startswith(b"needs attention:")
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.get().outcome.startswith("needs attention")
    assert client_de.interactions.filter(
        summary__contains="could not be recorded automatically").exists()


def test_late_at_night_east_of_utc_the_payment_is_not_dated_in_the_future(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    """00:30 in Berlin is still yesterday in UTC, the server's day."""
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    pay_online(client_de, invoice)
    just_after_midnight = datetime(2026, 3, 18, 0, 30, tzinfo=NOW.tzinfo)

    with time_machine.travel(just_after_midnight, tick=False):
        response = deliver(fake_stripe.event())

    assert response.status_code == 200
    assert Payment.objects.get().received_on == date(2026, 3, 17)


def test_a_session_expired_here_but_paid_at_stripe_is_still_recorded(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout,
        deliver: Callable[..., Any]) -> None:
    """Money taken is money received, whatever Settle thought of the session."""
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    session = pay_online(client_de, invoice)
    CheckoutSession.objects.update(status=CheckoutStatus.EXPIRED)

    deliver(fake_stripe.event())

    session.refresh_from_db()
    assert session.status == CheckoutStatus.PAID
    assert fresh(invoice).status == InvoiceStatus.PAID


def test_reminders_stop_once_paid_online(client_de: Any, make_invoice: Any,
                                         fake_stripe: FakeStripeCheckout,
                                         deliver: Callable[..., Any]) -> None:
    paid = make_invoice(client_de, "500.00", issue_date=date(2026, 2, 8))  # 7 days overdue
    unpaid = make_invoice(ClientFactory(), "500.00", issue_date=date(2026, 2, 8))
    pay_online(client_de, paid)
    deliver(fake_stripe.event())

    week_later = NOW + timedelta(days=7)
    with time_machine.travel(week_later, tick=False):
        reminders_tick(now=week_later)

    assert Reminder.objects.filter(invoice=unpaid).exists()
    assert not Reminder.objects.filter(invoice=paid).exists()


def test_without_a_webhook_secret_nothing_is_accepted(settings: Any,
                                                      post_event: Callable[..., Any]) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    event = {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}

    response = post_event(event, secret="whsec_anything")

    assert (response.status_code, response.content) == (400, b"Webhook secret not configured.")
