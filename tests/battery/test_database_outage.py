"""PostgreSQL stopped for 30 seconds under a running worker: the worker survives, recovers by
itself when the database is back, and catches up — every reminder ends sent (or in review, when
the outage cut it mid-send), none reaches the ESP twice.

The database is a cluster of this test's own (initdb in a temporary directory, Unix socket only,
like scripts/with-postgres), so stopping it does not disturb the rest of the suite. It runs in
the PostgreSQL pass of `make test` (its binaries are there), and takes about a minute.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from tests.battery.fire import (
    ONLY_POSTGRES,
    WHY_POSTGRES,
    FakePostmark,
    esp_counts,
    log_tail,
    start_worker_process,
    stop,
    wait_for,
)
from tests.integration.conftest import ROOT, app_env, free_port

pytestmark = [pytest.mark.integration, pytest.mark.enable_socket,
              pytest.mark.skipif(ONLY_POSTGRES, reason=WHY_POSTGRES)]

COUNT = 60
OUTAGE_SECONDS = 30


class Cluster:
    """A throwaway PostgreSQL: as the ``postgres`` user when we are root (initdb refuses root)."""

    def __init__(self) -> None:
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                          key=lambda p: int(p.split("/")[-2]))
        if not versions:
            pytest.skip("PostgreSQL server binaries are not installed (apt-get install "
                        "postgresql)")
        self.bin = Path(versions[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="settle-outage-"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "app", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bin / program), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                  "start", "-o", f"-p {self.port} -c listen_addresses='' -k {self.dir} "
                  "-c fsync=off")
        # Commits stay synchronous, as in production: with synchronous_commit=off a crash
        # loses the last commits, e.g. a row marked 'sending' just before its send, and that
        # reminder goes out again (this test caught exactly that). fsync=off is harmless here:
        # the server crashes, not the machine, so the operating system keeps what was written.

    def crash(self) -> None:
        """Stop at once, as a crash or a failover would: connections are cut mid-query."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")

    @property
    def url(self) -> str:
        return f"postgres://app@{quote(str(self.dir), safe='')}:{self.port}/postgres"

    def statuses(self) -> Counter[str] | None:
        """Reminder statuses, or None while the database is down."""
        try:
            with psycopg.connect(host=str(self.dir), port=self.port, user="app",
                                 dbname="postgres", connect_timeout=2) as conn:
                rows = conn.execute("SELECT status, count(*) FROM reminders_reminder "
                                    "GROUP BY status").fetchall()
        except psycopg.OperationalError:
            return None
        return Counter({status: n for status, n in rows})

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.crash()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster(socket_enabled_session: None) -> Iterator[Cluster]:
    cluster = Cluster()
    cluster.start()
    yield cluster
    cluster.remove()


SEED = f"""
import django
django.setup()
from tests.battery.fire import book
book({COUNT}, prefix="OUT")
"""


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _done(statuses: Counter[str] | None) -> bool:
    return statuses is not None and statuses["sent"] + statuses["review"] == COUNT


def test_postgres_down_for_30_seconds_the_worker_recovers_and_catches_up(
        cluster: Cluster, redis_url: str, fake_esp: Any, battery: Any) -> None:
    var = tempfile.mkdtemp(prefix="settle-outage-var-")
    log = Path(var) / "celery.log"
    env = app_env(DATABASE_URL=cluster.url, CELERY_BROKER_URL=redis_url, SETTLE_VAR_DIR=var,
                  SETTLE_TICK_SECONDS="1", SETTLE_STALE_CLAIM_SECONDS="3", ESP="postmark",
                  ANYMAIL_POSTMARK_SERVER_TOKEN="test-token",
                  ANYMAIL_POSTMARK_API_URL=f"http://127.0.0.1:{fake_esp.server_address[1]}/")
    _manage(env, "manage.py", "migrate", "--noinput")
    _manage(env, "-c", SEED)
    assert cluster.statuses() == Counter({"scheduled": COUNT})
    before = FakePostmark.delay
    FakePostmark.delay = 0.1  # a batch takes seconds: the crash lands mid-batch
    battery.tried(f"{COUNT} due reminders in a PostgreSQL of the test's own; a worker with "
                  "its beat (1 s ticks); the database crash-stopped (pg_ctl -m immediate) "
                  f"mid-batch and started again {OUTAGE_SECONDS} s later")
    worker = start_worker_process(env, "worker", "--beat", f"--schedule={var}/beat",
                                  "--concurrency=1", "--loglevel=INFO", log=log)
    try:
        assert wait_for(lambda: esp_counts()[1] >= 10, 60), log_tail(log)
        cluster.crash()
        cut_at = esp_counts()[1]
        assert cut_at < COUNT, "the outage came too late to test anything"
        time.sleep(OUTAGE_SECONDS)
        assert worker.poll() is None, "the worker died with its database: " + log_tail(log)
        during = esp_counts()[1]
        cluster.start()
        back_at = time.monotonic()
        assert wait_for(lambda: _done(cluster.statuses()), 60), (cluster.statuses(),
                                                                  log_tail(log))
        caught_up = time.monotonic() - back_at
        time.sleep(2)  # further ticks: nothing more may go out
        assert worker.poll() is None
    finally:
        FakePostmark.delay = before
        stop(worker)
    final = cluster.statuses()
    distinct, _, most = esp_counts()
    assert most == 1, [k for k, n in FakePostmark.received.items() if n > 1]
    assert final["review"] <= 1 and final["sent"] + final["review"] == COUNT, final
    assert distinct in range(COUNT - final["review"], COUNT + 1)
    text = log.read_text(errors="replace")
    assert "OperationalError" in text or "connection" in text.lower()
    battery.held(f"{cut_at} sent before the crash, {during - cut_at} more reached the ESP "
                 f"during the {OUTAGE_SECONDS} s outage; the worker stayed up, its ticks "
                 f"failing meanwhile, reconnected by itself and caught up "
                 f"{caught_up:.0f} s after the database returned: {dict(final)}; the ESP got "
                 f"{distinct} distinct messages, none twice")
