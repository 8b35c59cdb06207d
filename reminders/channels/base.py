"""What every channel shares: the ``send`` interface and the errors it may raise.

``send(message, *, reply_to) -> Handover`` says who took the message, under which id and in
what state. It raises ``PermanentError`` when this contact point will not work (the dispatcher
flags it, with ``reason``, and falls back to the client's next channel) or ``TransientError``
when trying again later may work (retried with backoff; nothing was sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from clients.models import FlagReason
from reminders.models import MessageStatus, OutboundMessage

CHANNEL_LABEL = {"email": "Email", "sms": "SMS", "letter": "Letter", "phone": "Call"}

class ChannelError(Exception):
    def __init__(self, message: str, *, reason: FlagReason | None = None) -> None:
        super().__init__(message)
        self.reason = reason

class PermanentError(ChannelError):
    """This contact point does not work: flag it (``reason``) and use the next channel."""

class TransientError(ChannelError):
    """Nothing went out; trying again later may work (``retry_after`` seconds: the provider
    said when, e.g. a 429's Retry-After; such a wait is not a failed attempt)."""

    def __init__(self, message: str, *, reason: FlagReason | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, reason=reason)
        self.retry_after = retry_after

def retry_after_seconds(response: object, default: float = 60.0) -> float:
    """A 429 response's Retry-After in seconds (the HTTP-date form counts as ``default``)."""
    headers = getattr(response, "headers", None) or {}
    try:
        return max(1.0, float(headers.get("Retry-After", default)))
    except (TypeError, ValueError):
        return default

@dataclass(frozen=True)
class Handover:
    provider: str
    provider_id: str
    status: str = MessageStatus.ACCEPTED
    segments: int = 0
    # False for letters: they are recorded in the timeline when the batch is posted.
    reached_client: bool = True

class Channel(Protocol):
    name: str
    # True when ``send`` only calls the provider (no database): it may run in a hand-off
    # thread, several at once (reminders.handoff).
    concurrent: bool

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover: ...
