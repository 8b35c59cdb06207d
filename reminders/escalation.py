"""Escalation: a letter of demand issued by hand, and handing invoices to collections with
the package a collections agency (or a lawyer) needs to take over.

The package is evidence, so it is built from what Settle stored, never re-worded: the invoices
and statements exactly as the client receives them (their language, ``receivables.documents``),
then every message as it went out, every call attempt, every dispute and the timeline. The
cover and the log are in English for whoever takes over; money goes through
``core.money.format_money`` and dates through Babel in the business's locale, times in the
client's time zone (said on the cover), CSV values in ISO 8601 and plain decimals.

Both actions go through the reminder engine's own paths rather than beside it: handing over is
``invoice_transition`` to "in collections" (the planner and the dispatcher stop on that
status) plus cancelling the outbox rows still waiting; a letter of demand is the cadence's
"Letter of demand" step sent now through the dispatcher's send path (template, letter layout,
pay link, print queue), so the cadence counts the step as done and never sends a second one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.utils import format_datetime as rfc5322_date
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.template.loader import render_to_string

from answers.models import Dispute, PaymentPlan, PlanStatus
from clients.business import business
from clients.models import (
    Client,
    Interaction,
    InteractionChannel,
    InteractionInvoice,
    InteractionKind,
)
from clients.selectors import open_flags, working_contact
from clients.services import actor_label_for, interaction_record
from config import pdf
from core.contact import babel_locale
from core.money import format_money
from core.money import quantize as q
from receivables.documents import invoice_html, statement_for, statement_html
from receivables.models import ACTIVE_STATUSES, RECEIVABLE_STATUSES, Invoice, InvoiceStatus
from receivables.services import invoice_transition
from reminders import selectors
from reminders.dispatch import step_send
from reminders.models import CadenceStep, OutboundMessage, Reminder, ReminderStatus
from reminders.outbox import TickReport, reminders_claim
from work.models import CallAttempt, Task

logger = logging.getLogger(__name__)
url_fetcher = pdf.StaticFilesOnlyFetcher(log=logger)

DEMAND_TEMPLATE = "demand_30"  # the seeded cadence's "Letter of demand" step
HANDOVER_REASON = "handed to collections"  # the status change's reason when there is no note


# --- The package -------------------------------------------------------------------------------

def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Package:
    """The collections package: one PDF to read, and a ZIP with the same parts as files.
    ``files`` maps each ZIP member to its SHA-256, so the timeline can later prove what was
    handed over."""

    pdf: bytes
    zip: bytes
    stem: str  # file name without extension: collections-<customer no>-<date>
    files: dict[str, str]

    @property
    def pdf_name(self) -> str:
        return f"{self.stem}.pdf"

    @property
    def zip_name(self) -> str:
        return f"{self.stem}.zip"

    def manifest(self) -> dict[str, Any]:
        return {"pdf": {"name": self.pdf_name, "sha256": sha256(self.pdf)},
                "zip": {"name": self.zip_name, "sha256": sha256(self.zip)},
                "files": self.files}


@dataclass(frozen=True)
class _Evidence:
    """Everything the package shows, loaded in a fixed number of queries."""

    client: Client
    invoices: list[Invoice]
    messages: list[OutboundMessage]
    message_invoices: dict[int, list[str]]  # message id → invoice numbers it was about
    calls: list[CallAttempt]
    task_invoices: dict[int, list[str]]  # task id → invoice numbers
    disputes: list[Dispute]
    timeline: list[Interaction]  # oldest first: these invoices' entries and client-wide ones


def _load(client: Client, invoice_ids: list[int]) -> _Evidence:
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).select_related("terms")
                    .order_by("due_date", "number"))
    for invoice in invoices:
        invoice.client = client  # the documents read it; one instance, no query each
    messages = list(OutboundMessage.objects.filter(
        pk__in=Reminder.objects.filter(invoice__in=invoice_ids).values("message_id"))
        .order_by("created_at", "pk"))
    about: dict[int, list[str]] = defaultdict(list)
    for message_id, number in (Reminder.objects.filter(message__in=messages,
                                                       invoice__in=invoice_ids)
                               .order_by("invoice__number").values_list("message_id",
                                                                        "invoice__number")):
        about[message_id].append(number)
    calls = list(CallAttempt.objects.filter(
        task__in=Task.objects.filter(invoices__in=invoice_ids).values("pk"))
        .select_related("called_by").order_by("called_at", "pk"))
    tasks: dict[int, list[str]] = defaultdict(list)
    for task_id, number in (Task.invoices.through.objects
                            .filter(task__in={c.task_id for c in calls}, invoice__in=invoice_ids)
                            .order_by("invoice__number").values_list("task_id",
                                                                     "invoice__number")):
        tasks[task_id].append(number)
    disputes = list(Dispute.objects.filter(invoice__in=invoice_ids).select_related("invoice")
                    .order_by("created_at", "pk"))
    return _Evidence(client=client, invoices=invoices, messages=messages,
                     message_invoices=dict(about), calls=calls, task_invoices=dict(tasks),
                     disputes=disputes, timeline=_timeline(client, invoice_ids))


def _timeline(client: Client, invoice_ids: list[int]) -> list[Interaction]:
    """The client's entries about these invoices, and those about the client as a whole
    (pauses, flagged contact points); not those about its other invoices. Two queries."""
    links = InteractionInvoice.objects.filter(interaction=OuterRef("pk"))
    return list(Interaction.objects.filter(client=client)
                .filter(Exists(links.filter(invoice__in=invoice_ids)) | ~Exists(links))
                .order_by("occurred_at", "pk")
                .prefetch_related(Prefetch("invoices", Invoice.objects.only("id", "number")
                                           .order_by("number"))))


@dataclass(frozen=True)
class _Format:
    """The cover's and the log's formatting: business locale, the client's time zone."""

    locale: str
    zone: ZoneInfo

    def money(self, amount: Decimal, currency: str) -> str:
        return format_money(amount, currency, self.locale)

    def day(self, day: date | None) -> str:
        return format_date(day, format="medium", locale=self.locale) if day else ""

    def moment(self, when: datetime | None) -> str:
        return format_datetime(when, format="medium", tzinfo=self.zone,
                               locale=self.locale) if when else ""

    def iso(self, when: datetime | None) -> str:
        return when.astimezone(self.zone).isoformat() if when else ""


