"""What the evidence is built from: everything Settle stored about a client's invoices (the
invoices, messages as they went out, calls, disputes, the timeline), loaded once, and how the
business formats money and dates for whoever takes over."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch

from answers.models import Dispute
from clients.models import (
    Client,
    Interaction,
    InteractionInvoice,
    InteractionKind,
)
from core.contact import babel_locale
from core.money import format_money
from receivables.models import Invoice, InvoiceStatus
from reminders.models import OutboundMessage, Reminder
from work.models import CallAttempt, Task

logger = logging.getLogger(__name__)


HANDOVER_REASON = "handed to collections"  # the status change's reason when there is no note

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
class Evidence:
    """Everything the package shows, loaded in a fixed number of queries."""

    client: Client
    invoices: list[Invoice]
    messages: list[OutboundMessage]
    message_invoices: dict[int, list[str]]  # message id → invoice numbers it was about
    calls: list[CallAttempt]
    task_invoices: dict[int, list[str]]  # task id → invoice numbers
    disputes: list[Dispute]
    timeline: list[Interaction]  # oldest first: these invoices' entries and client-wide ones

def load_evidence(client: Client, invoice_ids: list[int]) -> Evidence:
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
    return Evidence(client=client, invoices=invoices, messages=messages,
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
class Format:
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

def format_for(client: Client) -> Format:
    language = (settings.LANGUAGE_CODE or "en").split("-")[0]
    return Format(babel_locale(language, settings.SETTLE_DEFAULT_COUNTRY),
                   ZoneInfo(client.timezone))

def handovers_by_invoice(evidence: Evidence) -> dict[int, Interaction]:
    """Invoice id → the (latest) timeline entry that moved it into collections: who, when,
    why. Read from the timeline, so a package rebuilt later says the same."""
    found: dict[int, Interaction] = {}
    for entry in evidence.timeline:
        if (entry.kind == InteractionKind.STATUS_CHANGE
                and entry.metadata.get("to") == InvoiceStatus.IN_COLLECTIONS):
            for invoice in entry.invoices.all():
                found[invoice.pk] = entry
    return found

def first_line(message: OutboundMessage) -> str:
    lines = [line.strip() for line in message.text.splitlines() if line.strip()]
    return message.subject or (lines[0] if lines else "")

def currencies(evidence: Evidence) -> list[str]:
    """The handed-over invoices' currencies, the client's own first (as statements order
    them): one statement each, since amounts in different currencies never add up."""
    codes = {invoice.currency for invoice in evidence.invoices}
    default = evidence.client.default_currency
    return sorted(codes, key=lambda code: (code != default, code))
