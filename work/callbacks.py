"""A client asks to be called back in a time window: a call task due then."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction

from answers.base import CLIENT, open_invoices
from answers.models import (
    PortalSettings,
)
from clients.models import (
    Client,
    InteractionChannel,
    InteractionKind,
)
from clients.services import interaction_record
from core import calendar as cal
from work import calls
from work.models import Task

log = logging.getLogger(__name__)


CALLBACK_WINDOWS = {"morning": (time(9, 0), time(12, 0)), "afternoon": (time(13, 0), time(17, 0))}

def callback_days(client: Client, now: datetime) -> list[date]:
    """The business days a client may ask to be called on: from the next business day."""
    today = client.local_today(now)
    day, days = today, []
    for _ in range(PortalSettings.load().callback_days):
        day = cal.next_business_day(day + timedelta(days=1), client.country)
        days.append(day)
    return days

def callback_request(*, client: Client, day: date | None, window: str, number: str, note: str,
                     now: datetime) -> Task:
    errors: dict[str, str] = {}
    if day is None or day not in callback_days(client, now):
        errors["day"] = "Choose one of the business days offered."
    if window not in CALLBACK_WINDOWS:
        errors["window"] = "Choose morning or afternoon."
    number = (number or "").strip()
    if number:
        from core.contact import ContactError, normalize_phone

        try:
            number = normalize_phone(number, region=client.country or None)
        except ContactError as exc:
            errors["number"] = str(exc)
    elif not (client.phone or client.mobile_phone):
        errors["number"] = "Give us a number to call."
    if errors:
        raise ValidationError(errors)
    assert day is not None
    start, end = CALLBACK_WINDOWS[window]
    zone = ZoneInfo(client.timezone)
    due = datetime.combine(day, start, tzinfo=zone)
    invoices = open_invoices(client)
    call_on = number or client.phone or client.mobile_phone
    with transaction.atomic():
        task = calls.task_call_create(
            client=client, invoices=invoices, step=None, now=now, due_at=due,
            title=f"Call back {client.display_name} on {day.isoformat()} "
                  f"{start:%H:%M}-{end:%H:%M} ({client.timezone}) at {call_on}")
        if note.strip():
            Task.objects.filter(pk=task.pk).update(
                script=f"The client wrote: {note.strip()[:2000]}\n\n{task.script}")
        interaction_record(
            client=client, kind=InteractionKind.NOTE, channel=InteractionChannel.PORTAL,
            actor_label=CLIENT, occurred_at=now, invoices=invoices,
            summary=f"Asked to be called back on {day.isoformat()} between {start:%H:%M} and "
                    f"{end:%H:%M} at {call_on}" + (f": {note.strip()}" if note.strip() else ""),
            metadata={"task": task.pk, "callback": due.isoformat(), "number": call_on})
    return task
