"""Channels: one small class per way of reaching a client, behind one interface.

``send(message, *, reply_to) -> Handover`` says who took the message, under which id and in
what state. It raises ``PermanentError`` when this contact point will not work (the dispatcher
flags it, with ``reason``, and falls back to the client's next channel) or ``TransientError``
when trying again later may work (retried with backoff; nothing was sent).

- Email goes through Django's mail API, so the ESP is whatever django-anymail backend the
  environment configures; without one the message stays in Settle and nothing leaves.
- SMS goes through the twilio client library, with a status callback URL on every message;
  without Twilio credentials it stays in Settle the same way.
- Letters are rendered to PDF (WeasyPrint) and wait in the print queue until a bookkeeper
  downloads a batch and marks it posted; a print-and-post provider would be another class here.
- Calls (the client prefers the phone, or the step asks for a call) become a task for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from clients.business import business
from clients.models import FlagReason
from config.integrations import twilio_configured
from core.sms import count_segments
from reminders.models import MessageStatus, OutboundMessage


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


class EmailChannel:
    name = "email"

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover:
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.text, from_email=business().from_email,
            to=[message.to], reply_to=[reply_to] if reply_to else None,
            headers={"X-Settle-Message": str(message.pk)})
        if message.html:
            email.attach_alternative(message.html, "text/html")
        # anymail passes these to the ESP: the outbox id tags the message at the provider.
        email.tags = ["reminder"]  # type: ignore[attr-defined]
        email.metadata = {"settle_message_id": str(message.pk)}  # type: ignore[attr-defined]
        try:
            sent = email.send(fail_silently=False)
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            # 401/403 mean our credentials are wrong, not the address: retry once fixed.
            if status is not None and 400 <= status < 500 and status not in (401, 403, 429):
                raise PermanentError(f"The email provider refused the message: {exc}",
                                     reason=FlagReason.INVALID) from exc
            raise TransientError(f"Email could not be sent now: {exc}") from exc
        if not sent:
            raise TransientError("The email backend accepted nothing.")
        status = getattr(email, "anymail_status", None)
        provider_id = getattr(status, "message_id", None) if status else None
        return Handover(provider=settings.ESP or "local",
                        provider_id=str(provider_id or f"local-{message.pk}"))


# Twilio error codes (https://www.twilio.com/docs/api/errors) that say the number will not work.
TWILIO_OPTED_OUT = {21610, 30004}  # recipient unsubscribed (STOP) / message blocked
TWILIO_INVALID = {21211, 21214, 21217, 21401, 21407, 21408, 21612, 21614, 30005, 30006}


def twilio_flag_reason(code: int | None) -> FlagReason | None:
    if code in TWILIO_OPTED_OUT:
        return FlagReason.OPTED_OUT
    if code in TWILIO_INVALID:
        return FlagReason.INVALID
    return None


class SmsChannel:
    name = "sms"

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover:
        segments = count_segments(message.text).segments
        if not twilio_configured():
            return Handover(provider="local", provider_id=f"local-{message.pk}",
                            status=MessageStatus.QUEUED, segments=segments)
        from twilio.base.exceptions import TwilioException, TwilioRestException
        from twilio.rest import Client as Twilio

        sender = ({"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
                  if settings.TWILIO_MESSAGING_SERVICE_SID
                  else {"from_": settings.TWILIO_FROM_NUMBER})
        try:
            sms = Twilio(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN).messages.create(
                to=message.to, body=message.text,
                status_callback=f"{settings.SITE_URL}/hooks/twilio/status/", **sender)
        except TwilioRestException as exc:
            reason = twilio_flag_reason(exc.code)
            if reason is not None:
                raise PermanentError(f"Twilio refused the SMS to {message.to}: {exc.msg} "
                                     f"(error {exc.code})", reason=reason) from exc
            if exc.status in (401, 403, 429) or exc.status >= 500:
                raise TransientError(f"Twilio is not taking messages now: {exc.msg} "
                                     f"(HTTP {exc.status})") from exc
            raise PermanentError(f"Twilio refused the SMS to {message.to}: {exc.msg} "
                                 f"(error {exc.code})") from exc
        except (TwilioException, OSError) as exc:  # connection errors, timeouts
            raise TransientError(f"SMS could not be sent now: {exc}") from exc
        return Handover(provider="twilio", provider_id=str(sms.sid),
                        status=MessageStatus.QUEUED,
                        segments=int(sms.num_segments or 0) or segments)


class LetterChannel:
    """Renders the letter's PDF into the message and leaves it in the print queue."""

    name = "letter"

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover:
        from reminders.letters import render_pdf

        message.document = render_pdf(message.html)
        message.save(update_fields=["document"])
        return Handover(provider="print_queue", provider_id=f"letter-{message.pk}",
                        status=MessageStatus.PRINT_QUEUE, reached_client=False)


CHANNELS: dict[str, Channel] = {"email": EmailChannel(), "sms": SmsChannel(),
                                "letter": LetterChannel()}
