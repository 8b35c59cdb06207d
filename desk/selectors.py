"""Reads for the bookkeeper's dashboard: what is owed and how old, how fast clients pay, what
cash to expect, how each has moved, and today's work.

The book's figures come from its snapshot (``receivables.snapshot``), which the scheduler tick
keeps: the newest snapshot is three small queries and its history for the trends one more,
whatever the size of the book (and the page renders them once per snapshot: see
``desk.views.dashboard``); only a fresh install, before the first snapshot, measures the book
on the spot. Today's work is nine counts of what needs a person (open tasks, the print
queue, open disputes, proposed plans, a week's broken promises, open contact flags, reminders in
review) in one statement: none of them reads the invoices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db.models import CharField, Count, QuerySet, Value
from django.urls import reverse

from answers.models import Dispute, DisputeStatus, PaymentPlan, PlanStatus
from clients.models import CLIENT_CHOICES, ContactFlag, Interaction, InteractionKind
from receivables.models import SNAPSHOT_BUCKET_COLUMNS, BookSnapshot, SnapshotCurrency
from receivables.selectors import AGING_BUCKETS
from receivables.snapshot import (
    CASH_DAYS,
    Book,
    Headline,
    snapshot_header,
    snapshot_history,
    snapshot_refresh,
)
from reminders.models import MessageStatus, OutboundMessage, Reminder, ReminderStatus
from work.models import Task, TaskKind, TaskStatus

CASH_WEEKS = CASH_DAYS // 7
SPARK_DAYS = 30  # the sparklines show the last 30 days
TREND_SLACK_DAYS = 3  # "vs last week" may use a snapshot up to 3 days older when one is missing
COMPARISONS = ((7, "vs last week"), (30, "vs 30 days ago"))


def book_header(*, now: datetime) -> BookSnapshot:
    """The header of the book's newest snapshot (one query); on a fresh install, before the
    tick has taken one, it is taken now (the one time the dashboard measures the whole book)."""
    return snapshot_header() or snapshot_refresh(now=now)


def aging(book: Book) -> list[dict[str, Any]]:
    """Aging per currency (currencies with money owed), with each bucket's share of the total
    for the bar chart."""
    rows = []
    for figures in book.currencies:
        if not figures.receivable_count:
            continue
        buckets = []
        for bucket in AGING_BUCKETS:
            column = SNAPSHOT_BUCKET_COLUMNS[bucket.key]
            amount: Decimal = getattr(figures, column)
            share = float(amount / figures.receivable * 100) if figures.receivable else 0.0
            buckets.append({"bucket": bucket, "amount": amount,
                            "count": getattr(figures, f"{column}_count"), "share": share,
                            "width": max(1, round(share * 2)) if share else 0})
        rows.append({"currency": figures.currency, "total": figures.receivable,
                     "count": figures.receivable_count, "buckets": buckets})
    return rows


def dso(book: Book) -> list[dict[str, Any]]:
    """Days sales outstanding per currency over the last 90 days: what is owed divided by what
    was invoiced in those 90 days, times 90 (the count-back-free textbook formula)."""
    return [{"currency": f.currency, "days": f.dso_days, "sales": f.invoiced_90_days}
            for f in book.currencies if f.receivable_count or f.invoiced_90_days]


@dataclass(frozen=True)
class Week:
    start: date
    end: date  # inclusive


def _weeks(today: date) -> list[Week]:
    return [Week(today + timedelta(days=7 * i), today + timedelta(days=7 * i + 6))
            for i in range(CASH_WEEKS)]


def expected_cash(book: Book) -> dict[str, Any]:
    """Cash to expect per week for the next four weeks, per currency, from the book's cash
    per day: open invoices by due date, promised invoices by the promised day, and accepted
    plans' instalments by their dates (overdue invoices without a promise have no date)."""
    today = book.on
    sums: dict[str, list[Decimal]] = {}
    for cash in book.cash:
        index = (cash.day - today).days // 7
        if 0 <= index < CASH_WEEKS:
            sums.setdefault(cash.currency, [Decimal(0)] * CASH_WEEKS)[index] += cash.amount
    return {"weeks": _weeks(today),
            "rows": [{"currency": c, "amounts": amounts, "total": sum(amounts, Decimal(0))}
                     for c, amounts in sorted(sums.items())]}


# --- Summary cards with trends ---------------------------------------------------------------

Rising = Literal["good", "bad", "neutral"]
Number = Decimal | int


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    money: bool  # an amount in the currency; otherwise a number of days
    rising: Rising  # what a rise means for the business

    def of(self, row: SnapshotCurrency | Headline | None) -> Number | None:
        """The figure in a snapshot's currency row; a currency missing from a snapshot had
        nothing (0), and no DSO."""
        if row is None:
            return Decimal(0) if self.money else None
        return row.dso_days if self.key == "dso" else getattr(row, self.key)


FIGURES = (Figure("receivable", "Receivable", True, "neutral"),
           Figure("overdue", "Overdue", True, "bad"),
           Figure("dso", "DSO (days)", False, "bad"),
           Figure("cash_week", "Expected this week", True, "good"))


@dataclass(frozen=True)
class Comparison:
    days: int
    label: str  # "vs last week"
    before: Number | None  # the figure then (None: no snapshot then, or no DSO)
    on: date | None  # the day of the snapshot compared with


