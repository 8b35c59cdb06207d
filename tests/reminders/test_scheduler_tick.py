"""The beat schedule and its tick: a message only wakes the worker; the database records."""

import sqlite3

import pytest
from django.conf import settings
from kombu import Connection

from config.broker import prepare_embedded_broker
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


def test_celery_defaults_to_the_embedded_sqlite_broker():
    # A SQLite file of its own under var/, written in transactions (kombu's SQLAlchemy
    # transport); SQLite waits for a concurrent writer instead of failing.
    assert f"embedded+sqlite:///{settings.VAR_DIR}/broker.sqlite3" == settings.CELERY_BROKER_URL
    assert app.conf.broker_transport_options == {"connect_args": {"timeout": 30}}
    assert app.conf.task_acks_late is True


def test_the_embedded_broker_is_prepared_once_tables_and_wal(tmp_path):
    url = f"embedded+sqlite:///{tmp_path}/sub/broker.sqlite3"
    options = {"connect_args": {"timeout": 30}}
    prepare_embedded_broker(url, options)
    with Connection(url, transport_options=options) as connection:
        assert connection.transport.polling_interval == 0.25  # below the shortest tick
        queue = connection.SimpleQueue("celery")
        queue.put({"wake": "up"})
        message = queue.get(timeout=1)
        assert message.payload == {"wake": "up"}
        message.ack()
        queue.close()
    with sqlite3.connect(tmp_path / "sub" / "broker.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT count(*) FROM kombu_message").fetchone() == (1,)
    prepare_embedded_broker(url, options)  # again, as the next worker start: delivered rows go
    with sqlite3.connect(tmp_path / "sub" / "broker.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM kombu_message").fetchone() == (0,)
    prepare_embedded_broker("redis://127.0.0.1:1/0", {})  # another broker: nothing to do
