"""The client page and what a bookkeeper does from it: record a payment, add a note, log a
call, pause or resume reminders (the client's or one invoice's), send the next step now, skip
it, preview it exactly as it will be rendered. Every action goes through a service and lands
in the timeline; a refused one says why and changes nothing.

The preview (``?preview=<invoice>``) is part of the whole page without JavaScript; with it, htmx
asks for the preview section alone and swaps it in. An e-mail's or letter's HTML is shown in a
sandboxed frame: in a whole page as ``srcdoc`` (the page's Content-Security-Policy lists its own
styles), in a swapped-in section as ``src`` (``&part=html``: a document answered with a policy
for exactly its styles; a ``srcdoc`` frame would keep the page's first policy and refuse them).
A letter also opens as the PDF that would be printed (``&part=pdf``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.models import Client, Interaction, InteractionKind, PaymentMethod
from clients.services import client_pause_reminders, interaction_record
from core.text import parse_id, parse_ids
from desk import client as pages
from infra.csp import allow_styles_of
from infra.downloads import disposition
from infra.roles import AuthenticatedHttpRequest, bookkeeper_required
from infra.text import bad_request
from receivables.models import Invoice
from receivables.services import invoice_pause_reminders, payment_record
from reminders import manual
from reminders.channels.letter import render_pdf
from reminders.models import StepAction
from work import calls
from work.models import CallOutcome

GARBLED = ("The selected invoices are not valid (the form sent ids that are no invoice's); "
           "reload the client page and choose again.")


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: "Enter the date as YYYY-MM-DD."}) from None


@bookkeeper_required
def client_page(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client.objects.select_related("owner", "default_terms")
                               .prefetch_related("tags"), pk=pk)
    now = timezone.now()
    today = client.local_today(now)
    rows = pages.open_invoice_rows(client, today, now)
    preview = _preview(rows, request.GET.get("preview", ""), now)
    if part := request.GET.get("part", ""):
        if preview is None:
            raise Http404
        return _preview_part(preview, part)
    live = bool(getattr(request, "htmx", False))
    if preview is not None and live:  # htmx swaps the preview section in: only that is sent
        return render(request, "desk/_client_preview.html",
                      {"client": client, "preview": preview, "live": True})
    limit = min(parse_id(request.GET.get("limit", "")) or pages.TIMELINE_PAGE, 2000)
    entries = pages.timeline(client, limit)
    shown, folded = pages.split_rows(rows)
    points = pages.contact_points(client)
    response = render(request, "desk/client.html", {
        "client": client, "local_time": now.astimezone(ZoneInfo(client.timezone)),
        "points": points, "rows": rows, "preview": preview,
        "shown_rows": shown, "folded_rows": folded, "apply": pages.apply_choices(rows),
        "summary": pages.summary(client, rows), "preferences": pages.preferences(client, points),
        "history": pages.payment_history(client), "timeline": entries,
        "recent": entries[:pages.TIMELINE_RECENT], "older": entries[pages.TIMELINE_RECENT:],
        "letters": pages.letters_with_pdf(entries), "limit": limit,
        "more": len(entries) == limit, "balances": pages.balances(client),
        "methods": PaymentMethod.choices, "outcomes": CallOutcome.choices,
        "today": today, "numbers": [n for n in (client.phone, client.mobile_phone) if n]})
    # The emails shown in sandboxed frames keep their own inline styles (infra/csp.py).
    return allow_styles_of(response, [
        *(str(e.content.get("html") or "") for e in entries if e.kind != "letter_reminder"),
        (preview.get("html") or "") if preview else ""])


def _preview(rows: list[dict[str, Any]], wanted: str, now: datetime
             ) -> dict[str, Any] | None:
    """The next step of one of the client's open invoices as it would be rendered now, or
    what stops it from rendering (shown in place of the message)."""
    invoice_pk = parse_id(wanted)
    invoice = next((r["invoice"] for r in rows if r["invoice"].pk == invoice_pk), None)
    if invoice is None:
        return None
    try:
        step, rendered = manual.preview(invoice, now)
    except ValidationError as exc:
        return {"invoice": invoice, "error": _errors(exc)}
    letter = step.channel == "letter" and bool(rendered.html)
    return {"invoice": invoice, "step": step, "rendered": rendered, "letter": letter,
            "html": _on_screen(rendered.html) if letter else rendered.html}


_BASE = re.compile(r"<base\b[^>]*>", re.IGNORECASE)


def _on_screen(letter: str) -> str:
    """A letter's document for the screen: without its ``<base href>`` (the site's address, for
    the PDF renderer), which the policy's base-uri 'none' refuses in a browser; its links and
    stylesheet are site-absolute paths and resolve the same against the page's own address."""
    return _BASE.sub("", letter, count=1)


