"""The test suite: fast hashing, in-memory mail, no network (pytest-socket), SQLite in memory
unless DATABASE_URL points at the throwaway PostgreSQL that `make test` starts."""

import tempfile
from pathlib import Path

from .base import *

SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Uploads (dispute attachments) go to a throwaway directory, never into var/.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="settle-test-media-"))
