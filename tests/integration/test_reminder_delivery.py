"""The outbox under fire: 1,000 due reminders, a real Celery worker on a real Redis broker
against PostgreSQL, TWO beat processes ticking every second, the worker SIGKILLed mid-batch and
restarted, and the ESP (Postmark's API, served by a local fake) counting what arrives.

Every reminder reaches the ESP at most once. All arrive exactly once except the few the killed
worker had in flight: those are in ``review`` (the outcome is unknown, a person decides) and are
never re-sent by the system.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import time as clock
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from clients.models import Client
from core import calendar as cal
from receivables import services as receivables
from reminders.defaults import install_defaults
from reminders.models import Reminder, ReminderStatus
from reminders.planning import reminders_plan
from tests.integration.conftest import ROOT, app_env, free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
VENV_BIN = Path(sys.executable).parent
COUNT = 1000


class FakePostmark(BaseHTTPRequestHandler):
    received: Counter[str] = Counter()
    lock = threading.Lock()
    delay = 0.01

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(self.delay)  # a real ESP takes a moment: lets the kill land mid-batch
        key = body["Metadata"]["settle_message_id"]
        with self.lock:
            self.received[key] += 1
        reply = json.dumps({"To": body["To"], "SubmittedAt": "2026-11-23T10:00:00Z",
                            "MessageID": f"pm-{key}", "ErrorCode": 0, "Message": "OK"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_esp(socket_enabled_session: None) -> Any:
    FakePostmark.received = Counter()
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), FakePostmark)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def _open_for_business() -> tuple[str, str]:
    """A (country, time zone) where it is now a business day between 10:00 and 14:00, so the
    worker's dispatch, which runs on the real clock, sends at once whenever the suite runs:
    fixed-offset zones cover every hour, and a Friday-Saturday weekend (Israel) covers the
    Saturdays and Sundays of the others."""
    now = timezone.now()
    for offset in range(-12, 15):
        zone = f"Etc/GMT{-offset:+d}" if offset else "UTC"  # Etc/GMT-2 is UTC+2
        local = now.astimezone(ZoneInfo(zone))
        if not clock(10) <= local.time() < clock(14):
            continue
        for country in ("GB", "IL", "JP"):
            if cal.is_business_day(local.date(), country):
                return country, zone
    pytest.fail(f"no country and time zone open for business at {now:%Y-%m-%d %H:%M} UTC")


def book(count: int = COUNT, prefix: str = "IT") -> None:
    """``count`` clients with one invoice each, 10 days overdue, planned so every reminder is
    due now (the worker's dispatch then sends on the real clock). The battery's process-level
    tests (tests/battery/fire.py) use it with smaller books."""
    # An earlier transactional test may have flushed the tables, seeded cadence included.
    install_defaults(apps)
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


def worker_env(redis_url: str, esp: Any, var: str) -> dict[str, str]:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="")
    return app_env(
        CELERY_BROKER_URL=redis_url, SETTLE_VAR_DIR=var, SETTLE_TICK_SECONDS="1",
        SETTLE_STALE_CLAIM_SECONDS="3",
        DATABASE_URL=f"postgres://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}",
        ESP="postmark", ANYMAIL_POSTMARK_SERVER_TOKEN="test-token",
        ANYMAIL_POSTMARK_API_URL=f"http://127.0.0.1:{esp.server_address[1]}/")


def start_worker_process(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(VENV_BIN / "celery"), "-A", "config", *args],
                            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _statuses() -> Counter[str]:
    return Counter(Reminder.objects.values_list("status", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="runs in the PostgreSQL pass of `make test` (needs a shared database)")
def test_every_reminder_reaches_the_esp_at_most_once(redis_url, fake_esp):
    book()
    var = tempfile.mkdtemp(prefix="settle-it-")
    env, log = worker_env(redis_url, fake_esp, var), Path(var) / "celery.log"
    beats = [start_worker_process(env, "beat", f"--schedule={var}/beat{i}", log=log)
             for i in (1, 2)]
    worker = start_worker_process(env, "worker", "--concurrency=2", "--pool=prefork", log=log)
    try:
        assert wait_for(lambda: sum(FakePostmark.received.values()) >= 150, 90), \
            log.read_text()[-3000:]
        os.killpg(worker.pid, signal.SIGKILL)  # mid-batch: no goodbye, no acks
        worker.wait()
        killed_at = sum(FakePostmark.received.values())
        assert killed_at < COUNT, "the kill came too late to test anything"
        worker = start_worker_process(env, "worker", "--concurrency=2", log=log)
        assert wait_for(lambda: _statuses().get(ReminderStatus.SENT, 0)
                         + _statuses().get(ReminderStatus.REVIEW, 0) == COUNT, 240), \
            (_statuses(), list(Reminder.objects.exclude(status__in=[
                ReminderStatus.SENT, ReminderStatus.REVIEW]).values_list(
                "client_id", "status", "scheduled_for", "claimed_at", "last_error")),
             log.read_text()[-3000:])
        time.sleep(3)  # a few more ticks from both beats: nothing more may go out
    finally:
        for proc in (worker, *beats):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)

    statuses = _statuses()
    received = FakePostmark.received
    print(f"killed after {killed_at} deliveries; final {dict(statuses)}; "
          f"ESP got {len(received)} distinct, {sum(received.values())} in all")
    assert max(received.values()) == 1, [k for k, n in received.items() if n > 1]
    sent_ids = {str(m) for m in Reminder.objects.filter(status=ReminderStatus.SENT)
                .values_list("message_id", flat=True)}
    assert sent_ids <= set(received), "a reminder marked sent never reached the ESP"
    review = statuses.get(ReminderStatus.REVIEW, 0)
    # At most what was in flight: one hand-off wave (SETTLE_SEND_CONCURRENCY messages) in
    # each of the worker's two pool processes.
    assert review <= 2 * settings.SETTLE_SEND_CONCURRENCY, statuses
    assert statuses[ReminderStatus.SENT] + review == COUNT
    assert len(received) in range(COUNT - review, COUNT + 1)
