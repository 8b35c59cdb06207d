"""Channels: one small class per way of reaching a client, behind one interface.

``send(message) -> provider_id`` raises ``PermanentError`` (this contact point will not work:
fall back and flag it) or ``TransientError`` (try again later). Email goes through Django's mail
API, so the ESP is whatever django-anymail backend the environment configures; without one, the
message stays in Settle (the outbox page shows it) and nothing leaves the machine.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from reminders.models import OutboundMessage


class ChannelError(Exception):
    pass


class PermanentError(ChannelError):
    pass


class TransientError(ChannelError):
    pass


class Channel(Protocol):
    name: str

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> str: ...


class EmailChannel:
    name = "email"

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> str:
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.text, from_email=settings.DEFAULT_FROM_EMAIL,
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
                raise PermanentError(f"The email provider refused the message: {exc}") from exc
            raise TransientError(f"Email could not be sent now: {exc}") from exc
        if not sent:
            raise TransientError("The email backend accepted nothing.")
        status = getattr(email, "anymail_status", None)
        provider_id = getattr(status, "message_id", None) if status else None
        return str(provider_id or f"local-{message.pk}")


CHANNELS: dict[str, Channel] = {"email": EmailChannel()}
