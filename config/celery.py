"""The Celery app. A message is only a wake-up call: every task reads what to do from the
database, so a lost or repeated message delays work by at most one tick and never repeats it.
The one beat schedule is ``CELERY_BEAT_SCHEDULE`` in config/settings/base.py."""

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

from config.broker import prepare_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("settle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _prepare_broker(sender: Any = None, **kwargs: Any) -> None:
    """A worker or beat about to start: make the embedded broker ready (no-op for Redis)."""
    prepare_embedded_broker(app.conf.broker_url, dict(app.conf.broker_transport_options),
                            queue=app.conf.task_default_queue)
