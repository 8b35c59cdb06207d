"""Reads for clients and their timeline."""

from django.db.models import QuerySet

from clients.models import Client, Interaction


def client_timeline(*, client: Client, limit: int = 50) -> QuerySet[Interaction]:
    """The client's most recent interactions, newest first, with the actor loaded."""
    return client.interactions.select_related("actor").prefetch_related("invoices")[:limit]
