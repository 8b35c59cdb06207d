"""Where the business profile is cached, and forgetting it: shared by the model (saving the
profile forgets it) and by ``clients.business`` (which reads it)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def cache_key() -> str:
    # Part of the key: the settings the fallbacks come from (tests override them).
    seed = "|".join(str(getattr(settings, name, "")) for name in (
        "SETTLE_BUSINESS_NAME", "SETTLE_BUSINESS_ADDRESS", "SETTLE_SUPPORT_PHONE",
        "DEFAULT_FROM_EMAIL", "SETTLE_BUSINESS_HOURS"))
    return "settle:business:" + hashlib.sha256(seed.encode()).hexdigest()[:16]


def forget() -> None:
    cache.delete(cache_key())
