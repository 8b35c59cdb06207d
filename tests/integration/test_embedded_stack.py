"""The embedded stack as `make run` starts it — scripts/serve with web, worker and beat on the
SQLite broker — soaked with a 1 s tick: every tick the beat sends runs, nothing is logged as an
error, the web server answers throughout; then a killed worker is restarted by the supervisor
while the web server stays up and the ticks go on."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, app_env, free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.enable_socket,  # loopback only: the web server this test starts
    pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="the embedded stack is SQLite's own: soaked in the SQLite pass"),
]
SOAK_SECONDS = 62
ERRORS = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback|Unrecoverable|database is locked")


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=300).stdout


def _ticks(env: dict[str, str]) -> int:
    out = _manage(env, "shell", "-c", "from reminders.models import SchedulerState as S;"
                  "print(sum(S.objects.values_list('ticks', flat=True)))")
    return int(out.strip().splitlines()[-1])


def _health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def test_make_runs_stack_soaks_without_an_error_and_survives_a_killed_worker() -> None:
    var = tempfile.mkdtemp(prefix="settle-soak-")
    port = free_port()
    env = app_env(SETTLE_VAR_DIR=var, SETTLE_TICK_SECONDS="1", PORT=str(port),
                  DATABASE_URL=f"sqlite:///{var}/db.sqlite3", RUNSERVER_ARGS="--noreload",
                  VENV=str(Path(sys.executable).parent.parent), PYTHONUNBUFFERED="1")
    env.pop("CELERY_BROKER_URL", None)
    # What `make run` does before it serves: migrate, a demo book, one tick.
    _manage(env, "migrate", "-v0")
    _manage(env, "seed_demo", "--clients", "8", "--invoices", "40")
    _manage(env, "reminders_tick")
    log_path = Path(var) / "serve.log"
    with open(log_path, "w") as log:
        serve = subprocess.Popen([sys.executable, "scripts/serve"], cwd=ROOT, env=env,
                                 stdout=log, stderr=subprocess.STDOUT)
    try:
        # Phase 1: the soak. The web server must answer from its first 200 to the end.
        statuses: list[int] = []
        started = time.monotonic()
        ticks_before = _ticks(env)
        while time.monotonic() - started < SOAK_SECONDS:
            statuses.append(_health(port))
            time.sleep(1)
        time.sleep(3)  # let the tick sent last finish
        soak_log = log_path.read_text()
        sent = soak_log.count("Sending due task scheduler-tick")
        ran = _ticks(env) - ticks_before
        assert serve.poll() is None, soak_log[-3000:]
        assert sent >= SOAK_SECONDS - 10, soak_log[-3000:]
        # Every tick the beat sent ran (one may still be on its way when we count).
        assert ran >= sent - 1, (sent, ran, soak_log[-3000:])
        errors = [line for line in soak_log.splitlines() if ERRORS.search(line)]
        assert errors == [], "\n".join(errors[:20])
        assert "[serve]" not in soak_log, soak_log[-3000:]
        first_ok = statuses.index(200)
        assert first_ok < 15 and set(statuses[first_ok:]) == {200}, statuses

        # Phase 2: the worker dies hard; the supervisor says so and starts it again, the web
        # server never stops answering and the ticks go on.
        worker = next(pid for pid in _children(serve.pid) if " worker " in _cmdline(pid))
        os.killpg(worker, signal.SIGKILL)
        ticks_at_kill = _ticks(env)
        deadline = time.monotonic() + 60
        answers = []
        while time.monotonic() < deadline and "starting worker again" not in (
                log_path.read_text()):
            answers.append(_health(port))
            time.sleep(0.5)
        while time.monotonic() < deadline and _ticks(env) < ticks_at_kill + 3:
            answers.append(_health(port))
            time.sleep(1)
        log_text = log_path.read_text()
        assert "[serve] worker stopped (exit code -9)" in log_text, log_text[-3000:]
        assert "[serve] starting worker again (restart 1)" in log_text
        assert _ticks(env) >= ticks_at_kill + 3, log_text[-3000:]
        assert answers and set(answers) <= {200, 503}, answers  # answered, never refused
        assert "web stopped" not in log_text and "beat stopped" not in log_text
        health = json.loads(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/healthz", timeout=5).read())
        assert health["checks"]["broker"] == {"ok": True, "transport": "embedded+sqlite"}
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(60)
    assert "[serve] stopping web, worker and beat" in log_path.read_text()
    assert serve.returncode == 0 and _health(port) == 0  # all three stopped with it
