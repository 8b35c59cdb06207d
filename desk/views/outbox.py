"""The bookkeeper's view of the reminder engine: the messages that went out (each exactly as
sent, with what the provider reported since) and the outbox (what is scheduled, what a worker
holds, and what needs a person's decision after a crash).

The review decisions below use the outbox's own transition (``outbox.set_status``, a
conditional UPDATE that expects ``review``), its timeline entry for a sent message
(``outbox.record_sent``) and, to send again, the same claim and dispatch as "send now"
(``reminders.manual``). Each decision runs in one transaction and writes nothing when another
person decided first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from clients.models import Client
from core.text import parse_id
from infra.roles import AuthenticatedHttpRequest, bookkeeper_required
from reminders import selectors
from reminders.models import (
    OutboundMessage,
    ReminderStatus,
    StepAction,
    TemplateChannel,
)
from reminders.outbox import TickReport
from reminders.review import (
    PROVIDER_CHANNELS,
    describe,
    invoice_numbers,
    review_cancel,
    review_mark_sent,
    review_send_again,
)
from reminders.selectors import ReviewGroup

PAGE_SIZE = 50
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_SEARCH = 100

# The stored HTML of a message, in a frame of its own: the frame's document may apply its own
# inline styles and nothing else: no script, no form, no plugin, no remote image or font (an
# image from the sender's server would count as the client opening the e-mail, and tell the
# tracker a person at this office looked), and it is a sandbox (an opaque origin) even if the
# page's frame element lost its sandbox attribute.
FRAME_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
             "font-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")



# --- Sent messages ------------------------------------------------------------------------------

def _date(query: QueryDict, name: str, label: str, errors: list[str]) -> date | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    if _ISO_DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    errors.append(f"“{raw[:20]}” is not a date for “{label}”: use YYYY-MM-DD, e.g. 2026-03-17.")
    return None


def _message_filters(query: QueryDict) -> tuple[selectors.MessageFilters, list[str]]:
    """The filters asked for; an unknown value is ignored, a bad date is said."""
    errors: list[str] = []
    channel = query.get("channel", "")
    outcome = query.get("outcome", "")
    start = _date(query, "from", "From", errors)
    end = _date(query, "to", "To", errors)
    if start is not None and end is not None and start > end:
        errors.append(f"“From” ({start:%Y-%m-%d}) is after “To” ({end:%Y-%m-%d}): "
                      "nothing can match, so the dates are not applied.")
        start = end = None
    return selectors.MessageFilters(
        channel=channel if channel in TemplateChannel.values else "",
        outcome=outcome if outcome in selectors.MESSAGE_OUTCOMES else "",
        client_id=parse_id(query.get("client", "")),
        search=" ".join(query.get("q", "").split())[:MAX_SEARCH],
        start=start, end=end), errors


def _message_row(message: OutboundMessage) -> dict[str, object]:
    reminders = list(message.reminders.all())
    return {"message": message,
            "invoices": list(dict.fromkeys(r.invoice.number for r in reminders)),
            "steps": list(dict.fromkeys(r.step for r in reminders)),
            "last_event": next(iter(message.events.all()), None)}


@bookkeeper_required
@require_GET
def sent_messages(request: HttpRequest) -> HttpResponse:
    """Every message that went out (or was put in the print queue), newest first."""
    filters, errors = _message_filters(request.GET)
    page = Paginator(selectors.sent_messages(filters), PAGE_SIZE).get_page(
        request.GET.get("page"))
    client = (Client.objects.filter(pk=filters.client_id).first()
              if filters.client_id is not None else None)
    rows = [_message_row(m) for m in page.object_list]
    return render(request, "desk/sent_messages.html", {
        "rows": rows, "page": page, "filters": filters, "errors": errors,
        "filter_client": client, "channels": TemplateChannel.choices,
        "outcomes": [(key, label) for key, (label, _) in selectors.MESSAGE_OUTCOMES.items()],
        "filtered": any((filters.channel, filters.outcome, filters.client_id, filters.search,
                         filters.start, filters.end)),
        "zone": timezone.get_current_timezone_name()})


@bookkeeper_required
@require_GET
def sent_message(request: HttpRequest, pk: int) -> HttpResponse:
    """One message exactly as it went out, with what the provider reported about it."""
    message = selectors.sent_message(pk)
    if message is None:
        raise Http404
    reminders = list(message.reminders.all())
    return render(request, "desk/sent_message.html", {
        "message": message, "client": message.client, "reminders": reminders,
        "invoices": list(dict.fromkeys(r.invoice for r in reminders)),
        "steps": list(dict.fromkeys(r.step for r in reminders)),
        "events": list(message.events.all()),
        "in_review": any(r.status == ReminderStatus.REVIEW for r in reminders),
        "show_html": bool(message.html) and message.channel != TemplateChannel.LETTER,
        "has_pdf": message.channel == TemplateChannel.LETTER and message.document is not None})


@bookkeeper_required
@require_GET
@never_cache
@xframe_options_sameorigin
def sent_message_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML part as stored, for the detail page's frame only (see ``FRAME_CSP``)."""
    html = (OutboundMessage.objects.filter(pk=pk).exclude(channel=TemplateChannel.LETTER)
            .values_list("html", flat=True).first())
    if not html:
        raise Http404
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = FRAME_CSP  # the site's policy is not added to it
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- The outbox ----------------------------------------------------------------------------------