def _format_for(client: Client) -> _Format:
    language = (settings.LANGUAGE_CODE or "en").split("-")[0]
    return _Format(babel_locale(language, settings.SETTLE_DEFAULT_COUNTRY),
                   ZoneInfo(client.timezone))


def _handovers(evidence: _Evidence) -> dict[int, Interaction]:
    """Invoice id → the (latest) timeline entry that moved it into collections: who, when,
    why. Read from the timeline, so a package rebuilt later says the same."""
    found: dict[int, Interaction] = {}
    for entry in evidence.timeline:
        if (entry.kind == InteractionKind.STATUS_CHANGE
                and entry.metadata.get("to") == InvoiceStatus.IN_COLLECTIONS):
            for invoice in entry.invoices.all():
                found[invoice.pk] = entry
    return found


def _first_line(message: OutboundMessage) -> str:
    lines = [line.strip() for line in message.text.splitlines() if line.strip()]
    return message.subject or (lines[0] if lines else "")


def _currencies(evidence: _Evidence) -> list[str]:
    """The handed-over invoices' currencies, the client's own first (as statements order
    them): one statement each, since amounts in different currencies never add up."""
    codes = {invoice.currency for invoice in evidence.invoices}
    default = evidence.client.default_currency
    return sorted(codes, key=lambda code: (code != default, code))


def _totals(evidence: _Evidence, fmt: _Format) -> list[dict[str, str]]:
    rows = []
    for currency in _currencies(evidence):
        mine = [i for i in evidence.invoices if i.currency == currency]
        rows.append({"currency": currency, "count": str(len(mine)), **{
            field: fmt.money(q(sum((getattr(i, field) for i in mine), Decimal(0)), currency),
                             currency)
            for field in ("total", "amount_paid", "balance")}})
    return rows


