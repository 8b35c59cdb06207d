"""Celery tasks: thin. The job row says what to do; a message only wakes a worker up."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from transfer import services


@shared_task(name="transfer.tasks.run_import_job", ignore_result=True)
def run_import_job(job_id: int) -> None:
    services.import_job_run(job_id=job_id)


@shared_task(name="transfer.tasks.recover_import_jobs", ignore_result=True)
def recover_import_jobs() -> None:
    """Beat: wake up jobs whose message or worker was lost."""
    for job_id in services.import_jobs_lost():
        wake(job_id)


def wake(job_id: int) -> None:
    """Send the wake-up message (a duplicate is harmless: only one worker claims the job)."""
    run_import_job.delay(job_id)


def wake_if_lost(job_id: int, seconds: int = 30) -> bool:
    """From the progress poll: wake a job queued too long, at most once per ``seconds``, and
    without writing to the database (a poll must not wait for SQLite's write lock)."""
    if not cache.add(f"transfer:woken:{job_id}", 1, timeout=seconds):
        return False
    wake(job_id)
    return True
