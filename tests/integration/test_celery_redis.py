"""A real Celery worker with beat, on a real Redis broker, runs the scheduler tick against a
real database: the production wiring, end to end."""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, app_env

pytestmark = pytest.mark.integration
VENV_BIN = Path(sys.executable).parent


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True, timeout=120).stdout


def test_worker_and_beat_tick_through_redis(redis_url):
    var = tempfile.mkdtemp(prefix="settle-it-")
    env = app_env(CELERY_BROKER_URL=redis_url, SETTLE_VAR_DIR=var, SETTLE_TICK_SECONDS="1",
                  DATABASE_URL=f"sqlite:///{var}/db.sqlite3")
    _manage(env, "migrate", "-v0")
    worker = subprocess.Popen(
        [str(VENV_BIN / "celery"), "-A", "config", "worker", "--beat", "--concurrency=1",
         "--loglevel=INFO", f"--schedule={var}/beat"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ticks = 0
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and ticks < 2:
            time.sleep(1)
            out = _manage(env, "shell", "-c", "from reminders.models import SchedulerState as S;"
                          "print(sum(S.objects.values_list('ticks', flat=True)))")
            ticks = int(out.strip().splitlines()[-1])
    finally:
        worker.terminate()
        log = worker.communicate(timeout=30)[0]
    assert ticks >= 2, log[-3000:]
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    assert f"Connected to redis://:**@127.0.0.1:{port}/0" in log
