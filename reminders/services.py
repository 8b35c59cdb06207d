from django.db import transaction
from django.db.models import F
from django.utils import timezone

from reminders.models import SchedulerState


def scheduler_heartbeat() -> SchedulerState:
    """Record that a scheduler tick ran (one conditional UPDATE, so two beats never race)."""
    with transaction.atomic():
        state, _ = SchedulerState.objects.get_or_create(singleton=True)
        SchedulerState.objects.filter(pk=state.pk).update(last_tick_at=timezone.now(),
                                                          ticks=F("ticks") + 1)
    state.refresh_from_db()
    return state
