"""Who the business is and when it works, for every message, letter, page and plan: the
admin's Business profile where filled in, else the server's settings. Read at most once a
minute per process (a send must not cost a query for it); saving the profile clears it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from clients.business_cache import cache_key
from clients.models import BusinessProfile


@dataclass(frozen=True)
class Business:
    name: str
    address: str  # lines separated by "\n"
    support_phone: str
    from_email: str
    start: time
    end: time
    payment_sync_max_hours: int = 30

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.address.splitlines() if line.strip()]

    @property
    def contact(self) -> str:
        """Phone and email address, for "Questions?" lines."""
        return " · ".join(x for x in (self.support_phone, self.from_email) if x)


def business() -> Business:
    found = cache.get(cache_key())
    if found is None:
        found = _load()
        cache.set(cache_key(), found, 60)
    return found


def _load() -> Business:
    row = BusinessProfile.objects.first()
    hours = settings.SETTLE_BUSINESS_HOURS
    start = row.business_start if row and row.business_start else time.fromisoformat(hours[0])
    end = row.business_end if row and row.business_end else time.fromisoformat(hours[1])
    return Business(
        name=(row.name if row and row.name else settings.SETTLE_BUSINESS_NAME),
        address=(row.address if row and row.address.strip()
                 else str(settings.SETTLE_BUSINESS_ADDRESS or "")),
        support_phone=(row.support_phone if row and row.support_phone
                       else settings.SETTLE_SUPPORT_PHONE),
        from_email=(row.from_email if row and row.from_email else settings.DEFAULT_FROM_EMAIL),
        start=start, end=end,
        payment_sync_max_hours=row.payment_sync_max_hours if row else 30)


def sender_block() -> dict[str, Any]:
    """The business as sender: name, address lines (the Business profile, else
    SETTLE_BUSINESS_ADDRESS with lines separated by "|" or newlines) and the one-line return
    address of a window envelope."""
    profile = business()
    name = profile.name
    raw = profile.address
    address = [line.strip() for line in re.split(r"[|\n]", raw) if line.strip()]
    return {"name": name, "address": address, "return_line": " · ".join([name, *address])}