def _contact_points(client: Client) -> list[dict[str, str]]:
    flagged = {(f.channel, f.value): f.get_reason_display() for f in open_flags(client)}
    points = [("Email", "email", client.email.strip().lower()),
              ("Mobile", "sms", client.mobile_phone), ("Phone", "phone", client.phone)]
    return [{"label": label, "value": value, "flag": flagged.get((channel, value), "")}
            for label, channel, value in points if value]


def _cover_context(evidence: _Evidence, now: datetime, fmt: _Format) -> dict[str, Any]:
    client, handovers = evidence.client, _handovers(evidence)
    today = now.astimezone(fmt.zone).date()
    latest = max(handovers.values(), key=lambda e: (e.occurred_at, e.pk), default=None)
    return {
        "title": f"Collections package: {client.display_name}",
        "sender": pdf.sender_block(), "client": client,
        "address": pdf.address_lines(client, "en"), "contacts": _contact_points(client),
        "prepared": fmt.moment(now), "zone": client.timezone,
        "escalated_on": fmt.moment(latest.occurred_at) if latest else "",
        "escalated_by": latest.actor_label if latest else "",
        "note": _note(latest),
        "invoices": [{
            "number": i.number, "reference": i.reference, "issue_date": fmt.day(i.issue_date),
            "due_date": fmt.day(i.due_date), "days_overdue": max(i.days_overdue(today), 0),
            "total": fmt.money(i.total, i.currency), "paid": fmt.money(i.amount_paid, i.currency),
            "balance": fmt.money(i.balance, i.currency), "status": i.get_status_display(),
            "since": fmt.day(handovers[i.pk].occurred_at.astimezone(fmt.zone).date())
            if i.pk in handovers else "",
            "by": handovers[i.pk].actor_label if i.pk in handovers else ""}
            for i in evidence.invoices],
        "totals": _totals(evidence, fmt),
        "contents": [f"Statement of account ({c})" for c in _currencies(evidence)]
        + [f"Invoice {i.number}" for i in evidence.invoices]
        + [f"Reminders sent ({len(evidence.messages)})", f"Call attempts ({len(evidence.calls)})",
           f"Disputes ({len(evidence.disputes)})",
           f"Promises to pay ({len(_promises(evidence, fmt))})"],
    }


def _note(handover: Interaction | None) -> str:
    reason = handover.metadata.get("reason", "") if handover else ""
    return "" if reason == HANDOVER_REASON else reason


def _promises(evidence: _Evidence, fmt: _Format) -> list[dict[str, str]]:
    """Promises to pay and the broken-promise entries the scheduler wrote, from the
    timeline."""
    rows = []
    for entry in evidence.timeline:
        if entry.kind == InteractionKind.PROMISE_TO_PAY:
            what = "Promise"
        elif entry.kind == InteractionKind.ESCALATION and "broken_promise" in entry.metadata:
            what = "Broken promise"
        else:
            continue
        rows.append({"when": fmt.moment(entry.occurred_at), "what": what,
                     "summary": entry.summary, "by": entry.actor_label,
                     "invoices": ", ".join(i.number for i in entry.invoices.all())})
    return rows


def _history_context(evidence: _Evidence, fmt: _Format) -> dict[str, Any]:
    return {
        "title": f"History: {evidence.client.display_name}", "zone": evidence.client.timezone,
        "messages": [{
            "when": fmt.moment(m.sent_at or m.created_at), "channel": m.get_channel_display(),
            "to": m.to, "headline": _first_line(m),
            "status": m.get_status_display(), "detail": m.status_detail,
            "invoices": ", ".join(evidence.message_invoices.get(m.pk, []))}
            for m in evidence.messages],
        "calls": [{
            "when": fmt.moment(c.called_at), "number": c.number,
            "outcome": c.get_outcome_display(), "note": c.note, "by": actor_label_for(c.called_by),
            "promised": _promised(c, evidence, fmt),
            "invoices": ", ".join(evidence.task_invoices.get(c.task_id, []))}
            for c in evidence.calls],
        "disputes": [{
            "when": fmt.moment(d.created_at), "invoice": d.invoice.number,
            "reason": d.get_reason_display(), "message": d.message,
            "status": d.get_status_display(), "resolved": fmt.moment(d.resolved_at),
            "channel": d.channel}
            for d in evidence.disputes],
        "promises": _promises(evidence, fmt),
    }


