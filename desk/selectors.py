"""Reads for the bookkeeper's dashboard: what is owed and how old, how fast clients pay, what
cash to expect, and today's work. Every number is one aggregate query (or a handful), however
big the book: nothing loops over invoices in Python."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.urls import reverse

from answers.models import Dispute, DisputeStatus, Instalment, PaymentPlan, PlanStatus
from clients.models import CLIENT_CHOICES, ContactFlag, Interaction, InteractionKind
from core.money import quantize
from receivables.models import Invoice, InvoiceStatus
from receivables.selectors import aging_summary
from reminders.models import MessageStatus, OutboundMessage, Reminder, ReminderStatus
from work.models import Task, TaskKind, TaskStatus

DSO_DAYS = 90
CASH_WEEKS = 4


def dso(*, today: date) -> list[dict[str, Any]]:
    """Days sales outstanding per currency over the last 90 days: what is owed now divided by
    what was invoiced in those 90 days, times 90 (the count-back-free textbook formula)."""
    start = today - timedelta(days=DSO_DAYS)
    issued = dict(Invoice.objects.filter(issue_date__gt=start, issue_date__lte=today)
                  .exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
                  .values_list("currency").annotate(s=Sum("total")).values_list("currency", "s"))
    owed = dict(Invoice.objects.receivable().values_list("currency")
                .annotate(s=Sum("balance")).values_list("currency", "s"))
    rows = []
    for currency in sorted(set(issued) | set(owed)):
        sales = issued.get(currency) or Decimal(0)
        days = (owed.get(currency) or Decimal(0)) / sales * DSO_DAYS if sales else None
        rows.append({"currency": currency, "days": round(days) if days is not None else None,
                     "sales": quantize(sales, currency)})
    return rows


@dataclass(frozen=True)
class Week:
    start: date
    end: date  # inclusive


def _weeks(today: date) -> list[Week]:
    return [Week(today + timedelta(days=7 * i), today + timedelta(days=7 * i + 6))
            for i in range(CASH_WEEKS)]


def expected_cash(*, today: date) -> dict[str, Any]:
    """Cash to expect per week for the next four weeks, per currency: open invoices by due date,
    promised invoices by the promised day, and accepted plans' instalments by their dates.
    Invoices already overdue without a promise are not counted (no date to expect them on)."""
    weeks = _weeks(today)
    end = weeks[-1].end
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * CASH_WEEKS)
    planned = set(PaymentPlan.invoices.through.objects.filter(
        paymentplan__status=PlanStatus.ACCEPTED).values_list("invoice_id", flat=True))

    def add(currency: str, day: date, amount: Decimal) -> None:
        index = (day - today).days // 7
        if 0 <= index < CASH_WEEKS:
            sums[currency][index] += amount

    receivable = Invoice.objects.receivable().exclude(status=InvoiceStatus.DISPUTED).exclude(
        pk__in=planned)
    for currency, due, amount in (receivable.filter(promised_until__isnull=True,
                                                    due_date__gte=today, due_date__lte=end)
                                  .values_list("currency", "due_date").annotate(s=Sum("balance"))
                                  .values_list("currency", "due_date", "s")):
        add(currency, due, amount)
    for currency, day, amount in (receivable.filter(promised_until__gte=today,
                                                    promised_until__lte=end)
                                  .values_list("currency", "promised_until")
                                  .annotate(s=Sum("balance"))
                                  .values_list("currency", "promised_until", "s")):
        add(currency, day, amount)
    for currency, day, amount in (Instalment.objects.filter(
            plan__status=PlanStatus.ACCEPTED, due_date__gte=today, due_date__lte=end)
            .values_list("plan__currency", "due_date").annotate(s=Sum("amount"))
            .values_list("plan__currency", "due_date", "s")):
        add(currency, day, amount)
    return {"weeks": weeks,
            "rows": [{"currency": c, "amounts": [quantize(a, c) for a in amounts],
                      "total": quantize(sum(amounts, Decimal(0)), c)}
                     for c, amounts in sorted(sums.items())]}


@dataclass(frozen=True)
class WorkItem:
    key: str
    label: str
    count: int
    url: str
    urgent: bool = False


def todays_work(*, now: datetime, end_of_day: datetime) -> list[WorkItem]:
    """What needs a person today, each count linking to its list."""
    tasks = reverse("reminders:tasks")
    attention = lambda kind: reverse("desk:attention", args=[kind])  # noqa: E731
    open_tasks = Task.objects.filter(status=TaskStatus.OPEN)
    week_ago = now - timedelta(days=7)
    return [
        WorkItem("calls", "Calls due", open_tasks.filter(
            kind=TaskKind.CALL, due_at__lte=end_of_day).count(), f"{tasks}?all=1&kind=call",
            urgent=True),
        WorkItem("letters", "Letters waiting to print", OutboundMessage.objects.filter(
            status=MessageStatus.PRINT_QUEUE).count(), reverse("reminders:print-queue")),
        WorkItem("disputes", "Disputes to resolve", Dispute.objects.filter(
            status=DisputeStatus.OPEN).count(), f"{tasks}?all=1&kind=dispute", urgent=True),
        WorkItem("plans", "Plan proposals to answer", PaymentPlan.objects.filter(
            status=PlanStatus.PROPOSED).count(), f"{tasks}?all=1&kind=plan", urgent=True),
        WorkItem("broken", "Broken promises (7 days)", Interaction.objects.filter(
            kind=InteractionKind.ESCALATION, occurred_at__gte=week_ago,
            metadata__has_key="broken_promise").count(), attention("broken")),
        WorkItem("contacts", "Contact points that do not work", ContactFlag.objects.filter(
            cleared_at__isnull=True).exclude(reason__in=CLIENT_CHOICES).count(),
            attention("contacts")),
        WorkItem("review", "Reminders to review after a crash", Reminder.objects.filter(
            status=ReminderStatus.REVIEW).count(), attention("review"), urgent=True),
        WorkItem("replies", "Replies to read", open_tasks.filter(
            kind=TaskKind.REPLY).count(), f"{tasks}?all=1&kind=reply", urgent=True),
        WorkItem("notices", "Client answers to note", open_tasks.filter(
            kind__in=[TaskKind.NOTICE, TaskKind.NO_CHANNEL]).count(),
            f"{tasks}?all=1&kind=notice"),
    ]


def aging(*, today: date) -> list[dict[str, Any]]:
    """Aging per currency with each bucket's share of the total, for the bar chart."""
    rows = aging_summary(today=today)
    for row in rows:
        for bucket in row["buckets"]:
            bucket["share"] = (float(bucket["amount"] / row["total"] * 100)
                               if row["total"] else 0.0)
            bucket["width"] = max(1, round(bucket["share"] * 2)) if bucket["share"] else 0
    return rows
