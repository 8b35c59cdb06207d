"""The collections package: a PDF (cover, invoices and statements as the client received them,
the history) and a ZIP (the same plus every message, calls, disputes and the timeline as CSV,
with SHA-256 checksums) — evidence, so built from what Settle stored, never re-worded."""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from email.utils import format_datetime as rfc5322_date
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from answers import banking
from clients.business import business, sender_block
from clients.models import (
    Client,
    Interaction,
    InteractionKind,
)
from clients.selectors import open_flags
from clients.services import actor_label_for
from core.money import quantize as q
from escalation.evidence import (
    HANDOVER_REASON,
    Evidence,
    Format,
    Package,
    currencies,
    first_line,
    format_for,
    handovers_by_invoice,
    load_evidence,
    sha256,
)
from infra import pdf
from receivables.documents import invoice_html, statement_for, statement_html
from receivables.models import Invoice
from reminders.models import OutboundMessage
from work.models import CallAttempt

logger = logging.getLogger(__name__)


url_fetcher = pdf.StaticFilesOnlyFetcher(log=logger)

def _totals(evidence: Evidence, fmt: Format) -> list[dict[str, str]]:
    rows = []
    for currency in currencies(evidence):
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

def _cover_context(evidence: Evidence, now: datetime, fmt: Format) -> dict[str, Any]:
    client, handovers = evidence.client, handovers_by_invoice(evidence)
    today = now.astimezone(fmt.zone).date()
    latest = max(handovers.values(), key=lambda e: (e.occurred_at, e.pk), default=None)
    return {
        "title": f"Collections package: {client.display_name}",
        "sender": sender_block(), "client": client,
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
        "contents": [f"Statement of account ({c})" for c in currencies(evidence)]
        + [f"Invoice {i.number}" for i in evidence.invoices]
        + [f"Reminders sent ({len(evidence.messages)})", f"Call attempts ({len(evidence.calls)})",
           f"Disputes ({len(evidence.disputes)})",
           f"Promises to pay ({len(_promises(evidence, fmt))})"],
    }

def _note(handover: Interaction | None) -> str:
    reason = handover.metadata.get("reason", "") if handover else ""
    return "" if reason == HANDOVER_REASON else reason

def _promises(evidence: Evidence, fmt: Format) -> list[dict[str, str]]:
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

def _history_context(evidence: Evidence, fmt: Format) -> dict[str, Any]:
    return {
        "title": f"History: {evidence.client.display_name}", "zone": evidence.client.timezone,
        "messages": [{
            "when": fmt.moment(m.sent_at or m.created_at), "channel": m.get_channel_display(),
            "to": m.to, "headline": first_line(m),
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

def _call_currency(call: CallAttempt, evidence: Evidence) -> str:
    numbers = evidence.task_invoices.get(call.task_id, [])
    return next((i.currency for i in evidence.invoices if i.number in numbers),
                evidence.client.default_currency)

def _promised(call: CallAttempt, evidence: Evidence, fmt: Format) -> str:
    if call.promised_on is None:
        return ""
    amount = (fmt.money(call.promised_amount, _call_currency(call, evidence))
              if call.promised_amount else "")
    return f"{amount} by {fmt.day(call.promised_on)}".strip()

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

def _calls_csv(evidence: Evidence, fmt: Format) -> bytes:
    return _csv(
        ["called_at", "number", "outcome", "outcome_label", "note", "promised_on",
         "promised_amount", "currency", "called_by", "invoices"],
        [[fmt.iso(c.called_at), c.number, c.outcome, c.get_outcome_display(), c.note,
          c.promised_on.isoformat() if c.promised_on else "",
          q(c.promised_amount, _call_currency(c, evidence)) if c.promised_amount else "",
          _call_currency(c, evidence) if c.promised_amount else "",
          actor_label_for(c.called_by), " ".join(evidence.task_invoices.get(c.task_id, []))]
         for c in evidence.calls])

def _disputes_csv(evidence: Evidence, fmt: Format) -> bytes:
    return _csv(
        ["created_at", "invoice", "reason", "reason_label", "message", "status", "resolved_at",
         "channel", "attachment"],
        [[fmt.iso(d.created_at), d.invoice.number, d.reason, d.get_reason_display(), d.message,
          d.status, fmt.iso(d.resolved_at), d.channel, d.attachment_name]
         for d in evidence.disputes])

def _timeline_csv(evidence: Evidence, fmt: Format) -> bytes:
    return _csv(
        ["occurred_at", "kind", "kind_label", "channel", "actor", "summary", "invoices"],
        [[fmt.iso(e.occurred_at), e.kind, e.get_kind_display(), e.channel, e.actor_label,
          e.summary, " ".join(i.number for i in e.invoices.all())] for e in evidence.timeline])

def _reminders_csv(evidence: Evidence, fmt: Format) -> bytes:
    return _csv(
        ["sent_at", "channel", "to", "subject_or_first_line", "status", "status_detail",
         "provider", "provider_message_id", "invoices", "file"],
        [[fmt.iso(m.sent_at or m.created_at), m.channel, m.to, first_line(m), m.status,
          m.status_detail, m.provider, m.provider_message_id,
          " ".join(evidence.message_invoices.get(m.pk, [])), _message_stem(m, fmt)]
         for m in evidence.messages])

def _message_stem(message: OutboundMessage, fmt: Format) -> str:
    day = (message.sent_at or message.created_at).astimezone(fmt.zone).date()
    return f"reminders/{day.isoformat()}-{message.channel}-{message.pk}"

def _message_text(message: OutboundMessage, evidence: Evidence) -> bytes:
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

def _message_files(evidence: Evidence, fmt: Format) -> list[tuple[str, bytes]]:
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

def _document(template: str, context: dict[str, Any]) -> pdf.Document:
    paper = pdf.paper_for(settings.SETTLE_DEFAULT_COUNTRY).lower()
    return pdf.render_document(render_to_string(template, {**context, "paper": paper,
                                                           "base_url": pdf.base_url()}),
                               url_fetcher=url_fetcher)

def _documents(evidence: Evidence, now: datetime,
               fmt: Format) -> list[tuple[str | None, pdf.Document]]:
    """(ZIP member name or None, laid-out document) in the package's order. The log of
    messages, calls, disputes and promises is only in the PDF: the ZIP carries the same as
    CSV files and the messages themselves."""
    today = now.astimezone(fmt.zone).date()
    client = evidence.client
    parts: list[tuple[str | None, pdf.Document]] = [
        ("cover.pdf", _document("escalation/package_cover.html",
                                _cover_context(evidence, now, fmt)))]
    for currency in currencies(evidence):
        statement = statement_for(client, currency=currency, start=None, end=today, today=today)
        parts.append((f"statement-{currency}.pdf", pdf.render_document(
            statement_html(statement, payment_text=banking.transfer_text),
            url_fetcher=url_fetcher)))
    names = _invoice_names(evidence.invoices)
    for invoice in evidence.invoices:
        parts.append((names[invoice.pk], pdf.render_document(
            invoice_html(invoice, payment_text=banking.transfer_text), url_fetcher=url_fetcher)))
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
    evidence = load_evidence(client, ids)
    fmt = format_for(client)
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