def _call_currency(call: CallAttempt, evidence: _Evidence) -> str:
    numbers = evidence.task_invoices.get(call.task_id, [])
    return next((i.currency for i in evidence.invoices if i.number in numbers),
                evidence.client.default_currency)


def _promised(call: CallAttempt, evidence: _Evidence, fmt: _Format) -> str:
    if call.promised_on is None:
        return ""
    amount = (fmt.money(call.promised_amount, _call_currency(call, evidence))
              if call.promised_amount else "")
    return f"{amount} by {fmt.day(call.promised_on)}".strip()


# --- Files -------------------------------------------------------------------------------------

def _safe(name: str) -> str:
    """A file name from an invoice number or customer number ("2026/001" → "2026_001")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "unnamed"


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV. A cell that a spreadsheet would run as a formula (=, +, -, @) is prefixed
    with an apostrophe: dispute messages and notes are typed by clients and callers."""
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8")


def _calls_csv(evidence: _Evidence, fmt: _Format) -> bytes:
    return _csv(
        ["called_at", "number", "outcome", "outcome_label", "note", "promised_on",
         "promised_amount", "currency", "called_by", "invoices"],
        [[fmt.iso(c.called_at), c.number, c.outcome, c.get_outcome_display(), c.note,
          c.promised_on.isoformat() if c.promised_on else "",
          q(c.promised_amount, _call_currency(c, evidence)) if c.promised_amount else "",
          _call_currency(c, evidence) if c.promised_amount else "",
          actor_label_for(c.called_by), " ".join(evidence.task_invoices.get(c.task_id, []))]
         for c in evidence.calls])


def _disputes_csv(evidence: _Evidence, fmt: _Format) -> bytes:
    return _csv(
        ["created_at", "invoice", "reason", "reason_label", "message", "status", "resolved_at",
         "channel", "attachment"],
        [[fmt.iso(d.created_at), d.invoice.number, d.reason, d.get_reason_display(), d.message,
          d.status, fmt.iso(d.resolved_at), d.channel, d.attachment_name]
         for d in evidence.disputes])


def _timeline_csv(evidence: _Evidence, fmt: _Format) -> bytes:
    return _csv(
        ["occurred_at", "kind", "kind_label", "channel", "actor", "summary", "invoices"],
        [[fmt.iso(e.occurred_at), e.kind, e.get_kind_display(), e.channel, e.actor_label,
          e.summary, " ".join(i.number for i in e.invoices.all())] for e in evidence.timeline])


def _reminders_csv(evidence: _Evidence, fmt: _Format) -> bytes:
    return _csv(
        ["sent_at", "channel", "to", "subject_or_first_line", "status", "status_detail",
         "provider", "provider_message_id", "invoices", "file"],
        [[fmt.iso(m.sent_at or m.created_at), m.channel, m.to, _first_line(m), m.status,
          m.status_detail, m.provider, m.provider_message_id,
          " ".join(evidence.message_invoices.get(m.pk, [])), _message_stem(m, fmt)]
         for m in evidence.messages])


def _message_stem(message: OutboundMessage, fmt: _Format) -> str:
    day = (message.sent_at or message.created_at).astimezone(fmt.zone).date()
    return f"reminders/{day.isoformat()}-{message.channel}-{message.pk}"


