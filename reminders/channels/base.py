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
    """Nothing went out; trying again later may work."""

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

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover: ...
