"""Helpers for the battery's process-level tests (real Celery workers, Redis, PostgreSQL).

Built on tests/integration/test_reminder_delivery.py: its fake Postmark (``FakePostmark``,
counting what arrives per outbox message), ``book`` (of any size), ``worker_env`` and
``start_worker_process`` are reused as they are; only the size of the book differs (these tests use
100-200 reminders to stay within the suite's time budget).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from django.db import connection

from reminders.models import Reminder, ReminderStatus, SchedulerState
from tests.integration.test_reminder_delivery import (
    FakePostmark,
    book,
    start_worker_process,
    wait_for,
    worker_env,
)

__all__ = [
    "FakePostmark",
    "book",
    "children",
    "delivered",
    "esp_counts",
    "send_tick",
    "start_worker_process",
    "statuses",
    "stop",
    "ticks",
    "wait_for",
    "worker_env",
]

ONLY_POSTGRES = connection.vendor != "postgresql"
WHY_POSTGRES = "runs in the PostgreSQL pass of `make test` (needs a database shared by processes)"


def statuses() -> Counter[str]:
    return Counter(Reminder.objects.values_list("status", flat=True))


def delivered() -> int:
    """Reminders settled: sent, or in review (outcome unknown after a crash)."""
    now = statuses()
    return now.get(ReminderStatus.SENT, 0) + now.get(ReminderStatus.REVIEW, 0)


def ticks() -> int:
    return sum(SchedulerState.objects.values_list("ticks", flat=True))


def esp_counts() -> tuple[int, int, int]:
    """(distinct messages, deliveries in all, most deliveries of one message) at the ESP."""
    received = FakePostmark.received
    return len(received), sum(received.values()), max(received.values(), default=0)


def send_tick(redis_url: str, **options: Any) -> None:
    """Queue one scheduler tick on the broker, as beat does (``countdown=`` etc. pass on)."""
    from celery import Celery

    sender = Celery("battery-sender", broker=redis_url)
    try:
        sender.send_task("reminders.tasks.scheduler_tick", **options)
    finally:
        sender.close()


def children(pid: int) -> list[int]:
    """The pool processes of a prefork worker."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True, check=False).stdout
    return [int(p) for p in out.split()]


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def log_tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"
