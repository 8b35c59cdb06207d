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

def reminders_tick(*, now: datetime | None = None) -> TickReport:
    """One scheduler pass: plan, dispatch, then the heartbeat — recorded only for a pass that
    completed, so /healthz turns red when passes keep failing."""
    now = now or timezone.now()
    report = reminders_plan(now=now)
    report = reminders_dispatch(now=now, report=report)
    scheduler_heartbeat(errors=len(report.errors))
    return report