def _message_text(message: OutboundMessage, evidence: _Evidence) -> bytes:
    """The message as an email-like text file: headers saying what, to whom, when and how it
    ended, then the text as sent."""
    when = message.sent_at or message.created_at
    headers = [("Date", rfc5322_date(when.astimezone(ZoneInfo(evidence.client.timezone)))),
               ("From", business().name), ("To", message.to),
               ("Subject", message.subject), ("X-Settle-Channel", message.channel),
               ("X-Settle-Status", message.get_status_display()
                + (f" ({message.status_detail})" if message.status_detail else "")),
               ("X-Settle-Provider", f"{message.provider} {message.provider_message_id}".strip()),
               ("X-Settle-Invoices", ", ".join(evidence.message_invoices.get(message.pk, [])))]
    body = message.text or ("(No plain text: see the .html and .pdf files of this message.)"
                            if message.html or message.document else "")
    head = "\n".join(f"{name}: {value}" for name, value in headers if value)
    return f"{head}\n\n{body}\n".encode()


def _message_files(evidence: _Evidence, fmt: _Format) -> list[tuple[str, bytes]]:
    files = []
    for message in evidence.messages:
        stem = _message_stem(message, fmt)
        files.append((f"{stem}.txt", _message_text(message, evidence)))
        if message.html:
            files.append((f"{stem}.html", message.html.encode()))
        if message.document:
            files.append((f"{stem}.pdf", bytes(message.document)))
    return files


def _zip(files: list[tuple[str, bytes]], now: datetime, zone: ZoneInfo) -> bytes:
    """The ZIP, each member stamped with the package's time (not the wall clock), so the
    same evidence at the same moment gives the same bytes."""
    stamp = now.astimezone(zone).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


# --- Rendering ---------------------------------------------------------------------------------

def _document(template: str, context: dict[str, Any]) -> pdf.Document:
    paper = pdf.paper_for(settings.SETTLE_DEFAULT_COUNTRY).lower()
    return pdf.render_document(render_to_string(template, {**context, "paper": paper,
                                                           "base_url": pdf.base_url()}),
                               url_fetcher=url_fetcher)


def _documents(evidence: _Evidence, now: datetime,
               fmt: _Format) -> list[tuple[str | None, pdf.Document]]:
    """(ZIP member name or None, laid-out document) in the package's order. The log of
    messages, calls, disputes and promises is only in the PDF: the ZIP carries the same as
    CSV files and the messages themselves."""
    today = now.astimezone(fmt.zone).date()
    client = evidence.client
    parts: list[tuple[str | None, pdf.Document]] = [
        ("cover.pdf", _document("escalation/package_cover.html",
                                _cover_context(evidence, now, fmt)))]
    for currency in _currencies(evidence):
        statement = statement_for(client, currency=currency, start=None, end=today, today=today)
        parts.append((f"statement-{currency}.pdf", pdf.render_document(
            statement_html(statement), url_fetcher=url_fetcher)))
    names = _invoice_names(evidence.invoices)
    for invoice in evidence.invoices:
        parts.append((names[invoice.pk], pdf.render_document(invoice_html(invoice),
                                                             url_fetcher=url_fetcher)))
    parts.append((None, _document("escalation/package_history.html",
                                  _history_context(evidence, fmt))))
    return parts


def _invoice_names(invoices: list[Invoice]) -> dict[int, str]:
    names: dict[int, str] = {}
    for invoice in invoices:
        name = f"invoices/{_safe(invoice.number)}.pdf"
        if name in names.values():  # two numbers that differ only in unsafe characters
            name = f"invoices/{_safe(invoice.number)}-{invoice.pk}.pdf"
        names[invoice.pk] = name
    return names


