"""Provider callbacks: Twilio message status and inbound SMS, anymail's tracking events.

Every callback is authenticated before anything is read: Twilio's ``X-Twilio-Signature``
(HMAC-SHA1 of our public URL and the POST parameters, checked with twilio's
``RequestValidator``; 403 otherwise), and anymail's tracking webhooks by the shared
``ANYMAIL["WEBHOOK_SECRET"]`` (anymail rejects a request without it). Twilio signs no
timestamp, so a replayed callback must be harmless: events are stored once per
(MessageSid, status), inbound messages once per MessageSid.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clients.business import business
from clients.models import Client, FlagReason, InteractionChannel, InteractionKind
from clients.services import interaction_record
from reminders import delivery
from reminders.channels import twilio_flag_reason
from reminders.models import MessageEvent, OutboundMessage

log = logging.getLogger(__name__)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}


def _twilio_verified(request: HttpRequest) -> bool:
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    url = f"{settings.SITE_URL}{request.get_full_path()}"
    return bool(RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(
        url, request.POST.dict(), signature))


def _twiml(text: str = "") -> HttpResponse:
    from twilio.twiml.messaging_response import MessagingResponse

    response = MessagingResponse()
    if text:
        response.message(text)
    return HttpResponse(str(response), content_type="application/xml")


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback for a message we sent: queued → sent → delivered, or
    undelivered / failed with an error code."""
    if not _twilio_verified(request):
        return HttpResponseForbidden("Invalid or missing Twilio signature.")
    sid = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "").lower()
    if not sid or not status:
        return HttpResponse("MessageSid and MessageStatus are required.", status=400)
    code = request.POST.get("ErrorCode") or None
    error = int(code) if code and code.isdigit() else None
    message = OutboundMessage.objects.filter(provider="twilio",
                                             provider_message_id=sid).first()
    why = f"Twilio error {error}" if error else ""
    delivery.record_event(
        provider="twilio", event_key=f"{sid}:{status}", event=status, message=message,
        occurred_at=timezone.now(), recipient=request.POST.get("To", ""),
        detail=request.POST.dict(), flag=twilio_flag_reason(error), why=why)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """A client texted back. STOP words opt the number out (Twilio's own opt-out replies to
    the client), START words opt it back in, HELP gets our name and how to reach us; anything
    else goes into the client's timeline for the bookkeeper."""
    if not _twilio_verified(request):
        return HttpResponseForbidden("Invalid or missing Twilio signature.")
    sid = request.POST.get("MessageSid", "")
    number = request.POST.get("From", "")
    body = request.POST.get("Body", "")
    if not sid or not number:
        return HttpResponse("MessageSid and From are required.", status=400)
    now = timezone.now()
    first_time = delivery.record_event(
        provider="twilio-inbound", event_key=sid, event="inbound", message=None,
        occurred_at=now, recipient=number, detail={"Body": body[:1600]})
    keyword = body.strip().upper()
    if keyword in HELP_WORDS:
        profile = business()
        contact = " ".join(x for x in (profile.support_phone, profile.from_email) if x)
        return _twiml(f"{profile.name}: payment reminders. Questions? "
                      f"{contact}. Reply STOP to stop SMS.")
    if first_time is None:
        return _twiml()  # a replay: already acted on
    if keyword in STOP_WORDS or keyword in START_WORDS:
        delivery.opt_out(number=number, opted_out=keyword in STOP_WORDS, occurred_at=now,
                         keyword=keyword)
        return _twiml()
    for client in Client.objects.filter(mobile_phone=number):
        interaction_record(client=client, kind=InteractionKind.NOTE,
                           channel=InteractionChannel.SMS, actor_label="client",
                           summary=f"SMS from the client: {body}"[:300], occurred_at=now,
                           content={"text": body}, metadata={"message_sid": sid})
    return _twiml()


# --- anymail tracking ----------------------------------------------------------------------

# ESP bounce types that are temporary (the ESP retries): no flag, no fallback.
SOFT_BOUNCES = {"SoftBounce", "Transient", "DnsError", "AutoResponder", "temporary"}


def _soft(event: Any) -> bool:
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return str(raw.get("Type") or raw.get("severity") or "") in SOFT_BOUNCES


def _message_for(event: Any) -> OutboundMessage | None:
    settle_id = (event.metadata or {}).get("settle_message_id")
    if settle_id and str(settle_id).isdigit():
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
    return delivery.record_event(
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
