"""Letters: the letter's PDF is rendered into the message, which then waits in the print
queue until a bookkeeper downloads a batch and marks it posted (``work.printing``); a
print-and-post provider would be another class here."""

from __future__ import annotations

from reminders.channels.base import Handover
from reminders.letters import render_pdf
from reminders.models import MessageStatus, OutboundMessage


class LetterChannel:
    """Renders the letter's PDF into the message and leaves it in the print queue."""

    name = "letter"

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover:
        message.document = render_pdf(message.html)
        message.save(update_fields=["document"])
        return Handover(provider="print_queue", provider_id=f"letter-{message.pk}",
                        status=MessageStatus.PRINT_QUEUE, reached_client=False)
