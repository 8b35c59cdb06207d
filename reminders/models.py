"""Reminder engine state. The cadences, templates and the outbox arrive with the engine; for
now the scheduler records its heartbeat, so a stalled beat shows up instead of staying silent."""

from django.db import models


class SchedulerState(models.Model):
    """A single row: when the scheduler last ticked and what it did."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    last_tick_at = models.DateTimeField(null=True, blank=True)
    ticks = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True),
                                              name="scheduler_state_single_row")]

    def __str__(self) -> str:
        return f"last tick {self.last_tick_at or 'never'}"
