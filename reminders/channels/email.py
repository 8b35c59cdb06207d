"""Email: sent through Django's mail API, so the ESP is whatever django-anymail backend the
environment configures (without one the message stays in Settle and nothing leaves); the
ESP's tracking events (delivered, opened, bounced, complained, ...) come back through
anymail's ``tracking`` signal, authenticated by anymail with ``ANYMAIL["WEBHOOK_SECRET"]``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.utils import timezone

from clients.business import business
from clients.models import FlagReason
from core.text import ascii_digits
from reminders.channels.base import Handover, PermanentError, TransientError
from reminders.channels.events import record_event
from reminders.models import MessageEvent, OutboundMessage


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


# --- anymail tracking ----------------------------------------------------------------------------

# ESP bounce types that are temporary (the ESP retries): no flag, no fallback.
SOFT_BOUNCES = {"SoftBounce", "Transient", "DnsError", "AutoResponder", "temporary"}

def _soft(event: Any) -> bool:
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return str(raw.get("Type") or raw.get("severity") or "") in SOFT_BOUNCES

def _message_for(event: Any) -> OutboundMessage | None:
    settle_id = (event.metadata or {}).get("settle_message_id")
    if settle_id and ascii_digits(str(settle_id)):
        found = OutboundMessage.objects.filter(pk=int(settle_id), channel="email").first()
        if found is not None:
            return found
    if event.message_id:
        return OutboundMessage.objects.filter(provider_message_id=event.message_id,
                                              channel="email").first()
    return None

def connect_tracking() -> None:
    from anymail.signals import tracking

    @receiver(tracking, dispatch_uid="settle-email-tracking", weak=False)
    def on_tracking(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
        handle_tracking(event, esp_name)

def handle_tracking(event: Any, esp_name: str) -> MessageEvent | None:
    """One normalized anymail tracking event: delivered, opened, clicked, bounced,
    complained, ... A hard bounce or a complaint suppresses the address."""
    event_type = str(event.event_type)
    occurred = event.timestamp if isinstance(event.timestamp, datetime) else timezone.now()
    key = event.event_id or f"{event.message_id}:{event_type}:{occurred.isoformat()}"
    soft = event_type == "bounced" and _soft(event)
    reason = str(event.reject_reason or "")
    flag = {"bounced": FlagReason.BOUNCED, "rejected": FlagReason.BOUNCED,
            "failed": FlagReason.INVALID if reason == "invalid" else None,
            "unsubscribed": FlagReason.COMPLAINED}.get(event_type)
    why = str(event.description or event.mta_response or reason or "")[:300]
    if event_type == "unsubscribed":
        event_type = "complained"  # they asked not to get email: suppress like a complaint
    return record_event(
        provider=esp_name.lower(), event_key=str(key), event="deferred" if soft else event_type,
        occurred_at=occurred, message=_message_for(event), recipient=event.recipient or "",
        detail={"esp_event": _jsonable(event.esp_event), "reject_reason": reason},
        flag=None if soft else flag, why=why, permanent=not soft)

def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
