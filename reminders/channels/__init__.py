"""Channels: one module per way of reaching a client, behind one interface (``base``).

- ``email``: Django's mail API through django-anymail, and the ESP's tracking events;
- ``sms``: Twilio, its status callbacks and inbound messages (STOP, START, HELP);
- ``letter``: a PDF (WeasyPrint) into the print queue;
- calls (the client prefers the phone, or the step asks for a call) become a task for a person
  (``reminders.calls``).

``events`` records what providers report about a message; ``fallback`` moves a reminder to the
client's next working channel when one fails; ``compose`` renders a message for a channel.
"""

from __future__ import annotations

from reminders.channels.base import (
    CHANNEL_LABEL,
    Channel,
    ChannelError,
    Handover,
    PermanentError,
    TransientError,
)
from reminders.channels.email import EmailChannel
from reminders.channels.letter import LetterChannel
from reminders.channels.sms import SmsChannel

CHANNELS: dict[str, Channel] = {"email": EmailChannel(), "sms": SmsChannel(),
                                "letter": LetterChannel()}

__all__ = ["CHANNELS", "CHANNEL_LABEL", "Channel", "ChannelError", "Handover",
           "PermanentError", "TransientError"]
