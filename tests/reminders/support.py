"""Shared by the reminder tests: the Tuesday they run on, one scheduler pass, and the outbox
statuses of an invoice."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from receivables.models import Invoice
from reminders.models import CadenceStep, Reminder
from reminders.outbox import TickReport
from reminders.tick import reminders_tick

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = date(2026, 3, 17)  # no public holiday in Germany or the US that week
NOW = datetime(2026, 3, 17, 10, 30, tzinfo=BERLIN)
POSTMARK_URL = "https://api.postmarkapp.com/email"


def tick(at: datetime) -> TickReport:
    """One scheduler pass at ``at``, with the wall clock there too."""
    with time_machine.travel(at, tick=False):
        return reminders_tick(now=at)


def step(offset: int) -> CadenceStep:
    """The default cadence's step at ``offset`` days."""
    return CadenceStep.objects.get(cadence__is_default=True, offset_days=offset)


def statuses(invoice: Invoice) -> dict[int, str]:
    """The invoice's outbox rows: step offset (days) → status."""
    return dict(Reminder.objects.filter(invoice=invoice)
                .values_list("step__offset_days", "status"))