def collections_package(*, client: Client, invoices: Sequence[Invoice],
                        now: datetime) -> Package:
    """The package for ``invoices`` of ``client`` as they stand at ``now``: one PDF (cover,
    statement per currency, each invoice, the log of messages, calls, disputes and promises)
    and a ZIP of the same parts as files. Queries: a fixed dozen plus what rendering each
    statement (four) and invoice (two) needs, however long the history."""
    ids = list(dict.fromkeys(invoice.pk for invoice in invoices))
    if not ids:
        raise ValidationError("A collections package needs at least one invoice.")
    if any(invoice.client_id != client.pk for invoice in invoices):
        raise ValidationError(f"An invoice given does not belong to {client.display_name}.")
    evidence = _load(client, ids)
    fmt = _format_for(client)
    parts = _documents(evidence, now, fmt)
    first = parts[0][1]
    combined = first.copy([page for _, document in parts for page in document.pages])
    files = [(name, document.write_pdf()) for name, document in parts if name]
    files += _message_files(evidence, fmt)
    files += [("reminders.csv", _reminders_csv(evidence, fmt)),
              ("calls.csv", _calls_csv(evidence, fmt)),
              ("disputes.csv", _disputes_csv(evidence, fmt)),
              ("timeline.csv", _timeline_csv(evidence, fmt))]
    day = now.astimezone(fmt.zone).date().isoformat()
    return Package(pdf=combined.write_pdf(), zip=_zip(files, now, fmt.zone),
                   stem=f"collections-{_safe(client.reference)}-{day}",
                   files={name: sha256(content) for name, content in files})


# --- Handing over ------------------------------------------------------------------------------

def _live_plans(invoice_ids: list[int]) -> dict[int, PaymentPlan]:
    """Invoice id → the proposed or accepted payment plan covering it (one query)."""
    plans = (PaymentPlan.objects.filter(invoices__in=invoice_ids,
                                        status__in=[PlanStatus.PROPOSED, PlanStatus.ACCEPTED])
             .prefetch_related("invoices").distinct())
    return {invoice.pk: plan for plan in plans for invoice in plan.invoices.all()
            if invoice.pk in invoice_ids}


def _plan_problem(invoice: Invoice, plans: dict[int, PaymentPlan]) -> str:
    plan = plans.get(invoice.pk)
    if plan is None:
        return ""
    return (f"Invoice {invoice.number} is in payment plan {plan.pk} "
            f"({plan.get_status_display().lower()}): decline or cancel the plan first.")


def _locked(invoices: Iterable[Invoice]) -> list[Invoice]:
    """The invoices afresh and locked (the statuses checked are the ones changed); refused
    when one no longer exists."""
    ids = list(dict.fromkeys(invoice.pk for invoice in invoices))
    if not ids:
        raise ValidationError("Select at least one invoice.")
    found = list(Invoice.objects.select_for_update().filter(pk__in=ids)
                 .select_related("client").order_by("due_date", "number"))
    if len(found) != len(ids):
        raise ValidationError("An invoice selected no longer exists; reload the page.")
    return found


def _one_client(invoices: list[Invoice]) -> Client:
    clients = {invoice.client_id: invoice.client for invoice in invoices}
    if len(clients) > 1:
        owners = "; ".join(f"{i.number} is {i.client.display_name}'s" for i in invoices)
        raise ValidationError(f"Invoices of different clients cannot be handed over "
                              f"together: {owners}.")
    return invoices[0].client


def _escalation_problem(invoice: Invoice) -> str:
    status = InvoiceStatus(invoice.status)
    if status == InvoiceStatus.IN_COLLECTIONS:
        return f"Invoice {invoice.number} is already in collections."
    if status not in RECEIVABLE_STATUSES or invoice.balance <= 0:
        return (f"Invoice {invoice.number} is {status.label.lower()}: nothing is owed on it "
                "to hand over.")
    return ""


def _cancel_waiting(invoices: list[Invoice], why: str) -> int:
    """Outbox rows still waiting for these invoices: cancelled, saying why (a row a worker
    has claimed meanwhile is cancelled by the dispatcher's own stop check)."""
    return Reminder.objects.filter(invoice__in=invoices, status=ReminderStatus.SCHEDULED).update(
        status=ReminderStatus.CANCELLED, last_error=why)


def _amounts(invoices: list[Invoice]) -> str:
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        by_currency[invoice.currency] += invoice.balance
    return " + ".join(format_money(q(amount, currency), currency)
                      for currency, amount in sorted(by_currency.items()))


