"""Reads for clients and their timeline."""

from django.db.models import QuerySet

from clients.models import Client, ContactFlag, Interaction


def client_timeline(*, client: Client, limit: int = 50) -> QuerySet[Interaction]:
    """The client's most recent interactions, newest first, with the actor loaded."""
    return client.interactions.select_related("actor").prefetch_related("invoices")[:limit]


def open_flags(client: Client) -> list[ContactFlag]:
    """The client's contact points flagged as not working (uses a prefetch when present)."""
    return [f for f in client.contact_flags.all() if f.cleared_at is None]


def working_contact(client: Client, channel: str) -> str:
    """The channel's address or number when the client has one and it is not flagged; for
    calls, the landline or else the mobile, whichever is not flagged as a wrong number."""
    flagged = {(f.channel, f.value) for f in open_flags(client)}
    candidates = ([client.phone, client.mobile_phone] if channel == "phone"
                  else [client.contact_for(channel)])
    return next((v for v in candidates if v and (channel, v) not in flagged), "")
