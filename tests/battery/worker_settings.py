"""Settings for the battery's Celery workers: the development settings with a Redis visibility
timeout short enough to test (``SETTLE_TEST_VISIBILITY_TIMEOUT`` seconds) and kombu sweeping
for expired unacked messages every second, so a redelivery that production would make after an
hour happens within the test."""

from config.settings.dev import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("SETTLE_TEST_VISIBILITY_TIMEOUT", default=3600),  # noqa: F405
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