@dataclass(frozen=True)
class Card:
    figure: Figure
    value: Number | None
    comparisons: list[Comparison]
    series: list[Number | None]  # one value a day, oldest first, the last one ``value``


@dataclass(frozen=True)
class CurrencyCards:
    currency: str
    cards: list[Card] = field(default_factory=list)


def _history_on(history: dict[date, dict[str, Headline]], day: date) -> date | None:
    """The day of the last snapshot on ``day``, or up to ``TREND_SLACK_DAYS`` before it."""
    for back in range(TREND_SLACK_DAYS + 1):
        if day - timedelta(days=back) in history:
            return day - timedelta(days=back)
    return None


def card_history(book: Book) -> dict[date, dict[str, Headline]]:
    """The history the summary cards compare with and draw: the last snapshot of each of the
    days before the book's day, back far enough for every comparison and the sparkline (one
    query)."""
    oldest = max(max(days for days, _ in COMPARISONS) + TREND_SLACK_DAYS, SPARK_DAYS)
    return snapshot_history(since=book.on - timedelta(days=oldest),
                            until=book.on - timedelta(days=1))


def summary_cards(book: Book) -> list[CurrencyCards]:
    """Per currency, the headline figures (receivable, overdue, DSO, cash expected this week)
    with the same figures 7 and 30 days before, from the snapshots kept as history (one query),
    and their last 30 days for a sparkline."""
    today = book.on
    history = card_history(book)
    compared = [(days, label, _history_on(history, today - timedelta(days=days)))
                for days, label in COMPARISONS]
    groups = []
    for row in book.currencies:
        cards = []
        for figure in FIGURES:
            series: list[Number | None] = [
                figure.of(history[day].get(row.currency)) if day in history else None
                for day in (today - timedelta(days=back) for back in range(SPARK_DAYS, 0, -1))]
            value = figure.of(row)
            cards.append(Card(figure=figure, value=value, series=[*series, value], comparisons=[
                Comparison(days=days, label=label, on=on, before=figure.of(
                    history[on].get(row.currency)) if on is not None else None)
                for days, label, on in compared]))
        groups.append(CurrencyCards(currency=row.currency, cards=cards))
    return groups


# --- Today's work ----------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkItem:
    key: str
    label: str
    count: int
    url: str
    urgent: bool = False


def _counts(querysets: dict[str, QuerySet[Any]]) -> dict[str, int]:
    """How many rows each queryset has, in one statement (a UNION ALL of one COUNT each)."""
    parts = [qs.order_by().values(key=Value(key, output_field=CharField()))
             .annotate(n=Count("pk")).values_list("key", "n")
             for key, qs in querysets.items()]
    counts = dict(parts[0].union(*parts[1:], all=True))
    return {key: counts.get(key, 0) for key in querysets}


def todays_work(*, now: datetime, end_of_day: datetime) -> list[WorkItem]:
    """What needs a person today, each count linking to its list (one statement)."""
    tasks = reverse("reminders:tasks")
    attention = lambda kind: reverse("desk:attention", args=[kind])  # noqa: E731
    open_tasks = Task.objects.filter(status=TaskStatus.OPEN)
    week_ago = now - timedelta(days=7)
    n = _counts({
        "calls": open_tasks.filter(kind=TaskKind.CALL, due_at__lte=end_of_day),
        "letters": OutboundMessage.objects.filter(status=MessageStatus.PRINT_QUEUE),
        "disputes": Dispute.objects.filter(status=DisputeStatus.OPEN),
        "plans": PaymentPlan.objects.filter(status=PlanStatus.PROPOSED),
        "broken": Interaction.objects.filter(kind=InteractionKind.ESCALATION,
                                             occurred_at__gte=week_ago,
                                             metadata__has_key="broken_promise"),
        "contacts": ContactFlag.objects.filter(cleared_at__isnull=True).exclude(
            reason__in=CLIENT_CHOICES),
        "review": Reminder.objects.filter(status=ReminderStatus.REVIEW),
        "replies": open_tasks.filter(kind=TaskKind.REPLY),
        "notices": open_tasks.filter(kind__in=[TaskKind.NOTICE, TaskKind.NO_CHANNEL]),
    })
    return [
        WorkItem("calls", "Calls due", n["calls"], f"{tasks}?all=1&kind=call", urgent=True),
        WorkItem("letters", "Letters waiting to print", n["letters"],
                 reverse("reminders:print-queue")),
        WorkItem("disputes", "Disputes to resolve", n["disputes"],
                 f"{tasks}?all=1&kind=dispute", urgent=True),
        WorkItem("plans", "Plan proposals to answer", n["plans"], f"{tasks}?all=1&kind=plan",
                 urgent=True),
        WorkItem("broken", "Broken promises (7 days)", n["broken"], attention("broken")),
        WorkItem("contacts", "Contact points that do not work", n["contacts"],
                 attention("contacts")),
        WorkItem("review", "Reminders to review after a crash", n["review"],
                 attention("review"), urgent=True),
        WorkItem("replies", "Replies to read", n["replies"], f"{tasks}?all=1&kind=reply",
                 urgent=True),
        WorkItem("notices", "Client answers to note", n["notices"],
                 f"{tasks}?all=1&kind=notice"),
    ]
