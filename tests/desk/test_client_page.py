"""The client page: contact points with their state, open invoices with the next reminder and
its exact preview, payment history, the timeline with the content sent, and every action
(payment, note, call, pauses, send now, skip), each refused cleanly on bad input."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from clients.models import Interaction, InteractionKind
from clients.services import contact_flag
from receivables.models import InvoiceStatus, Payment
from reminders.models import Reminder, ReminderStatus
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import BERLIN, NOW, tick
from work.models import CallAttempt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


@pytest.fixture
def desk(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def customer(owner):
    return ClientFactory(owner=owner, channel_preferences=["email", "sms"], phone="+493012345678")


def page(desk, customer, **params):
    return desk.get(reverse("desk:client", args=[customer.pk]), params).content.decode()


def test_page_shows_contacts_invoices_next_step_and_the_exact_content_sent(desk, customer,
                                                                            overdue):
    invoice = overdue(customer, 8)
    contact_flag(client=customer, channel="sms", reason="opted_out")
    tick(NOW)  # the +7 reminder goes out by email
    html = page(desk, customer)
    assert customer.display_name in html and invoice.number in html
    assert "Opted out of SMS" in html  # the mobile's state
    assert "verified" not in html or customer.email in html
    assert "Firmer, offers a plan" in html  # the next step, +14
    sent = Interaction.objects.get(client=customer, kind=InteractionKind.EMAIL_REMINDER)
    assert sent.content["subject"] in html and "Exactly as sent" in html
    preview = page(desk, customer, preview=invoice.pk)
    assert "Next reminder for" in preview and "927,31" in preview


def test_record_a_partial_payment_then_an_overpayment_becomes_credit(desk, customer, overdue):
    invoice = overdue(customer, 8)
    url = reverse("desk:client-payment", args=[customer.pk])
    desk.post(url, {"amount": "500,00".replace(",", "."), "currency": "EUR",
                    "received_on": "2026-03-16", "method": "bank_transfer",
                    "reference": "BANK-1", "invoice": [invoice.pk]})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID and invoice.balance == Decimal("427.31")
    desk.post(url, {"amount": "500.00", "currency": "EUR", "received_on": "2026-03-17",
                    "method": "card", "reference": "BANK-2"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.get(reference="BANK-2").unapplied == Decimal("72.69")
    html = page(desk, customer)
    assert "credit" in html and "BANK-2" in html
    bad = desk.post(url, {"amount": "-5", "currency": "EUR", "reference": "BANK-3"},
                    follow=True).content.decode()
    assert "Payment amount" in bad and not Payment.objects.filter(reference="BANK-3").exists()


def test_note_call_and_client_pause(desk, customer, overdue):
    invoice = overdue(customer, 8)
    desk.post(reverse("desk:client-note", args=[customer.pk]), {"note": "Met at the fair"})
    assert Interaction.objects.filter(client=customer, kind="note",
                                      summary="Met at the fair").exists()
    desk.post(reverse("desk:client-call", args=[customer.pk]), {
        "number": "+493012345678", "outcome": "promise", "promised_on": "2026-03-25",
        "promised_amount": "927.31", "note": "Pays next week"})
    assert CallAttempt.objects.get().outcome == "promise"
    invoice.refresh_from_db()
    assert invoice.promised_until == date(2026, 3, 25)
    desk.post(reverse("desk:client-pause", args=[customer.pk]),
              {"until": "2026-04-30", "reason": "Owner on holiday"})
    customer.refresh_from_db()
    assert customer.reminders_paused_until == date(2026, 4, 30)
    desk.post(reverse("desk:client-pause", args=[customer.pk]), {"action": "resume"})
    customer.refresh_from_db()
    assert customer.reminders_paused_until is None


def test_invoice_pause_send_now_and_skip(desk, customer, overdue):
    first, second = overdue(customer, 8), overdue(customer, 2, amount="50.00")
    desk.post(reverse("desk:invoice-pause", args=[customer.pk, first.pk]),
              {"until": "2026-04-01", "reason": "Audit"})
    first.refresh_from_db()
    assert first.reminders_paused_until == date(2026, 4, 1)
    desk.post(reverse("desk:invoice-skip", args=[customer.pk, second.pk]))
    assert Reminder.objects.get(invoice=second).status == ReminderStatus.SKIPPED
    url = reverse("desk:invoice-send-now", args=[customer.pk, second.pk])
    asked = desk.post(url).content.decode()  # asks first: nothing is sent yet
    assert "What it does" in asked and mail.outbox == []
    step = Reminder.objects.filter(invoice=second).first().step  # the skipped one
    confirm = asked.split('name="confirm" value="')[1].split('"')[0]
    assert confirm != step.name  # the next step after the skipped one
    response = desk.post(url, {"confirm": confirm}, follow=True)
    assert "went out" in response.content.decode()
    assert len(mail.outbox) == 1 and second.number in mail.outbox[0].body
    # Someone else's invoice through this client's URL: not found.
    other = overdue(ClientFactory(), 3)
    assert desk.post(reverse("desk:invoice-skip", args=[customer.pk, other.pk])).status_code \
        == 404


def test_roles_and_bounded_queries(client, customer, overdue, django_assert_max_num_queries):
    url = reverse("desk:client", args=[customer.pk])
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(role=""))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory())
    for n in (2, 25):
        for _ in range(n):
            overdue(customer, 8, amount="10.00")
        tick(datetime(2026, 3, 17 + (n > 2), 11, 0, tzinfo=BERLIN))
        with django_assert_max_num_queries(45):
            assert client.get(url).status_code == 200


def test_send_now_asks_before_a_hand_over(desk, customer, overdue):
    """The step after the letter of demand hands the invoice to collections: the page says so
    before anything happens, and nothing happens without the confirmation."""
    from reminders.models import CadenceStep

    invoice = overdue(customer, 46)
    Reminder.objects.create(invoice=invoice, client=customer, status=ReminderStatus.SENT,
                            step=CadenceStep.objects.get(template_key="demand_30"),
                            channel="letter", scheduled_for=NOW - timedelta(days=16),
                            sent_at=NOW - timedelta(days=16))
    url = reverse("desk:invoice-send-now", args=[customer.pk, invoice.pk])
    asked = desk.post(url).content.decode()
    assert "Hands " + invoice.number + " to collections" in asked
    invoice.refresh_from_db()
    assert invoice.status == "open"
    done = desk.post(url, {"confirm": "Hand to collections"}, follow=True).content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "in_collections"
    assert "Done for " + invoice.number in done