def escalate_to_collections(*, invoices: Iterable[Invoice], actor: User | None,
                            now: datetime, note: str = "") -> Package:
    """Hand ``invoices`` (one client's, still owed) to collections in one transaction: each
    moves to "in collections" (the engine sends nothing more for it), its waiting outbox rows
    are cancelled, and one timeline entry records who did it with the package's file hashes.
    The package is built after the move, so its cover says "in collections"; if it cannot be
    built, nothing is handed over."""
    note = note.strip()
    with transaction.atomic():
        chosen = _locked(invoices)
        client = _one_client(chosen)
        plans = _live_plans([i.pk for i in chosen])
        problems = [p for i in chosen for p in (_escalation_problem(i), _plan_problem(i, plans))
                    if p]
        if problems:
            raise ValidationError(problems)
        for invoice in chosen:
            invoice_transition(invoice=invoice, to=InvoiceStatus.IN_COLLECTIONS, actor=actor,
                               reason=note or HANDOVER_REASON)
        day = now.astimezone(ZoneInfo(client.timezone)).date().isoformat()
        cancelled = _cancel_waiting(chosen, f"Not sent: handed to collections by "
                                            f"{actor_label_for(actor)} on {day}.")
        package = collections_package(client=client, invoices=chosen, now=now)
        numbers = [i.number for i in chosen]
        interaction_record(
            client=client, kind=InteractionKind.ESCALATION, actor=actor, occurred_at=now,
            summary=f"Handed to collections: {', '.join(numbers)} ({_amounts(chosen)})"
                    + (f" — {note}" if note else ""),
            content={"note": note} if note else {},
            metadata={"collections": True, "invoices": numbers,
                      "reminders_cancelled": cancelled, "package": package.manifest()},
            invoices=chosen)
    return package


# --- A letter of demand now --------------------------------------------------------------------

def _demand_step(client: Client) -> CadenceStep:
    """The client's cadence's letter-of-demand step, else the default cadence's, else any
    cadence's: the step whose template, tone and actions the letter follows."""
    book = selectors.CadenceBook()
    cadence = book.cadence_for(client.pk, frozenset(client.tags.values_list("name", flat=True)))
    steps = [s for s in book.step_rows.values() if s.template_key == DEMAND_TEMPLATE]
    mine = [s for s in steps if cadence is not None and s.cadence_id == cadence.pk]
    default = [s for s in steps if book.default is not None and s.cadence_id == book.default.pk]
    found = mine or default or sorted(steps, key=lambda s: s.pk)
    if not found:
        raise ValidationError(f"No cadence has a step with the '{DEMAND_TEMPLATE}' letter "
                              "template: add a letter-of-demand step to a cadence first.")
    return found[0]


def _demand_problem(invoice: Invoice, client: Client) -> str:
    if invoice.client_id != client.pk:
        return f"Invoice {invoice.number} belongs to {invoice.client.display_name}."
    if invoice.status not in ACTIVE_STATUSES or invoice.balance <= 0:
        return (f"Invoice {invoice.number} is {invoice.get_status_display().lower()}: a letter "
                "of demand is only for an open invoice with money owed.")
    return ""


def _demand_problems(client: Client, invoices: list[Invoice]) -> list[str]:
    """Why these invoices cannot get a letter of demand now (nothing: they can)."""
    plans = _live_plans([i.pk for i in invoices])
    problems = [p for i in invoices for p in (_demand_problem(i, client), _plan_problem(i, plans))
                if p]
    if len({i.currency for i in invoices}) > 1:
        problems.append("Select invoices in one currency: a letter's amounts must add up. "
                        "Issue one letter per currency.")
    if not working_contact(client, "letter"):
        problems.append(f"{client.display_name} has no usable postal address: add the street "
                        "and city first.")
    return problems


# Outbox rows for the step that a person may send again; the others say why not.
_RESENDABLE = (ReminderStatus.SCHEDULED, ReminderStatus.FAILED, ReminderStatus.CANCELLED,
               ReminderStatus.SKIPPED)


