"""The scheduler tick: heartbeat, plan, dispatch — what one beat of Celery wakes up."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from reminders.dispatch import reminders_dispatch
from reminders.models import SchedulerState
from reminders.outbox import TickReport
from reminders.planning import reminders_plan


def scheduler_heartbeat() -> SchedulerState:
    """Record that a scheduler tick ran (one conditional UPDATE, so two beats never race)."""
    with transaction.atomic():
        state, _ = SchedulerState.objects.get_or_create(singleton=True)
        SchedulerState.objects.filter(pk=state.pk).update(last_tick_at=timezone.now(),
                                                          ticks=F("ticks") + 1)
    state.refresh_from_db()
    return state

def reminders_tick(*, now: datetime | None = None) -> TickReport:
    """One scheduler pass: heartbeat, plan, dispatch."""
    now = now or timezone.now()
    scheduler_heartbeat()
    report = reminders_plan(now=now)
    return reminders_dispatch(now=now, report=report)
