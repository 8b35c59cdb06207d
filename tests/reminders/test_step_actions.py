"""Cadence step actions beyond sending: late fee, collections, call tasks."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from clients.models import InteractionKind
from receivables.models import AdjustmentKind, InvoiceStatus
from reminders.models import CadenceStep, Reminder
from reminders.tick import reminders_tick
from tests.factories import ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 17)  # a Tuesday


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 17, 10, tzinfo=BERLIN), tick=False):
        yield


def _tick() -> None:
    reminders_tick(now=datetime(2026, 3, 17, 10, 30, tzinfo=BERLIN))


def test_plus_14_step_charges_the_late_fee_once(make_invoice):
    terms = TermsFactory(name="Fee 40", late_fee_flat=Decimal("40.00"), late_fee_currency="EUR",
                         late_fee_after_days=7)
    invoice = make_invoice(ClientFactory(), "500.00", terms=terms,
                           issue_date=TODAY - timedelta(days=30 + 14))
    _tick()
    _tick()
    invoice.refresh_from_db()
    fees = list(invoice.adjustments.filter(kind=AdjustmentKind.LATE_FEE))
    assert [f.amount for f in fees] == [Decimal("40.00")]
    assert invoice.balance == Decimal("540.00")
    assert len(mail.outbox) == 1
    assert "540,00" in mail.outbox[0].body  # the message states the balance with the fee


def test_plus_45_hands_to_collections_without_a_message(make_invoice):
    invoice = make_invoice(ClientFactory(), "500.00", issue_date=TODAY - timedelta(days=30 + 45))
    # The letter of demand was sent 14 days ago: its notice has run.
    Reminder.objects.create(invoice=invoice, client=invoice.client,
                            step=CadenceStep.objects.get(template_key="demand_30"),
                            channel="letter", status="sent",
                            scheduled_for=datetime(2026, 3, 3, 9, tzinfo=BERLIN),
                            sent_at=datetime(2026, 3, 3, 9, tzinfo=BERLIN))
    _tick()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.IN_COLLECTIONS
    assert mail.outbox == []
    kinds = set(invoice.client.interactions.values_list("kind", flat=True))
    assert {InteractionKind.STATUS_CHANGE, InteractionKind.CALL} <= kinds


def test_plus_21_call_task_only_for_high_value_clients(make_invoice):
    from clients.services import client_set_tags

    plain, vip = ClientFactory(), ClientFactory()
    client_set_tags(client=vip, tags=["high-value"])
    for client in (plain, vip):
        invoice = make_invoice(client, "500.00", issue_date=TODAY - timedelta(days=30 + 21))
        # The earlier steps went out already.
        from reminders.models import CadenceStep, Reminder
        for step in CadenceStep.objects.filter(offset_days__lt=21):
            Reminder.objects.create(invoice=invoice, client=client, step=step, channel="email",
                                    scheduled_for=datetime(2026, 3, 1, tzinfo=BERLIN),
                                    status="sent")
    _tick()
    assert vip.interactions.filter(kind=InteractionKind.CALL).count() == 1
    assert not plain.interactions.filter(kind=InteractionKind.CALL).exists()
