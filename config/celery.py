"""The Celery app. A message is only a wake-up call: every task reads what to do from the
database, so a lost or repeated message delays work by at most one tick and never repeats it.
The one beat schedule is ``CELERY_BEAT_SCHEDULE`` in config/settings/base.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("settle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
