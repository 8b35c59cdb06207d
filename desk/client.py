"""Reads for the client page: what matters first (the balance per currency, the state of the
account, the next step), contact points and their state, the client's own preferences (an
opt-out is their choice), open invoices with their next reminder, payment history with
days-to-pay, and the timeline with the exact content sent. A fixed number of queries per page,
however long the client's history."""

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
TIMELINE_RECENT = 3  # timeline entries shown before the fold
ROWS_SHOWN = 8  # open invoices shown before the fold (the oldest due first)
APPLY_SHOWN = 4  # invoices a payment can be applied to, shown before the fold
CHANNEL_NAMES = {"email": "e-mail", "sms": "SMS", "letter": "letter", "phone": "phone call",
                 "call": "phone call"}


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


# --- What the page leads with ---------------------------------------------------------------

def split_rows(rows: list[dict[str, Any]], shown: int = ROWS_SHOWN
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows shown at once and the ones folded below them (a long list; folding away one
    or two rows helps nobody)."""
    if len(rows) <= shown + 2:
        return rows, []
    return rows[:shown], rows[shown:]


def apply_choices(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The invoices a payment may be applied to (the active ones, oldest due first): a few
    shown, the rest folded."""
    shown, folded = split_rows([r for r in rows if r["active"]], APPLY_SHOWN)
    return {"shown": shown, "folded": folded}


def summary(client: Client, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The state of the account in a few words and the next step the cadence takes, from the
    open invoice rows (``open_invoice_rows``)."""
    overdue = [r for r in rows if r["days_overdue"] > 0]
    by_status = {status: [r["invoice"] for r in rows if r["invoice"].status == status]
                 for status in (InvoiceStatus.DISPUTED, InvoiceStatus.IN_COLLECTIONS)}
    promised = [r["invoice"] for r in rows if r["invoice"].promised_until]
    facts = []
    if rows:
        facts.append(f"{len(rows)} open invoice{'s' if len(rows) != 1 else ''}"
                     + (f", {len(overdue)} overdue (the oldest by "
                        f"{max(r['days_overdue'] for r in overdue)} days)" if overdue
                        else ", none overdue"))
    if collections := by_status[InvoiceStatus.IN_COLLECTIONS]:
        facts.append(f"In collections: {_numbers(collections)}")
    if disputed := by_status[InvoiceStatus.DISPUTED]:
        facts.append(f"Disputed: {_numbers(disputed)}")
    if promised:
        latest = max(i.promised_until for i in promised if i.promised_until)
        facts.append(f"Promised to pay by {latest.day} {latest:%b %Y}: {_numbers(promised)}")
    if by_status[InvoiceStatus.IN_COLLECTIONS]:
        state, tone = "In collections", "bad"
    elif by_status[InvoiceStatus.DISPUTED]:
        state, tone = "Disputed", "warn"
    elif overdue:
        state, tone = ("Promised", "warn") if promised else ("Overdue", "bad")
    elif rows:
        state, tone = "Open, not yet due", "ok"
    else:
        state, tone = "Nothing owed", "ok"
    coming = sorted((r for r in rows if r["next"]), key=lambda r: r["next"]["send_at"])
    following = None
    if coming:
        row = coming[0]
        following = {**row["next"], "invoice": row["invoice"], "can_send": row["can_send"],
                     "channel_name": CHANNEL_NAMES.get(row["next"]["channel"],
                                                       row["next"]["channel"])}
    return {"state": state, "tone": tone, "facts": facts, "next": following,
            "paused_until": client.reminders_paused_until}


def _numbers(invoices: list[Invoice], shown: int = 3) -> str:
    numbers = [i.number for i in invoices]
    more = len(numbers) - shown
    return ", ".join(numbers[:shown]) + (f" and {more} more" if more > 0 else "")


def preferences(client: Client, points: list[ContactPoint]) -> dict[str, Any]:
    """What the client chose: the channels in their order, the language, the pay run, and the
    channels they said no to (an opt-out or a spam complaint: only the client can undo it)."""
    refused = [{"channel": CHANNEL_NAMES.get(p.channel, p.channel), "value": p.value,
                "reason": p.state, "since": p.flag.created_at}
               for p in points if p.flag is not None and p.flag.is_client_choice]
    channels = [CHANNEL_NAMES.get(c, c) for c in client.channel_preferences]
    return {"channels": channels, "refused": refused}
