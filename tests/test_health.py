"""`/healthz`: 200 when the database answers, the broker accepts a connection and the
scheduler ticked recently; 503 with the reason when the beat has stalled or never ran, or
the broker is unreachable."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from reminders.tick import scheduler_heartbeat

pytestmark = pytest.mark.django_db


def test_healthy_after_a_recent_tick(client):
    scheduler_heartbeat()
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["scheduler"]["age_seconds"] < 5
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_stalled_or_missing_beat_is_an_alarm(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"]["error"] == "the scheduler has never ticked"
    settings.SETTLE_TICK_SECONDS = 60
    with time_machine.travel(timezone.now() - timedelta(minutes=5), tick=False):
        scheduler_heartbeat()
    stalled = client.get("/healthz").json()
    assert stalled["status"] == "failing" and stalled["checks"]["scheduler"]["ok"] is False
    assert stalled["checks"]["scheduler"]["limit_seconds"] == 240


def test_an_unreachable_broker_is_reported_without_its_address(client, settings):
    from config.celery import app

    scheduler_heartbeat()
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://:secret@127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert "secret" not in response.content.decode()
