"""`/healthz`: is this Settle able to do its job right now? The database answers, the broker
accepts a connection, and the scheduler ticked recently — a stalled beat is an alarm, not a
silence. 200 when all hold, 503 otherwise, with what was checked in a small JSON body (no
secrets: no URLs, no credentials). For load balancers and uptime checks; no login."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT_SECONDS = 2.0


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not a crash
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _broker() -> dict[str, Any]:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "transport": app.conf.broker_url.split(":", 1)[0]}


def scheduler_limit() -> timedelta:
    """Three missed ticks (and a minute of slack) make the scheduler stalled."""
    return timedelta(seconds=3 * settings.SETTLE_TICK_SECONDS + 60)


def _scheduler() -> dict[str, Any]:
    from reminders.selectors import scheduler_last_tick

    state = scheduler_last_tick()
    if state is None or state.last_tick_at is None:
        return {"ok": False, "error": "the scheduler has never ticked"}
    last = state.last_tick_at
    age = timezone.now() - last
    # Errors of the last pass (an invoice that could not be planned, a message that could not
    # be rendered) are reported, not failed on: the other clients' reminders still go out.
    return {"ok": age <= scheduler_limit(), "last_tick_at": last.isoformat(),
            "age_seconds": int(age.total_seconds()),
            "limit_seconds": int(scheduler_limit().total_seconds()),
            "last_pass_errors": state.last_errors}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database()}
    checks["broker"] = _broker()
    checks["scheduler"] = (_scheduler() if checks["database"]["ok"]
                           else {"ok": False, "error": "database unavailable"})
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks},
                        status=200 if healthy else 503)
