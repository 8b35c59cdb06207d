"""Deployment checks (``manage.py check --deploy``, run by ``make prod-migrate``): settings that
work on a laptop but are unsafe with several web workers or an ESP on the internet."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

# Caches whose contents live in one process: each gunicorn worker would count rate limits on
# its own (N workers let N times the limit through), or not at all (dummy).
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps its counters in each process's "
                                                     "memory",
    "django.core.cache.backends.dummy.DummyCache": "stores nothing, so nothing is ever limited",
}
# Shared, but incremented by read-then-write: concurrent requests can undercount.
NON_ATOMIC_CACHES = ("django.core.cache.backends.db.DatabaseCache",
                     "django.core.cache.backends.filebased.FileBasedCache")


@checks.register(checks.Tags.security, checks.Tags.caches, deploy=True)
def check_shared_rate_limit_cache(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    if backend in PROCESS_LOCAL_CACHES:
        return [checks.Error(
            f"The '{alias}' cache ({backend}) {PROCESS_LOCAL_CACHES[backend]}: the pay-now "
            "pages' rate limits would be per web worker, not per installation.",
            hint="Set CACHE_URL to a Redis shared by every web worker, e.g. "
                 "CACHE_URL=redis://localhost:6379/1 (docker-compose sets it).",
            id="settle.E001")]
    if backend in NON_ATOMIC_CACHES:
        return [checks.Warning(
            f"The '{alias}' cache ({backend}) is shared but does not increment atomically: "
            "concurrent requests can undercount the rate limits.",
            hint="Set CACHE_URL to a Redis, e.g. CACHE_URL=redis://localhost:6379/1.",
            id="settle.W001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_email_webhook_secret(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    esp = getattr(settings, "ESP", "") or ""
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if not (esp or backend.startswith("anymail.")):
        return []
    if (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        return []
    return [checks.Error(
        f"An ESP is configured ({esp or backend}) but ANYMAIL_WEBHOOK_SECRET is not set: the "
        "e-mail tracking webhook refuses every event, so bounces, deliveries and complaints "
        "are never recorded.",
        hint="Set ANYMAIL_WEBHOOK_SECRET=user:long-random-password and give the ESP the "
             "webhook URL https://user:long-random-password@<your host>/anymail/<esp>/tracking/.",
        id="settle.E002")]
