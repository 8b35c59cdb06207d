"""Reads for the reminder engine."""

from reminders.models import SchedulerState


def scheduler_last_tick() -> SchedulerState | None:
    return SchedulerState.objects.first()
