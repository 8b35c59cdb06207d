"""Celery tasks: thin, they only wake the services up; the database says what is due."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from reminders.dispatch import busy_until, reminders_dispatch
from reminders.tick import reminders_tick


@shared_task(name="reminders.tasks.scheduler_tick", ignore_result=True)
def scheduler_tick() -> None:
    """Plan, then hand the due clients to the workers in chunks (or dispatch here when
    ``SETTLE_DISPATCH_FANOUT`` is off)."""
    reminders_tick(fan_out=_enqueue if settings.SETTLE_DISPATCH_FANOUT else None)


def _enqueue(client_ids: list[int]) -> None:
    # No expiry: a chunk that waited is still work (a copy that finds nothing due is cheap),
    # and a redelivered one after a worker died must run.
    dispatch_chunk.delay(client_ids)


@shared_task(name="reminders.tasks.dispatch_chunk", ignore_result=True)
def dispatch_chunk(client_ids: list[int]) -> None:
    """Send what is due now to these clients (a chunk of a tick's fan-out). Run twice, it
    sends nothing twice: the lease and the rows' claim decide who sends. While another
    worker holds some of the clients (its lease, renewed while it lives, or the claims a dead
    one left), the chunk comes back when that ends: a worker that died mid-chunk leaves
    nothing waiting for the next tick."""
    ids = [int(pk) for pk in client_ids]
    reminders_dispatch(now=timezone.now(), client_ids=ids)
    if (end := busy_until(ids)) is not None:  # another worker's, or a dead one's: later
        wait = max(1.0, (end - timezone.now()).total_seconds() + 1)
        dispatch_chunk.apply_async(args=[ids], countdown=wait)
