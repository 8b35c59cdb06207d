"""Request facts the security middleware agree on."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the header a trusted reverse proxy sets
    (RATELIMIT_IP_META_KEY, e.g. HTTP_X_REAL_IP). Login lockout and the pay-now pages' rate
    limits count by the same address."""
    value = request.META.get(settings.RATELIMIT_IP_META_KEY) or request.META.get("REMOTE_ADDR")
    return (value or "").split(",")[0].strip()
