"""SMS through Twilio — the only module that imports the twilio library.

Messages go out with a status callback URL; Twilio's status callbacks and inbound messages
come back to the two views here, each authenticated by ``X-Twilio-Signature`` (HMAC-SHA1 of
our public URL and the POST parameters, checked with twilio's ``RequestValidator``; 403
otherwise). Twilio signs no timestamp, so a replayed callback must be harmless: events are
stored once per (MessageSid, status), inbound messages once per MessageSid. Without Twilio
credentials an SMS stays in Settle and nothing leaves.
"""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client as Twilio
from twilio.twiml.messaging_response import MessagingResponse

from clients.business import business
from clients.models import Channel, Client, ContactFlag, FlagReason, InteractionChannel
from core.sms import count_segments
from core.text import ascii_digits
from infra.integrations import twilio_configured
from reminders.channels.base import Handover, PermanentError, TransientError
from reminders.channels.events import opt_out, record_event
from reminders.channels.inbound import log_unknown_sender, reply_record
from reminders.models import MessageStatus, OutboundMessage

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
    concurrent = True

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover:
        segments = count_segments(message.text).segments
        if not twilio_configured():
            return Handover(provider="local", provider_id=f"local-{message.pk}",
                            status=MessageStatus.QUEUED, segments=segments)
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
                                     f"(HTTP {exc.status})",
                                     retry_after=60.0 if exc.status == 429 else None) from exc
            raise PermanentError(f"Twilio refused the SMS to {message.to}: {exc.msg} "
                                 f"(error {exc.code})") from exc
        except (TwilioException, OSError) as exc:  # connection errors, timeouts
            raise TransientError(f"SMS could not be sent now: {exc}") from exc
        return Handover(provider="twilio", provider_id=str(sms.sid),
                        status=MessageStatus.QUEUED,
                        segments=int(sms.num_segments or 0) or segments)


# --- Twilio's callbacks ---------------------------------------------------------------------------

# Twilio's default keywords (a message that is only the word, any case, spaces around it):
# https://help.twilio.com/articles/223134027 . With Advanced Opt-Out on a Messaging Service the
# words are the admin's, and Twilio says which kind a message was in ``OptOutType``.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                        "OPTOUT"})

START_WORDS = frozenset({"START", "YES", "UNSTOP"})

HELP_WORDS = frozenset({"HELP", "INFO"})

OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})

def keyword_kind(body: str, opt_out_type: str = "") -> str:
    """"STOP", "START", "HELP" or "" (an ordinary message). Twilio's ``OptOutType`` is the
    truth when present (Advanced Opt-Out: the admin's words, in any language); without it,
    Twilio's default words, the whole message being the word."""
    declared = opt_out_type.strip().upper()
    if declared in OPT_OUT_TYPES:
        return declared
    word = body.strip().upper()
    if word in STOP_WORDS:
        return "STOP"
    if word in START_WORDS:
        return "START"
    if word in HELP_WORDS:
        return "HELP"
    return ""

def help_text() -> str:
    """Who we are and how to reach a person: the business name, the support phone and the
    bare sender address (never the raw From header with its display name)."""
    profile = business()
    address = parseaddr(profile.from_email)[1] or profile.from_email
    contact = " · ".join(x for x in (profile.support_phone, address) if x)
    return (f"{profile.name}: payment reminders. Questions? {contact or 'Reply to this SMS'}. "
            "Reply STOP to stop SMS.")

def _twilio_verified(request: HttpRequest) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    url = f"{settings.SITE_URL}{request.get_full_path()}"
    return bool(RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(
        url, request.POST.dict(), signature))

def _twiml(text: str = "") -> HttpResponse:
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
    error = int(code) if code and ascii_digits(code) else None
    message = OutboundMessage.objects.filter(provider="twilio",
                                             provider_message_id=sid).first()
    why = f"Twilio error {error}" if error else ""
    record_event(
        provider="twilio", event_key=f"{sid}:{status}", event=status, message=message,
        occurred_at=timezone.now(), recipient=request.POST.get("To", ""),
        detail=request.POST.dict(), flag=twilio_flag_reason(error), why=why)
    return HttpResponse(status=204)

@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """A client texted back. STOP words opt the number out (Twilio's own opt-out replies to
    the client), START words opt it back in, HELP gets our name and how to reach us; anything
    else is a reply: into the client's timeline (reminders wait, as after a call) and Today's
    work as a reply to read."""
    if not _twilio_verified(request):
        return HttpResponseForbidden("Invalid or missing Twilio signature.")
    sid = request.POST.get("MessageSid", "")
    number = request.POST.get("From", "")
    body = request.POST.get("Body", "")
    if not sid or not number:
        return HttpResponse("MessageSid and From are required.", status=400)
    now = timezone.now()
    kind = keyword_kind(body, request.POST.get("OptOutType", ""))
    if kind == "HELP":
        return _twiml(help_text())
    clients = list(Client.objects.filter(mobile_phone=number))
    # "YES" is Twilio's opt-in word, but from a number that never opted out it answers us.
    opted_out = ContactFlag.objects.filter(
        channel=Channel.SMS, value=number, reason=FlagReason.OPTED_OUT,
        cleared_at__isnull=True).exists()
    keyword = kind == "STOP" or (kind == "START" and (opted_out or body.strip().upper() != "YES"))
    with transaction.atomic():
        first_time = record_event(
            provider="twilio-inbound", event_key=sid, event="inbound", message=None,
            occurred_at=now, recipient=number,
            detail={"Body": body[:1600], "OptOutType": kind,
                    **({} if keyword else {"clients": len(clients)})})
        if first_time is None:
            return _twiml()  # a replay: already acted on
        if keyword:
            opt_out(number=number, opted_out=kind == "STOP", occurred_at=now,
                    keyword=body.strip().upper()[:20] or kind)
            return _twiml()
        if not clients:
            log_unknown_sender("SMS", number)
            return _twiml()
        text = body.strip() or "(no text: a picture or a file, not kept)"
        reply_record(clients=clients, channel=InteractionChannel.SMS, sender=number, text=text,
                     now=now, summary=f"SMS from the client: {text}",
                     message=_last_sms_to(number), metadata={"message_sid": sid})
    return _twiml()

def _last_sms_to(number: str) -> OutboundMessage | None:
    """The latest SMS we sent the number: the one a reply most likely answers."""
    return (OutboundMessage.objects.filter(channel="sms", to=number)
            .exclude(provider__in=["", "local"]).order_by("-created_at", "-pk").first())
