"""The beat schedule and its tick: a message only wakes the worker; the database records."""

import pytest
from django.conf import settings

from config.celery import app
from reminders.models import SchedulerState
from reminders.tasks import scheduler_tick

pytestmark = pytest.mark.django_db


def test_one_beat_schedule_with_the_tick():
    # The tick, and the import jobs' recovery (a lost wake-up message must not strand a job).
    assert list(app.conf.beat_schedule) == ["scheduler-tick", "transfer-recover-imports"]
    entry = app.conf.beat_schedule["scheduler-tick"]
    assert entry["task"] == scheduler_tick.name
    assert entry["schedule"] == settings.SETTLE_TICK_SECONDS


def test_tick_records_a_heartbeat_and_repeats_harmlessly():
    scheduler_tick.apply()
    first = SchedulerState.objects.get()
    scheduler_tick.apply()
    second = SchedulerState.objects.get()
    assert second.pk == first.pk
    assert second.ticks == first.ticks + 1 == 2
    assert second.last_tick_at >= first.last_tick_at


def test_celery_defaults_to_the_filesystem_broker():
    assert settings.CELERY_BROKER_URL == "filesystem://"
    assert app.conf.broker_transport_options["data_folder_in"].startswith(
        str(settings.VAR_DIR))
    assert app.conf.task_acks_late is True