def _preview_part(preview: dict[str, Any], part: str) -> HttpResponse:
    """The preview's HTML as a document of its own, for the frame of a swapped-in section
    (sandboxed, with a policy for exactly its own styles), or a letter as its PDF."""
    rendered = preview.get("rendered")
    if rendered is None or not rendered.html or part not in ("html", "pdf") or (
            part == "pdf" and not preview["letter"]):
        raise Http404
    if part == "pdf":
        response = HttpResponse(render_pdf(rendered.html), content_type="application/pdf")
        disposition(response, f"letter-preview-{preview['invoice'].number}.pdf",
                    attachment=False)
    else:
        response = allow_styles_of(HttpResponse(preview["html"]), [preview["html"]])
        update = dict(getattr(response, "_csp_update", None) or {})
        response._csp_update = {**update, "sandbox": True}  # type: ignore[attr-defined]
        response["X-Frame-Options"] = "SAMEORIGIN"  # for the client page's own frame
    response["Cache-Control"] = "private, no-store"
    return response


def _back(client: Client) -> HttpResponse:
    return redirect("desk:client", pk=client.pk)


def _act(request: HttpRequest, client: Client, action: Callable[[], object], done: str
         ) -> HttpResponse:
    try:
        action()
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, done)
    return _back(client)


@bookkeeper_required
@require_POST
def record_payment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    ids = parse_ids(request.POST.getlist("invoice"))
    if ids is None:
        return bad_request(request, GARBLED)

    def act() -> None:
        invoices = list(Invoice.objects.filter(client=client, pk__in=ids)) if ids else None
        if ids and len(invoices or []) != len(ids):
            raise ValidationError({"invoice": "Choose the client's own invoices."})
        payment_record(client=client, amount=request.POST.get("amount", ""),
                       received_on=_date(request.POST.get("received_on"), "received_on")
                       or timezone.localdate(), currency=request.POST.get("currency") or None,
                       method=request.POST.get("method") or PaymentMethod.BANK_TRANSFER,
                       reference=request.POST.get("reference", ""), invoices=invoices,
                       notes=request.POST.get("notes", ""), actor=request.user)
    return _act(request, client, act, "Payment recorded.")


@bookkeeper_required
@require_POST
def add_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    text = request.POST.get("note", "").strip()

    def act() -> None:
        if not text:
            raise ValidationError({"note": "Write the note first."})
        interaction_record(client=client, kind=InteractionKind.NOTE, summary=text[:300],
                           content={"note": text}, actor=request.user)
    return _act(request, client, act, "Note added.")


