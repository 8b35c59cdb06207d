"""Reads for the client page: contact points and their state, open invoices with their next
reminder, payment history with days-to-pay, and the timeline with the exact content sent.
A fixed number of queries per page, however long the client's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from statistics import mean
from typing import Any

from django.db.models import Max, Prefetch

from clients.models import Channel, Client, ContactFlag, Interaction
from core.contact import babel_locale
from core.money import format_money
from receivables.models import ACTIVE_STATUSES, Invoice, InvoiceStatus, Payment
from receivables.selectors import client_balances
from reminders import manual
from reminders.forecast import next_by_invoice
from reminders.models import MessageStatus, OutboundMessage

REACHED = (MessageStatus.DELIVERED, MessageStatus.OPENED, MessageStatus.CLICKED,
           MessageStatus.POSTED)
TIMELINE_PAGE = 100


@dataclass(frozen=True)
class ContactPoint:
    channel: str
    label: str
    value: str
    state: str  # "works", "verified", or the flag's reason
    detail: str = ""
    flag: ContactFlag | None = None


def contact_points(client: Client) -> list[ContactPoint]:
    """Each address or number with its state: flagged (bounced, opted out, wrong number...),
    verified (a message to it was delivered), or simply on file."""
    flags = {(f.channel, f.value): f for f in client.contact_flags.filter(
        cleared_at__isnull=True)}
    delivered = dict(OutboundMessage.objects.filter(client=client, status__in=REACHED)
                     .values_list("to").annotate(last=Max("sent_at")).values_list("to", "last"))
    points = [(Channel.EMAIL, "Email", client.email.strip().lower()),
              (Channel.SMS, "Mobile", client.mobile_phone),
              (Channel.PHONE, "Phone", client.phone),
              (Channel.LETTER, "Address", client.contact_for(Channel.LETTER))]
    result = []
    for channel, label, value in points:
        if not value:
            continue
        flag = flags.get((channel, value)) or (flags.get((Channel.PHONE, value))
                                               if channel == Channel.SMS else None)
        if flag is not None:
            result.append(ContactPoint(channel, label, value, flag.get_reason_display(),
                                       flag.detail, flag))
        elif delivered.get(value):
            result.append(ContactPoint(channel, label, value, "verified",
                                       f"delivered {delivered[value]:%d %b %Y}"))
        else:
            result.append(ContactPoint(channel, label, value, "on file"))
    return result


def open_invoice_rows(client: Client, today: date, now: datetime) -> list[dict[str, Any]]:
    invoices = list(client.invoices.filter(status__in=[
        InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.DISPUTED,
        InvoiceStatus.IN_COLLECTIONS], balance__gt=0).select_related("terms")
        .order_by("due_date", "number"))
    steps = manual.next_steps(invoices, now)
    # What the ticks will do (pauses, promises, holds, the contact policy, the tone): the
    # forecast's, the same the worklist shows.
    coming = next_by_invoice([client.pk], now)
    locale = babel_locale(client.language, client.country)
    return [{"invoice": i, "balance": format_money(i.balance, i.currency, locale),
             "total": format_money(i.total, i.currency, locale),
             "days_overdue": max((today - i.due_date).days, 0),
             "active": i.status in ACTIVE_STATUSES, "can_send": steps.get(i.pk) is not None,
             "next": _coming(coming.get(i.pk))} for i in invoices]


def _coming(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"step": entry["step"], "channel": entry["channel"], "why": entry["why"],
            "send_at": datetime.fromisoformat(entry["send_at"]),
            "covers": len(entry["invoices"])}


def payment_history(client: Client) -> dict[str, Any]:
    """Payments newest first with what they settled, and how long paid invoices took: days
    from invoice date to the payment that settled it, and days late against the due date."""
    payments = list(Payment.objects.filter(client=client).prefetch_related(
        "allocations__invoice").order_by("-received_on", "-pk")[:50])
    paid = list(client.invoices.filter(status=InvoiceStatus.PAID).annotate(
        settled=Max("allocations__payment__received_on")).values_list(
        "issue_date", "due_date", "settled"))
    to_pay = [(settled - issued).days for issued, _, settled in paid if settled]
    late = [(settled - due).days for _, due, settled in paid if settled]
    locale = babel_locale(client.language, client.country)
    for payment in payments:
        # Display-only attributes for the template, set on the instances it loops over.
        payment.shown = format_money(  # type: ignore[attr-defined]
            payment.amount, payment.currency, locale)
        payment.credit_shown = (  # type: ignore[attr-defined]
            format_money(payment.unapplied, payment.currency, locale)
            if payment.unapplied > 0 else "")
    return {"payments": payments,
            "avg_days_to_pay": round(mean(to_pay)) if to_pay else None,
            "avg_days_late": round(mean(late)) if late else None,
            "avg_days_early": -round(mean(late)) if late and mean(late) < 0 else None,
            "on_time_share": round(100 * sum(1 for d in late if d <= 0) / len(late))
            if late else None, "paid_count": len(to_pay)}


def timeline(client: Client, limit: int = TIMELINE_PAGE) -> list[Interaction]:
    """The newest entries with their invoices and actor; each entry's ``content`` holds the
    exact text sent (subject, text, html), and ``metadata.message_id`` links a letter's PDF."""
    return list(client.interactions.select_related("actor").prefetch_related(
        Prefetch("invoices", Invoice.objects.only("id", "number")))[:limit])


def letters_with_pdf(entries: list[Interaction]) -> set[int]:
    ids = {e.metadata.get("message_id") for e in entries if e.metadata.get("message_id")}
    return set(OutboundMessage.objects.filter(pk__in=ids, channel="letter",
                                              document__isnull=False)
               .values_list("pk", flat=True)) if ids else set()


def balances(client: Client) -> list[dict[str, str]]:
    locale = babel_locale(client.language, client.country)
    return [{"currency": cur, "owed": format_money(v["owed"], cur, locale),
             "credit": format_money(v["credit"], cur, locale) if v["credit"] > Decimal(0)
             else ""} for cur, v in sorted(client_balances(client=client).items())]
