"""Local development: `make run`. DEBUG on, a fixed throwaway key, mail kept in var/."""

from .base import *

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-use-in-production"
# Tick every minute on a laptop, so `make run` shows reminders going out soon after start.
SETTLE_TICK_SECONDS = env.int("SETTLE_TICK_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["scheduler-tick"].update(
    schedule=float(SETTLE_TICK_SECONDS), options={"expires": float(SETTLE_TICK_SECONDS)})