@bookkeeper_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """What needs a decision (in review), what a worker holds, and what is scheduled next."""
    now = timezone.now()
    page = Paginator(selectors.outbox_scheduled(), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.outbox_counts()
    return render(request, "desk/outbox.html", {
        "review": selectors.outbox_review(), "in_flight": selectors.outbox_in_flight(),
        "scheduled": page, "now": now,
        "stale_before": now - timedelta(seconds=settings.SETTLE_STALE_CLAIM_SECONDS),
        "counts": [(status, label, counts.get(status, 0))
                   for status, label in ReminderStatus.choices]})


# --- Review decisions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    title: str
    button: str


DECISIONS = {
    "sent": Decision("It was sent", "Yes, mark it as sent"),
    "again": Decision("It was not sent: send it again", "Yes, send it again now"),
    "cancel": Decision("It was not sent: cancel it", "Yes, cancel it"),
}


def _consequences(decision: str, group: ReviewGroup) -> list[str]:
    """What the decision does, in the bookkeeper's words: shown before it is done."""
    what, numbers = describe(group), invoice_numbers(group)
    if decision == "sent":
        pending = [StepAction(a).label.lower() for step in group.steps for a in step.actions
                   if a in StepAction.values
                   and a not in (StepAction.SEND_MESSAGE, StepAction.APPLY_LATE_FEE)]
        said = [f"Marks the reminder{'s' if len(group.rows) > 1 else ''} for {numbers} as "
                "sent. Nothing is sent.",
                f"The client's timeline shows {what} as sent, with its content."]
        if pending:
            said.append("The step's other actions did not run and will not run now ("
                        + ", ".join(dict.fromkeys(pending)) + "): do them by hand if they "
                        "are still needed.")
        return said
    said = [f"Marks {what} as not sent; its pay link stops working."]
    if decision == "again":
        said += [f"Sends the reminder for {numbers} again now, as a new message with a new pay "
                 "link, if the invoices are still owed and it is within the client's business "
                 "hours (otherwise at their next opening).",
                 "Only if the client did not get the first one: check with the provider first."]
    else:
        said.append(f"Cancels the reminder for {numbers}: nothing is sent for this step; the "
                    "cadence goes on with its next step.")
    said.append("Writes your decision to the client's timeline.")
    return said


def _again_result(report: TickReport) -> tuple[int, str]:
    if report.sent:
        return messages.SUCCESS, "Sent again: the new message went out."
    if report.deferred:
        return messages.INFO, ("Queued to go again: it goes out in the client's business hours "
                               "(at most one message a day).")
    if report.cancelled:
        return messages.INFO, "Not sent again: the invoice no longer needs this reminder."
    if report.errors:
        return messages.WARNING, "Not sent again: " + "; ".join(report.errors)
    return messages.INFO, "Scheduled again: it goes out on the scheduler's next pass."


@bookkeeper_required
@require_POST
def review_decide(request: AuthenticatedHttpRequest, pk: int, decision: str) -> HttpResponse:
    """A review decision: the first POST shows what it will do, the confirmed one does it."""
    if decision not in DECISIONS:
        raise Http404
    group = selectors.review_group(pk)
    if group is None:
        messages.info(request, "That reminder is no longer in review: someone decided already.")
        return redirect("reminders:outbox")
    if decision == "sent" and group.channel not in PROVIDER_CHANNELS:
        messages.error(request, "Only an e-mail or SMS can have gone out without Settle "
                                "knowing: send this one again or cancel it.")
        return redirect("reminders:outbox")
    confirmed = (request.POST.get("confirm") == decision
                 and request.POST.get("rows") == group.row_ids)
    if not confirmed:
        return render(request, "desk/outbox_review_confirm.html", {
            "group": group, "decision": decision, "choice": DECISIONS[decision],
            "consequences": _consequences(decision, group),
            "changed": bool(request.POST.get("confirm"))})
    now = timezone.now()
    try:
        if decision == "sent":
            review_mark_sent(group=group, actor=request.user, now=now)
            messages.success(request, f"Marked as sent: {describe(group)} "
                                      f"({invoice_numbers(group)}).")
        elif decision == "cancel":
            review_cancel(group=group, actor=request.user, now=now)
            messages.success(request, f"Cancelled: {describe(group)} "
                                      f"({invoice_numbers(group)}) was not sent and will not be.")
        else:
            level, text = _again_result(review_send_again(group=group, actor=request.user,
                                                          now=now))
            messages.add_message(request, level, text)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reminders:outbox")