def _row_problem(row: Reminder | None, number: str) -> str:
    if row is None or row.status in _RESENDABLE:
        return ""
    if row.status == ReminderStatus.SENT:
        when = f" on {row.sent_at.date().isoformat()}" if row.sent_at else ""
        return f"The letter of demand for {number} already went out{when}."
    if row.status == ReminderStatus.REVIEW:
        return (f"The letter of demand for {number} needs review in the outbox first: it may "
                "have gone out.")
    return f"The letter of demand for {number} is being sent right now."


def _demand_rows(invoices: list[Invoice], step: CadenceStep, now: datetime) -> list[Reminder]:
    """The step's outbox row for each invoice, due now on the letter channel and claimed for
    this send: a new one, or the one waiting (or failed, cancelled, skipped) for it."""
    existing = {r.invoice_id: r for r in Reminder.objects.filter(
        invoice__in=invoices, step=step, instalment__isnull=True)}
    problems = [p for i in invoices if (p := _row_problem(existing.get(i.pk), i.number))]
    if problems:
        raise ValidationError(problems)
    ids = []
    for invoice in invoices:
        row = existing.get(invoice.pk)
        if row is None:
            row = Reminder.objects.create(invoice=invoice, client=invoice.client, step=step,
                                          channel="letter", scheduled_for=now)
        elif not Reminder.objects.filter(pk=row.pk, status=row.status).update(
                status=ReminderStatus.SCHEDULED, channel="letter", scheduled_for=now,
                claimed_at=None, failed_channels=[], last_error=""):
            raise ValidationError(f"The letter of demand for {invoice.number} changed "
                                  "meanwhile; try again.")
        ids.append(row.pk)
    rows = reminders_claim(ids, now)
    if len(rows) != len(ids):
        raise ValidationError("The scheduler is sending these reminders right now; try again "
                              "in a minute.")
    return rows


def _send_step(rows: list[Reminder], step: CadenceStep, now: datetime) -> None:
    """The dispatcher's send path for a group of rows, as ``_dispatch_group`` runs it once
    its timing checks pass: late fee first if the step charges one, send, then the step's
    other actions. Raises ``ValidationError`` when nothing went out."""
    report = TickReport()
    if not step_send(rows, step, now, report):
        raise ValidationError(report.errors[-1] if report.errors
                              else "The letter of demand could not be issued.")


def letter_of_demand_issue(*, client: Client, invoices: Iterable[Invoice],
                           actor: User | None, now: datetime) -> OutboundMessage:
    """Issue the cadence's letter of demand now for ``invoices`` (one currency): rendered from
    the "demand_30" letter template into the letter layout, its PDF waiting in the print
    queue. The step's outbox rows record it as sent, so the cadence does not send it again;
    the timeline says who issued it (and, once the batch is posted, that it went out)."""
    try:
        with transaction.atomic():
            chosen = _locked(invoices)
            if problems := _demand_problems(client, chosen):
                raise ValidationError(problems)
            step = _demand_step(client)
            rows = _demand_rows(chosen, step, now)
            _send_step(rows, step, now)
            letter = OutboundMessage.objects.get(reminders__pk=rows[0].pk)
            _record_demand(letter, step, chosen, actor, now)
    except IntegrityError:  # the planner wrote the step's row between our read and insert
        raise ValidationError("The cadence planned this letter meanwhile; try again.") from None
    except pdf.PdfRenderError as exc:
        raise ValidationError(f"The letter could not be laid out: {exc}") from None
    return letter


def _record_demand(letter: OutboundMessage, step: CadenceStep, invoices: list[Invoice],
                   actor: User | None, now: datetime) -> Interaction:
    numbers = ", ".join(i.number for i in invoices)
    return interaction_record(
        client=letter.client, kind=InteractionKind.ESCALATION, channel=InteractionChannel.LETTER,
        actor=actor, occurred_at=now, invoices=invoices,
        summary=f"Letter of demand issued by {actor_label_for(actor)} for {numbers} "
                f"({_amounts(invoices)}): waiting in the print queue",
        metadata={"letter_of_demand": True, "message_id": letter.pk, "step": step.name,
                  "template_key": step.template_key})
