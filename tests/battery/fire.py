"""Helpers for the battery's process-level tests (real Celery workers, Redis, PostgreSQL).

Built on tests/integration/test_reminder_delivery.py: its fake Postmark (``FakePostmark``,
counting what arrives per outbox message), ``_open_for_business``, ``_worker_env`` and
``_start`` are reused as they are; only the size of the book differs (these tests use
100-200 reminders to stay within the suite's time budget).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from clients.models import Client
from receivables import services as receivables
from reminders.defaults import install_defaults
from reminders.models import Reminder, ReminderStatus, SchedulerState
from reminders.services import reminders_plan
from tests.integration.test_reminder_delivery import (
    FakePostmark,
    _open_for_business,
    _start,
    _wait_for,
    _worker_env,
)

__all__ = ["FakePostmark", "_start", "_wait_for", "_worker_env", "book", "children",
           "delivered", "esp_counts", "send_tick", "statuses", "stop", "ticks"]

ONLY_POSTGRES = connection.vendor != "postgresql"
WHY_POSTGRES = "runs in the PostgreSQL pass of `make test` (needs a database shared by processes)"


def book(count: int, prefix: str = "BT") -> None:
    """``count`` clients with one invoice each, 10 days overdue, every reminder due now (the
    worker's dispatch runs on the real clock)."""
    install_defaults(apps)  # an earlier transactional test may have flushed the seed
    country, zone = _open_for_business()
    today = timezone.localdate()
    clients = Client.objects.bulk_create(
        Client(reference=f"{prefix}-{i:05d}", display_name=f"Client {i}",
               email=f"{prefix.lower()}{i}@example.com", country=country, timezone=zone,
               language="en", default_currency="EUR") for i in range(count))
    for client in clients:
        receivables.invoice_create(client=client, number=f"{prefix}-INV-{client.reference}",
                                   issue_date=today - timedelta(days=40),
                                   lines=[receivables.LineInput("Work", "100.00")])
    report = reminders_plan(now=timezone.now())
    Reminder.objects.filter(status=ReminderStatus.SCHEDULED).update(
        scheduled_for=timezone.now() - timedelta(minutes=1))
    assert report.planned == count


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
