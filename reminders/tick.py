"""The scheduler tick: heartbeat, plan, dispatch — what one beat of Celery wakes up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from receivables.snapshot import snapshot_refresh
from reminders.dispatch import due_client_chunks, reminders_dispatch
from reminders.models import SchedulerState
from reminders.outbox import TickReport, recover
from reminders.planning import reminders_plan


def scheduler_heartbeat(errors: int = 0) -> SchedulerState:
    """Record that a scheduler pass completed, with how many things it could not handle (one
    conditional UPDATE, so two beats never race)."""
    with transaction.atomic():
        state, _ = SchedulerState.objects.get_or_create(singleton=True)
        SchedulerState.objects.filter(pk=state.pk).update(last_tick_at=timezone.now(),
                                                          ticks=F("ticks") + 1,
                                                          last_errors=errors)
    state.refresh_from_db()
    return state

def reminders_tick(*, now: datetime | None = None,
                   fan_out: Callable[[list[int]], None] | None = None) -> TickReport:
    """One scheduler pass: plan, dispatch, the dashboard's snapshot of the book, then the
    heartbeat — recorded only for a pass that completed, so /healthz turns red when passes
    keep failing.

    With ``fan_out`` (the Celery tick), dispatch is handed out: the due clients go to
    ``fan_out`` in chunks of ``SETTLE_DISPATCH_CHUNK``, one worker task each, so any number
    of workers send at once and nothing caps a tick. A lost chunk is only a lost wake-up call:
    its rows stay due and the next tick hands them out again."""
    now = now or timezone.now()
    report = reminders_plan(now=now)
    if fan_out is None:
        report = reminders_dispatch(now=now, report=report)
    else:
        report.recovered += recover(now)
        for chunk in due_client_chunks(now, report, max(1, settings.SETTLE_DISPATCH_CHUNK)):
            fan_out(chunk)
    snapshot_refresh(now=now)  # the dashboard's figures (receivables.snapshot)
    scheduler_heartbeat(errors=len(report.errors))
    return report
