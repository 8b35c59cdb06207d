"""The worklist as CSV: one record per invoice, in a form a spreadsheet reads as data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from core.money import quantize
from desk.worklist.pages import WorklistRow
from infra.names import display_name

CSV_HEADER = ["Invoice", "Invoice reference", "Client reference", "Client", "Owner",
              "Currency", "Amount", "Balance", "Issue date", "Due date", "Days overdue",
              "Status", "Promised until", "Reminders paused until", "Last contact",
              "Next reminder", "Next reminder channel", "Next reminder at"]


def person(user: Any) -> str:
    """How a user is named on the page and in the CSV ('' for nobody): the one rule,
    ``infra.names.display_name``."""
    return display_name(user)


def _text(value: str) -> str:
    """A spreadsheet runs a cell that starts with = + - @ as a formula: not from our data."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _when(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return value.isoformat() if value else ""


def csv_records(rows: Iterable[WorklistRow]) -> Iterator[list[str]]:
    """The header, then one record per row. Amounts are plain decimal strings at the
    currency's minor unit (``1234.50``): never floats, never formatted for a locale."""
    yield CSV_HEADER
    for row in rows:
        inv, client, upcoming = row.invoice, row.invoice.client, row.next_reminder
        yield [_text(inv.number), _text(inv.reference), _text(client.reference),
               _text(client.display_name), _text(person(client.owner)), inv.currency,
               f"{quantize(inv.total, inv.currency):f}", f"{quantize(inv.balance, inv.currency):f}",
               _when(inv.issue_date), _when(inv.due_date), str(row.days_overdue),
               inv.get_status_display(), _when(row.promised_until), _when(row.paused_until),
               _when(row.last_contact), _text(upcoming.step) if upcoming else "",
               upcoming.channel if upcoming else "", _when(upcoming.at if upcoming else None)]
