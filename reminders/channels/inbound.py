"""Replies come back: a client's e-mail reply (the configured ESP's inbound webhook, through
anymail's ``inbound`` signal) or text message (``reminders.channels.sms``) lands in the client's
timeline and in Today's work as a reply to read.

- **Which client.** An e-mail is matched by its thread first: ``In-Reply-To``/``References``
  naming one of our reminders (the Message-ID ``thread_message_id`` gives a reminder, signed so
  a stranger cannot aim at a client, or the provider's own message id), else by the sender's
  address (``Client.email``, any case). A text message by the number (``Client.mobile_phone``).
  A reply from nobody we know is recorded nowhere a client's data is shown: it is logged and
  counted (``unknown_sender_replies``).
- **What it does.** A timeline entry (kind "note", actor "client", so it is a personal contact
  and automated messages wait — ``reminders.selectors.last_personal_contact``) and a task of
  kind "reply" for the client's bookkeeper. An auto-reply (``Auto-Submitted`` other than "no",
  ``Precedence: auto_reply``, an out-of-office subject, ...) is recorded as actor "auto-reply":
  it neither holds reminders nor asks to be read.
- **Attachments** are kept like a dispute's: each checked whole by ``infra.uploads`` (PDF, PNG,
  JPEG; images re-encoded), stored under a name of the server's, the sender's file name kept
  only as a label; anything else is listed as not kept, with the reason.
- **Once.** Each reply is stored once (``MessageEvent``, keyed by its Message-ID, else the ESP's
  event id, else a hash of its content), so a webhook retried by the ESP records nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import strip_tags

from answers.models import PortalSettings
from clients.models import Client, Interaction, InteractionChannel, InteractionKind
from clients.services import interaction_record
from infra.downloads import safe_filename
from infra.uploads import UploadRefused, check_document
from reminders.channels.events import record_event
from reminders.models import MessageEvent, OutboundMessage
from work.models import Task, TaskKind

log = logging.getLogger(__name__)

CLIENT = "client"  # counts as a personal contact (reminders.selectors.last_personal_contact)
AUTO_REPLY = "auto-reply"  # recorded, but holds nothing
MAX_TEXT = 20_000
MAX_ATTACHMENTS = 10
REPLIES_DIR = "replies"
_THREAD_SALT = "settle.reminders.reply-thread"
_THREAD_ID = re.compile(r"settle\.(\d{1,18})\.([0-9a-f]{20})@[^\s<>]+")
_BRACKETED = re.compile(r"<([^<>\s]+)>")
# Out-of-office subjects (en, de, fr, es, nl, it): what mail clients put there by default.
_AUTO_SUBJECT = re.compile(
    r"\b(?:out of (?:the )?office|auto(?:matic|matische)?[ -]?(?:reply|response|antwort)|"
    r"autoreply|away from (?:the )?office|on vacation|abwesenheit\w*|abwesend|"
    r"r[ée]ponse automatique|absen(?:ce|te?) du bureau|respuesta autom[áa]tica|"
    r"fuera de la oficina|afwezig\w*|automatisch antwoord|risposta automatica|fuori sede)\b",
    re.IGNORECASE)


# --- threads -----------------------------------------------------------------------------------

def _thread_signature(pk: int) -> str:
    return salted_hmac(_THREAD_SALT, str(pk)).hexdigest()[:20]


def thread_message_id(message: OutboundMessage, domain: str) -> str:
    """The Message-ID a reminder e-mail carries, so a reply's ``In-Reply-To`` names it:
    ``<settle.{pk}.{signature}@{domain}>`` (the signature keeps a stranger from pointing a
    reply at another client's reminder)."""
    return f"<settle.{message.pk}.{_thread_signature(message.pk)}@{domain}>"


def referenced_ids(headers: Iterable[str | None]) -> list[str]:
    """The message ids named by ``In-Reply-To`` then ``References`` (newest first), bare."""
    found: list[str] = []
    for position, value in enumerate(headers):
        ids = _BRACKETED.findall(str(value or ""))
        found += ids if position == 0 else list(reversed(ids))
    return list(dict.fromkeys(found))


def message_for_thread(ids: Sequence[str]) -> OutboundMessage | None:
    """The reminder e-mail a reply answers: one of our signed Message-IDs, else the provider's
    message id (whole, or the part before "@": SES and others build the header from it)."""
    for ref in ids:
        found = _THREAD_ID.fullmatch(ref)
        if found and constant_time_compare(_thread_signature(int(found[1])), found[2]):
            message = OutboundMessage.objects.filter(pk=int(found[1]), channel="email").first()
            if message is not None:
                return message
    candidates = {c for ref in ids for c in (ref, f"<{ref}>", ref.split("@", 1)[0]) if c}
    if not candidates:
        return None
    return (OutboundMessage.objects.filter(channel="email", provider_message_id__in=candidates)
            .exclude(provider__in=["", "local"]).select_related("client")
            .order_by("-created_at", "-pk").first())


# --- recording -----------------------------------------------------------------------------------

def reply_record(*, clients: Sequence[Client], channel: str, sender: str, text: str,
                 now: datetime, summary: str, subject: str = "", auto: bool = False,
                 message: OutboundMessage | None = None,
                 attachments: Sequence[dict[str, Any]] = (),
                 metadata: dict[str, Any] | None = None) -> list[Interaction]:
    """One reply in each client's timeline (and a reply to read, unless automatic)."""
    entries = []
    for client in clients:
        invoices = ([r.invoice for r in message.reminders.select_related("invoice")]
                    if message is not None and message.client_id == client.pk else [])
        entry = interaction_record(
            client=client, kind=InteractionKind.NOTE, channel=channel,
            actor_label=AUTO_REPLY if auto else CLIENT, summary=summary[:300], occurred_at=now,
            invoices=invoices,
            content={"text": text[:MAX_TEXT], "subject": subject[:300], "from": sender[:320]},
            metadata={"reply": channel, "auto": auto, "attachments": list(attachments),
                      **({"in_reply_to": message.pk} if message is not None else {}),
                      **(metadata or {})})
        entries.append(entry)
        if not auto:
            title = (f"Read the {'email' if channel == InteractionChannel.EMAIL else 'SMS'} "
                     f"reply from {client.display_name}")
            task = Task.objects.create(
                kind=TaskKind.REPLY, client=client, assigned_to=client.owner, title=title[:300],
                script=_task_text(subject, text, attachments), due_at=now, created_at=now)
            task.invoices.set(invoices)
    return entries


def _task_text(subject: str, text: str, attachments: Sequence[dict[str, Any]]) -> str:
    parts = [f"Subject: {subject}" if subject else "", text[:MAX_TEXT]]
    kept = [a["name"] for a in attachments if a.get("file")]
    if kept:
        parts.append("Attachments (on the client page's timeline): " + ", ".join(kept))
    parts.append("Automated reminders to this client wait after a reply, as after a call.")
    return "\n\n".join(p for p in parts if p)


def unknown_sender_replies(*, since: datetime | None = None) -> int:
    """Replies (e-mail or SMS) from an address or number no client has, for the log/metrics."""
    found = MessageEvent.objects.filter(provider__endswith="-inbound", detail__clients=0)
    if since is not None:
        found = found.filter(received_at__gte=since)
    return found.count()


def log_unknown_sender(channel: str, sender: str) -> None:
    count = unknown_sender_replies(since=timezone.now() - timedelta(days=7))
    log.warning("A %s reply from an unknown sender (%s) was not recorded for any client; "
                "%d such replies in the last 7 days.", channel, sender, count)


# --- e-mail ------------------------------------------------------------------------------------

def connect_inbound() -> None:
    """Receive the ESP's inbound e-mail (anymail normalizes every ESP's webhook into one
    ``inbound`` signal). This module and ``reminders.channels.email`` are the two that reach
    anymail (pyproject.toml's import contract lists both)."""
    from anymail.signals import inbound

    def on_inbound(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
        handle_inbound(event, esp_name)

    inbound.connect(on_inbound, dispatch_uid="settle-email-inbound", weak=False)


def is_auto_reply(message: Any) -> bool:
    """RFC 3834's ``Auto-Submitted`` (anything but "no"), the headers vacation responders
    set, or an out-of-office subject."""
    auto_submitted = str(message.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if str(message.get("Precedence") or "").strip().lower() in ("auto_reply", "bulk", "junk"):
        return True
    if any(message.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        return True
    if "oof" in str(message.get("X-Auto-Response-Suppress") or "").lower():
        return True
    return bool(_AUTO_SUBJECT.search(str(message.get("Subject") or "")))


def handle_inbound(event: Any, esp_name: str) -> list[Interaction]:
    """One e-mail anymail received (any ESP): matched to a client and recorded once."""
    message = event.message
    if message is None:
        return []
    sender = _sender(message)
    text = _text(message)
    subject = " ".join(str(message.get("Subject") or "").split())
    thread = message_for_thread(referenced_ids(
        [message.get("In-Reply-To"), message.get("References")]))
    clients: list[Client] = ([thread.client] if thread is not None
                             else list(Client.objects.filter(email__iexact=sender))
                             if sender else [])
    now = timezone.now()
    esp = esp_name.strip().lower().replace(" ", "_")[:30]  # "Amazon SES" → "amazon_ses"
    key = _event_key(message, event, text)
    auto = is_auto_reply(message)
    with transaction.atomic():
        stored = record_event(
            provider=f"{esp}-inbound", event_key=key, event="reply",
            occurred_at=now, message=thread, recipient=sender,
            detail={"clients": len(clients), "subject": subject[:300], "auto": auto})
        if stored is None:
            return []  # the ESP delivered it again: already recorded
        if not clients:
            log_unknown_sender("email", sender or "no From address")
            return []
        attachments = _attachments(message, now)
        try:
            return reply_record(
                clients=clients, channel=InteractionChannel.EMAIL, sender=sender, text=text,
                subject=subject, auto=auto, now=now, message=thread, attachments=attachments,
                summary=(f"Automatic reply by email: {subject or '(no subject)'} — does not "
                         "hold reminders" if auto else
                         f"Email from the client: {subject or '(no subject)'}"
                         + (f" — {_snippet(text)}" if _snippet(text) else "")),
                metadata={"esp": esp, "message_event": stored.pk})
        except Exception:
            for attachment in attachments:
                if attachment.get("file"):
                    default_storage.delete(attachment["file"])
            raise


def _sender(message: Any) -> str:
    found = message.from_email
    if isinstance(found, list):  # several From addresses: legal, rare; the first speaks
        found = found[0] if found else None
    address = str(getattr(found, "addr_spec", "") or "")
    if not address:
        address = parseaddr(str(message.get("From") or ""))[1]
    return address.strip()


def _text(message: Any) -> str:
    stripped = getattr(message, "stripped_text", None)  # the reply without the quoted thread
    text = stripped or message.text or strip_tags(message.html or "")
    return "\n".join(line.rstrip() for line in str(text).strip().splitlines())


def _snippet(text: str) -> str:
    return " ".join(text.split())[:200]


def _event_key(message: Any, event: Any, text: str) -> str:
    message_id = str(message.get("Message-ID") or "").strip()
    if message_id:
        return f"message-id:{message_id}"[:200]
    if getattr(event, "event_id", None):
        return f"event:{event.event_id}"[:200]
    digest = hashlib.sha256("\n".join([str(message.get("From") or ""),
                                       str(message.get("Date") or ""),
                                       str(message.get("Subject") or ""), text]).encode())
    return f"sha256:{digest.hexdigest()}"


def attachment_label(name: str | None, extension: str) -> str:
    """The sender's name for the file, made safe, with the extension of the type found."""
    stem = PurePath((name or "").replace("\\", "/")).stem
    return safe_filename(f"{stem}.{extension}", default="attachment")[-200:]


def _attachments(message: Any, now: datetime) -> list[dict[str, Any]]:
    """Each attachment checked whole and stored (``file``), or listed with why it was not."""
    limit = PortalSettings.load().dispute_attachment_mb * 1024 * 1024
    kept: list[dict[str, Any]] = []
    for part in list(message.attachments)[:MAX_ATTACHMENTS]:
        name = str(part.get_filename() or "attachment")
        label = safe_filename(PurePath(name.replace("\\", "/")).name, default="attachment")
        try:
            data = part.get_content_bytes() or b""
        except (ValueError, AssertionError, LookupError):
            data = b""
        if not data:
            kept.append({"name": label, "refused": "The attachment is empty or unreadable."})
            continue
        if len(data) > limit:
            kept.append({"name": label, "refused": f"The file is larger than "
                                                  f"{limit // (1024 * 1024)} MB."})
            continue
        try:
            checked = check_document(data)
        except UploadRefused as exc:
            kept.append({"name": label, "refused": str(exc)})
            continue
        stored = default_storage.save(
            f"{REPLIES_DIR}/{now:%Y/%m}/{uuid.uuid4().hex}.{checked.extension}",
            ContentFile(checked.content))
        kept.append({"name": attachment_label(name, checked.extension), "file": stored,
                     "type": checked.content_type, "size": len(checked.content)})
    return kept
