"""Pay-now links: ``SITE_URL/p/<token>/``.

The token is 16 bytes from ``secrets`` (128 bits, 22 URL-safe characters). The database keeps
only its SHA-256, so a leaked backup or a look at the admin gives nobody a working link. A link
is scoped to one client; it stops working when it expires (the admin sets the lifetime), when
it is revoked, or when its client is deactivated — and every such case looks exactly like a
token that never existed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from answers.models import PayLink, PortalSettings
from clients.models import Client

if TYPE_CHECKING:  # the engine's model, named in signatures only (the engine calls us)
    from reminders.models import OutboundMessage

TOKEN_BYTES = 16  # 128 bits of entropy
VALID_DAYS_KEY = "settle:pay-link-valid-days"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(token: str) -> str:
    return f"{settings.SITE_URL}/p/{token}/"


@dataclass(frozen=True)
class IssuedLink:
    link: PayLink
    token: str

    @property
    def url(self) -> str:
        return link_url(self.token)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def valid_days() -> int:
    """The admin's link lifetime, read at most once a minute per process (a send does not
    need a query for it; saving the settings clears the cached value)."""
    days = cache.get(VALID_DAYS_KEY)
    if days is None:
        days = PortalSettings.load().link_valid_days
        cache.set(VALID_DAYS_KEY, days, 60)
    return int(days)


def link_store(*, client: Client, token: str, now: datetime, purpose: str = "reminder",
               message: OutboundMessage | None = None) -> PayLink:
    """Store ``token`` (its hash) as a live link for ``client``."""
    return PayLink.objects.create(client=client, token_hash=token_hash(token), created_at=now,
                                  expires_at=now + timedelta(days=valid_days()),
                                  purpose=purpose, message=message)


def links_store_many(entries: list[tuple[Client, str, OutboundMessage, datetime]]
                     ) -> list[PayLink]:
    """``link_store`` for many messages (client, token, message, now) in one INSERT."""
    days = valid_days()
    return PayLink.objects.bulk_create([
        PayLink(client=client, token_hash=token_hash(token), created_at=now,
                expires_at=now + timedelta(days=days), purpose="reminder", message=message)
        for client, token, message, now in entries])


def link_issue(*, client: Client, now: datetime | None = None,
               purpose: str = "reminder") -> IssuedLink:
    """A fresh link for ``client``, valid for the admin-set number of days."""
    token = new_token()
    link = link_store(client=client, token=token, now=now or timezone.now(), purpose=purpose)
    return IssuedLink(link=link, token=token)


def link_attach(*, issued: IssuedLink, message: OutboundMessage) -> None:
    PayLink.objects.filter(pk=issued.link.pk).update(message=message)


def link_revoke(link: PayLink, now: datetime | None = None) -> None:
    PayLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now())


def link_resolve(token: str, now: datetime | None = None) -> PayLink | None:
    """The live link for ``token``, or None for an unknown, expired or revoked one."""
    if not token or len(token) > 64:
        return None
    now = now or timezone.now()
    return (PayLink.objects.select_related("client", "message")
            .filter(token_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=now,
                    client__is_active=True).first())


def link_visited(link: PayLink, now: datetime) -> bool:
    """Count a visit; True on the link's first one (``reminders.channels.events.
    pay_link_opened`` then marks the message that carried it "clicked")."""
    first = PayLink.objects.filter(pk=link.pk, first_visit_at__isnull=True).update(
        first_visit_at=now) == 1
    PayLink.objects.filter(pk=link.pk).update(last_visit_at=now, visits=F("visits") + 1)
    return first
