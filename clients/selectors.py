"""Reads for clients and their timeline."""

from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet

from clients.business import business
from clients.models import Client, ContactFlag, Interaction
from core import calendar as cal
from core import contact

# Channels Settle can reach a client by ("phone" makes a call task for a person).
IMPLEMENTED_CHANNELS = contact.IMPLEMENTED_CHANNELS


def client_timeline(*, client: Client, limit: int = 50) -> QuerySet[Interaction]:
    """The client's most recent interactions, newest first, with the actor loaded."""
    return client.interactions.select_related("actor").prefetch_related("invoices")[:limit]


def open_flags(client: Client) -> list[ContactFlag]:
    """The client's contact points flagged as not working (uses a prefetch when present)."""
    return [f for f in client.contact_flags.all() if f.cleared_at is None]


def working_contact(client: Client, channel: str) -> str:
    """The channel's address or number when the client has one and it is not flagged; for
    calls, the landline or else the mobile, whichever is not flagged as a wrong number."""
    return contact.working_contact(client, channel, _flagged(client))


def usable_channels(client: Client) -> tuple[str, ...]:
    """The client's channels in preference order that have a contact point not flagged as
    failing (bounced, opted out, wrong number, ...)."""
    return contact.usable_channels(client, _flagged(client))


def _flagged(client: Client) -> set[tuple[str, str]]:
    return {(f.channel, f.value) for f in open_flags(client)}


def open_flags_prefetch() -> Prefetch:
    return Prefetch("contact_flags", ContactFlag.objects.filter(cleared_at__isnull=True))


def business_time(client: Client, now: datetime, *, next_day: bool = False) -> datetime:
    """Now if it is inside the client's business hours, else the next business-hours start
    (always the next business day's start with ``next_day``)."""
    today = client.local_today(now)
    day = cal.next_business_day(today + timedelta(days=1), client.country) if next_day \
        else today
    profile = business()
    return cal.business_moment(day, now, timezone=client.timezone, country=client.country,
                               start=profile.start, end=profile.end)
