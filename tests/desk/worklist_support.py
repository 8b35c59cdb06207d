"""Shared by the worklist tests (test_worklist_*): its URLs, the invoice numbers a page
lists, timeline entries and invoices issued long ago (so tests set the last contact), and
reading a CSV response. Their fixtures (``trio``, ``two_clients``) are in conftest.py."""

import csv
import io
from datetime import timedelta
from typing import Any

import time_machine
from django.urls import reverse

from clients.models import Interaction, InteractionKind
from clients.services import interaction_record
from receivables.models import Invoice
from tests.reminders.support import NOW

URL = reverse("desk:worklist")
BULK = reverse("desk:worklist-bulk")
CSV = reverse("desk:worklist-csv")


def numbers(response: Any) -> list[str]:
    assert response.status_code == 200
    return [row.invoice.number for row in response.context["page"].rows]


def listed(browser: Any, **params: Any) -> list[str]:
    return numbers(browser.get(URL, params))


def note(customer: Any, days_ago: int, summary: str = "Called") -> Interaction:
    return interaction_record(client=customer, kind=InteractionKind.NOTE, summary=summary,
                              occurred_at=NOW - timedelta(days=days_ago))


def issued_long_ago(make: Any, *args: Any, **kwargs: Any) -> Invoice:
    """An invoice whose "issued" timeline entry is 200 days old, so tests set last contact."""
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        return make(*args, **kwargs)


def csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))
