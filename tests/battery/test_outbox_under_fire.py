"""The outbox under fire, beyond tests/integration/test_reminder_delivery.py (which SIGKILLs the
whole worker mid-batch with two beats running): a pool child killed, a countdown longer than
Redis' visibility timeout, Redis flushed with ticks queued, four dispatchers at the same moment.

Each runs real processes (Celery prefork workers, Redis, the fake Postmark counting arrivals per
outbox message) against the PostgreSQL test database, so they run in the PostgreSQL pass only.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from reminders.dispatch import reminders_dispatch
from reminders.models import Reminder, ReminderStatus
from reminders.outbox import TickReport
from tests.battery.fire import (
    ONLY_POSTGRES,
    WHY_POSTGRES,
    FakePostmark,
    book,
    children,
    delivered,
    esp_counts,
    log_tail,
    send_tick,
    start_worker_process,
    statuses,
    stop,
    ticks,
    wait_for,
    worker_env,
)
from tests.concurrency import at_once

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.enable_socket, pytest.mark.skipif(ONLY_POSTGRES, reason=WHY_POSTGRES)]


def _runs(log: Path) -> list[str]:
    """The ids of the tasks the worker ran to the end, once per run (a redelivered copy
    runs under the same id)."""
    return re.findall(r"Task reminders\.tasks\.\w+\[([0-9a-f-]+)\] succeeded",
                      log.read_text(errors="replace"))


@pytest.fixture
def broker(redis_url: str) -> Iterator[redis.Redis]:
    """The session's Redis, emptied before and after (tests must not see each other's
    messages)."""
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.flushall()
    client.close()


@pytest.fixture
def slow_esp(fake_esp: Any) -> Iterator[Any]:
    """The fake Postmark taking ``delay`` per message (set by the test)."""
    before = FakePostmark.delay
    yield fake_esp
    FakePostmark.delay = before


def _var() -> tuple[str, Path]:
    var = tempfile.mkdtemp(prefix="settle-battery-")
    return var, Path(var) / "celery.log"


def test_a_pool_child_killed_mid_task_is_redelivered_and_nothing_doubles(
        redis_url, broker, slow_esp, battery):
    count = 80
    FakePostmark.delay = 0.04  # ~3 s of ESP time for the whole batch in one tick
    book(count)
    var, log = _var()
    env = worker_env(redis_url, slow_esp, var)
    battery.tried(f"{count} due reminders, ONE tick message queued (no beat), a prefork worker "
                  "(concurrency 2); both pool children SIGKILLed mid-batch, the main process "
                  "left running")
    worker = start_worker_process(env, "worker", "--concurrency=2", "--pool=prefork",
                                  "--loglevel=INFO", log=log)
    try:
        send_tick(redis_url)
        assert wait_for(lambda: esp_counts()[1] >= 20, 60), log_tail(log)
        pool = children(worker.pid)
        assert len(pool) == 2, pool
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        killed_at = esp_counts()[1]
        assert killed_at < count, "the kill came too late to test anything"
        # No beat, no other message: only the redelivered task (and the chunk it hands back
        # once the dead child's lease has run out) can send the rest; what the children had
        # in flight (a hand-off wave each) is in review once its claim is stale.
        in_flight = 2 * settings.SETTLE_SEND_CONCURRENCY
        assert wait_for(lambda: esp_counts()[1] >= count - in_flight, 60), (
            esp_counts(), statuses(), log_tail(log))
        assert worker.poll() is None, "the main process died"
        replaced = children(worker.pid)
        assert replaced and not set(replaced) & set(pool)
        redelivered_ticks = ticks()
        battery.held(f"killed after {killed_at} deliveries; the main process replaced its "
                     f"pool ({pool} → {replaced}) and the tick message came back "
                     f"(acks_late + reject_on_worker_lost): {redelivered_ticks} tick runs "
                     "from one message, the rest sent")
        # The row the dead child held is 'claimed' or 'sending': the next tick, once the claim
        # is stale (SETTLE_STALE_CLAIM_SECONDS=3), puts it back or into review.
        time.sleep(3.5)
        send_tick(redis_url)
        assert wait_for(lambda: delivered() == count, 30), (statuses(), log_tail(log))
        time.sleep(1)
    finally:
        stop(worker)
    distinct, total, most = esp_counts()
    final = statuses()
    assert most == 1, [k for k, n in FakePostmark.received.items() if n > 1]
    review = final.get(ReminderStatus.REVIEW, 0)
    assert review <= 2 * settings.SETTLE_SEND_CONCURRENCY, final  # what was in flight
    assert final[ReminderStatus.SENT] + review == count, final
    assert distinct in range(count - review, count + 1)
    log_text = log.read_text(errors="replace")
    assert "WorkerLostError" in log_text or "signal 9" in log_text
    battery.held(f"final {dict(final)}; the ESP got {distinct} distinct messages, {total} in "
                 f"all, none twice; the one in flight when the child died is "
                 f"{'in review' if review else 'sent once'} (never re-sent blindly)")


def test_a_countdown_longer_than_the_visibility_timeout_does_the_work_once(
        redis_url, broker, slow_esp, battery):
    count, visibility, countdown = 40, 2, 6
    # Slow enough that the dispatch task the tick hands out runs longer than the visibility
    # timeout (40 messages, 8 at a time, 0.5 s each): Redis gives it to the worker again.
    FakePostmark.delay = 0.5
    book(count)
    var, log = _var()
    env = {**worker_env(redis_url, slow_esp, var),
           "DJANGO_SETTINGS_MODULE": "tests.battery.worker_settings",
           "SETTLE_TEST_VISIBILITY_TIMEOUT": str(visibility)}
    battery.tried(f"a tick with countdown={countdown}s on Redis with visibility_timeout="
                  f"{visibility}s (kombu sweeping every second), {count} reminders due, a "
                  "prefork worker of 2")
    worker = start_worker_process(env, "worker", "--concurrency=2", "--pool=prefork",
                                  "--loglevel=INFO", log=log)
    try:
        queued_at = time.monotonic()
        send_tick(redis_url, countdown=countdown)
        time.sleep(countdown - 1.5)
        assert ticks() == 0 and esp_counts()[1] == 0, "the countdown was not honoured"
        assert wait_for(lambda: delivered() == count, 40), (statuses(), log_tail(log))
        sent_by = esp_counts()[1]
        # Copies redelivered while a run was in progress still run (each finds nothing to do)
        # until none is left: a loop would keep the count rising for ever.
        quiet_for, runs, deadline = 3 * visibility + 1, len(_runs(log)), time.monotonic() + 40
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < quiet_for:
            assert time.monotonic() < deadline, f"still redelivering: {len(_runs(log))} runs"
            time.sleep(0.5)
            if len(_runs(log)) != runs:
                runs, quiet_since = len(_runs(log)), time.monotonic()
        waited = time.monotonic() - queued_at
        assert broker.llen("celery") == 0 and broker.hlen("unacked") == 0
    finally:
        stop(worker)
    distinct, total, most = esp_counts()
    assert (distinct, total, most) == (count, count, 1) and sent_by == count
    assert statuses() == {ReminderStatus.SENT: count}
    ids = Counter(_runs(log))
    assert max(ids.values()) >= 2, "no redelivery happened: the scenario was not exercised"
    battery.held(f"nothing ran before the countdown; a message was redelivered while it "
                 f"waited or ran ({max(ids.values())} runs of one task id, {runs} task runs "
                 f"in all: the tick, its dispatch chunks, their copies), then stopped (no new "
                 f"run for "
                 f"{quiet_for} s, queue and unacked empty {waited:.0f} s after queueing); "
                 f"each of the {count} reminders reached the ESP exactly once (the database "
                 "claim makes the extra runs harmless)")


def test_redis_flushed_with_ticks_queued_the_next_tick_recovers_everything(
        redis_url, broker, slow_esp, battery):
    count = 60
    FakePostmark.delay = 0.005
    book(count)
    var, log = _var()
    env = worker_env(redis_url, slow_esp, var)
    battery.tried(f"{count} due reminders; 3 tick messages queued while no worker runs; "
                  "Redis FLUSHALL; then a worker with its beat (1 s ticks, concurrency 1) "
                  "starts")
    for _ in range(3):
        send_tick(redis_url)
    assert broker.llen("celery") == 3
    broker.flushall()
    assert broker.dbsize() == 0 and broker.llen("celery") == 0
    assert statuses() == {ReminderStatus.SCHEDULED: count}
    battery.held("after the flush Redis is empty: the queued work exists only in the "
                 f"database ({count} rows 'scheduled')")
    worker = start_worker_process(env, "worker", "--beat", f"--schedule={var}/beat",
                                  "--concurrency=1", log=log)
    try:
        assert wait_for(lambda: delivered() == count, 60), (statuses(), log_tail(log))
        time.sleep(2)  # more ticks: nothing more may go out
    finally:
        stop(worker)
    distinct, total, most = esp_counts()
    assert (distinct, total, most) == (count, count, 1)
    # The first tick hands the due clients out in chunks; each chunk's task sends at its own
    # 'now': as many distinct send times as the first tick's chunks.
    sent_at = set(Reminder.objects.values_list("sent_at", flat=True))
    chunks = -(-count // settings.SETTLE_DISPATCH_CHUNK)
    assert len(sent_at) <= chunks, f"took {len(sent_at)} passes, not the first tick's {chunks}"
    battery.held(f"the first tick after the restart sent all {count} ({chunks} chunks of its "
                 f"fan-out, {min(sent_at):%H:%M:%S}–{max(sent_at):%H:%M:%S}); the ESP got "
                 "each exactly once")


def test_four_dispatchers_at_the_same_moment_send_each_reminder_once(
        slow_esp, settings, battery):
    count, dispatchers = 100, 4
    FakePostmark.delay = 0.002
    settings.ESP = "postmark"
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test-token",
                        "POSTMARK_API_URL": f"http://127.0.0.1:{slow_esp.server_address[1]}/"}
    book(count)
    battery.tried(f"{dispatchers} threads, each with its own PostgreSQL connection, calling "
                  f"reminders.dispatch.reminders_dispatch at the same instant over the same "
                  f"{count} due reminders")
    results = at_once(lambda: reminders_dispatch(now=timezone.now()), times=dispatchers,
                      timeout=120)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    reports: list[TickReport] = results
    sent = [r.sent for r in reports]
    distinct, total, most = esp_counts()
    assert sum(sent) == count and (distinct, total, most) == (count, count, 1)
    assert statuses() == {ReminderStatus.SENT: count}
    assert sum(1 for n in sent if n) >= 2, f"one dispatcher did everything: {sent}"
    battery.held(f"the dispatchers sent {sent} (sum {sum(sent)}); the ESP got each of the "
                 f"{count} exactly once; every row 'sent' (two beats ticking together: see "
                 "tests/integration/test_reminder_delivery.py)")