@bookkeeper_required
@require_POST
def log_call(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A call made outside a task (see ``calls.call_log``)."""
    client = get_object_or_404(Client, pk=pk)
    now = timezone.now()
    ids = parse_ids(request.POST.getlist("invoice"))
    if ids is None:
        return bad_request(request, GARBLED)

    def act() -> None:
        invoices = list(Invoice.objects.filter(client=client, pk__in=ids))
        if not invoices:
            invoices = [r["invoice"] for r in pages.open_invoice_rows(
                client, timezone.localdate(), now) if r["active"]]
        calls.call_log(client=client, invoices=invoices, number=request.POST.get("number", ""),
                       outcome=request.POST.get("outcome", ""), actor=request.user,
                       note=request.POST.get("note", "").strip(),
                       promised_on=_date(request.POST.get("promised_on"), "promised_on"),
                       promised_amount=request.POST.get("promised_amount") or None, now=now)
    return _act(request, client, act, "Call logged.")


@bookkeeper_required
@require_POST
def pause_client(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    until = request.POST.get("until") if request.POST.get("action") != "resume" else None

    def act() -> None:
        day = _date(until, "until")
        if request.POST.get("action") != "resume" and day is None:
            raise ValidationError({"until": "Choose the day reminders may start again."})
        client_pause_reminders(client=client, until=day, actor=request.user,
                               reason=request.POST.get("reason", "").strip())
    return _act(request, client, act, "Reminders resumed." if until is None
                else "Reminders paused.")


def _invoice(pk: int, invoice_pk: int) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("client"), pk=invoice_pk,
                             client_id=pk)


@bookkeeper_required
@require_POST
def pause_invoice(request: AuthenticatedHttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    invoice = _invoice(pk, invoice_pk)
    resume = request.POST.get("action") == "resume"

    def act() -> None:
        day = None if resume else _date(request.POST.get("until"), "until")
        if not resume and day is None:
            raise ValidationError({"until": "Choose the day reminders may start again."})
        invoice_pause_reminders(invoice=invoice, until=day, actor=request.user,
                                reason=request.POST.get("reason", "").strip())
    return _act(request, invoice.client, act,
                f"Reminders for {invoice.number} " + ("resumed." if resume else "paused."))


@bookkeeper_required
@require_POST
def send_now(request: AuthenticatedHttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    """Asks first: the page lists what sending the next step now does (a hand-over, a fee, a
    letter); only the confirmed form sends it."""
    invoice = _invoice(pk, invoice_pk)
    client = invoice.client
    now = timezone.now()
    found = manual.next_step(invoice, now)
    if found is None:
        messages.error(request, f"Invoice {invoice.number} has no next reminder step.")
        return _back(client)
    if request.POST.get("confirm") != found.step.name:
        return render(request, "desk/send_now_confirm.html", {
            "client": client, "invoice": invoice, "found": found,
            "consequences": manual.consequences(invoice, found)})
    try:
        report = manual.send_now(invoices=[invoice], actor=request.user, now=now)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return _back(client)
    if StepAction.SEND_MESSAGE not in found.step.actions:
        messages.success(request, f"Done for {invoice.number}: "
                         + " ".join(manual.consequences(invoice, found)))
    elif report.sent:
        messages.success(request, f"The next reminder for {invoice.number} went out.")
    elif report.deferred:
        messages.info(request, f"The next reminder for {invoice.number} is queued: it goes "
                               "out in the client's business hours (at most one message a "
                               "day).")
    else:
        messages.warning(request, "; ".join(report.errors) or "Nothing was sent: see the "
                                                                 "timeline.")
    return _back(client)


@bookkeeper_required
@require_POST
def skip_step(request: AuthenticatedHttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    invoice = _invoice(pk, invoice_pk)

    def act() -> None:
        manual.skip(invoice=invoice, actor=request.user, now=timezone.now(),
                    reason=request.POST.get("reason", "").strip())
    return _act(request, invoice.client, act, f"Step skipped for {invoice.number}.")


@bookkeeper_required
def reply_attachment(request: HttpRequest, pk: int, index: int) -> FileResponse:
    """An attachment of a client's e-mail reply (checked and stored when it arrived:
    reminders.channels.inbound), only to signed-in staff, never rendered inline."""
    entry = get_object_or_404(Interaction, pk=pk, kind=InteractionKind.NOTE)
    attachments = entry.metadata.get("attachments") if entry.metadata.get("reply") else None
    if not isinstance(attachments, list) or not 0 <= index < len(attachments):
        raise Http404
    item = attachments[index]
    stored = PurePath(str(item.get("file") or ""))
    if stored.parts[:1] != ("replies",) or ".." in stored.parts \
            or not default_storage.exists(str(stored)):
        raise Http404
    response = FileResponse(default_storage.open(str(stored), "rb"),
                            content_type=str(item.get("type") or "application/octet-stream"))
    shown = PurePath(str(item.get("name") or "attachment")).stem
    disposition(response, f"{shown}{stored.suffix}", default=f"reply-{entry.pk}")
    response["X-Content-Type-Options"] = "nosniff"
    return response
