"""What the reminder engine would send over the next days — read-only, nothing is written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from receivables.models import ACTIVE_STATUSES, Invoice
from reminders import planner, selectors


def forecast(*, now: datetime, days: int, batch_size: int = 1000) -> list[dict[str, Any]]:
    """Simulate the cadence day by day for ``days`` days, consolidating per client and step
    as the dispatcher does. Returns one entry per message or task, in send order."""
    book = selectors.CadenceBook()
    ids = list(Invoice.objects.filter(status__in=ACTIVE_STATUSES, balance__gt=0)
               .order_by("pk").values_list("pk", flat=True))
    entries: dict[tuple[int, int, str], dict[str, Any]] = {}
    for start in range(0, len(ids), batch_size):
        batch = selectors.load_planning_batch(ids[start:start + batch_size])
        for invoice in batch["invoices"]:
            _simulate(invoice, batch, book, now, days, entries)
    return sorted(entries.values(), key=lambda e: (e["send_at"], e["client"]))


def _simulate(invoice: Invoice, batch: dict[str, Any], book: selectors.CadenceBook,
              now: datetime, days: int, entries: dict[tuple[int, int, str], dict[str, Any]]
              ) -> None:
    client = batch["clients"][invoice.client_id]
    tags = frozenset(t.name for t in client.tags.all())
    cadence = book.cadence_for(client.pk, tags)
    if cadence is None:
        return
    steps = book.steps.get(cadence.pk, ())
    spec = selectors.client_spec(client, tags)
    planned = set(batch["planned"][invoice.pk])
    cursor, end = now, now + timedelta(days=days)
    while cursor <= end:
        result = planner.plan(selectors.invoice_spec(invoice, planned), spec, steps, cursor)
        if result.due_step is not None and result.send_at <= end:
            _add(entries, client, invoice, book.step_rows[result.due_step.id], result)
            planned.add(result.due_step.id)
            planned.update(result.skipped_step_ids)
            continue
        if result.next_action_at is None or result.next_action_at > end:
            return
        cursor = max(result.next_action_at, cursor + timedelta(minutes=1))


def _add(entries: dict[tuple[int, int, str], dict[str, Any]], client: Any, invoice: Invoice,
         step: Any, result: planner.Plan) -> None:
    send_at = result.send_at.astimezone(ZoneInfo(client.timezone))
    key = (client.pk, step.pk, send_at.date().isoformat())
    entry = entries.setdefault(key, {
        "client": client.display_name, "client_reference": client.reference, "invoices": [],
        "step": step.name, "channel": result.channel, "send_at": send_at.isoformat(),
        "language": client.language, "tone": step.tone})
    entry["invoices"].append(invoice.number)
