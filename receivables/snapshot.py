"""The book's snapshot: what the dashboard shows about the whole book (receivable per currency
and aging bucket, overdue, DSO, the cash to expect per day), measured by a few aggregate queries
and stored, so a page reads a handful of small rows however big the book is.

- ``book_measure(today=…)``: the direct computation over every invoice (one aggregate query for
  the per-currency figures, one UNION of three grouped queries for the cash per day). Nothing
  loops over invoices in Python: Python only files the few aggregate rows that come back.
- ``snapshot_refresh(now=…)``: measures and stores a snapshot in one transaction (a header, its
  currency rows, its cash rows): a reader sees the previous snapshot or this one, never half
  of one; a refresh that fails leaves the previous snapshot as it was. The scheduler tick calls
  it after dispatch (``reminders.tick``), and a bookkeeper can from the dashboard.
- ``snapshot_latest()``: the newest snapshot with its rows (three small queries: its header,
  ``snapshot_header()``, then its rows, ``snapshot_of(header)``);
  ``snapshot_history(since=…, until=…)``: the last snapshot of each day in a range (one query),
  for trends.

History: the last snapshot of each day is kept for ``HISTORY_DAYS`` days. A snapshot replaced
later the same day is deleted by the refresh after the one that replaced it (the two newest are
always kept), so a page that has just picked the newest snapshot still finds its rows.

Payment plans live a layer above (``answers``): the expected cash reads them through the
reverse relation answers declares on ``Invoice`` (``payment_plans``) and the instalment model
resolved through the app registry, never by import; ``PLAN_ACCEPTED`` is
``answers.models.PlanStatus.ACCEPTED`` (a test holds them equal).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from core.money import quantize
from people.selectors import default_time_zone
from receivables.models import (
    DSO_DAYS,
    RECEIVABLE_STATUSES,
    SNAPSHOT_BUCKET_COLUMNS,
    BookSnapshot,
    Invoice,
    InvoiceStatus,
    SnapshotCash,
    SnapshotCurrency,
    dso_days,
)
from receivables.selectors import AGING_BUCKETS

CASH_DAYS = 28  # expected cash is kept per day for the four weeks from the snapshot's day
WEEK = 7
HISTORY_DAYS = 400  # the last snapshot of each day is kept this long
PLAN_ACCEPTED = "accepted"  # answers.models.PlanStatus.ACCEPTED
NOT_ISSUED = (InvoiceStatus.DRAFT, InvoiceStatus.VOID)  # never invoiced, for DSO's sales


def book_day(now: datetime) -> date:
    """The day a snapshot taken at ``now`` is for: the date where the business is
    (``SETTLE_DEFAULT_TIMEZONE``), whoever asks for it and in whichever zone they view the
    desk, so the tick and a person's refresh agree on "today"."""
    return now.astimezone(ZoneInfo(default_time_zone())).date()


@dataclass(frozen=True)
class Book:
    """The book's figures on ``on``: its rows per currency (in currency order) and its cash
    per currency and day. Measured (``book_measure``: unsaved rows) or stored (``Snapshot``)."""

    on: date
    currencies: list[SnapshotCurrency]
    cash: list[SnapshotCash]


def _currency_figures(today: date) -> dict[str, dict[str, Any]]:
    """One query: per currency, the receivable balance and count, each aging bucket's balance
    and count, and what was invoiced in the last ``DSO_DAYS`` days."""
    receivable = Q(status__in=RECEIVABLE_STATUSES, balance__gt=0)
    issued = (Q(issue_date__gt=today - timedelta(days=DSO_DAYS), issue_date__lte=today)
              & ~Q(status__in=NOT_ISSUED))
    aggregates: dict[str, Any] = {
        "receivable": Sum("balance", filter=receivable),
        "receivable_count": Count("id", filter=receivable),
        "invoiced_90_days": Sum("total", filter=issued)}
    for bucket in AGING_BUCKETS:
        column = SNAPSHOT_BUCKET_COLUMNS[bucket.key]
        aggregates[column] = Sum("balance", filter=receivable & bucket.q(today))
        aggregates[f"{column}_count"] = Count("id", filter=receivable & bucket.q(today))
    rows = (Invoice.objects.filter(receivable | issued).order_by().values("currency")
            .annotate(**aggregates))
    return {row["currency"]: row for row in rows}


def _instalment_model() -> Any:
    return apps.get_model("answers", "Instalment")


def _cash_by_day(today: date) -> dict[str, dict[date, Decimal]]:
    """One query (a UNION of three grouped ones): the cash to expect per currency and day over
    ``CASH_DAYS`` days from ``today``: open invoices without a promise by their due date,
    promised invoices by the promised day, accepted plans' instalments by theirs. Disputed
    invoices and those an accepted plan covers are not counted as invoices; overdue ones
    without a promise are not counted at all (there is no date to expect them on)."""
    end = today + timedelta(days=CASH_DAYS - 1)
    owed: QuerySet[Invoice] = (Invoice.objects.receivable().exclude(status=InvoiceStatus.DISPUTED)
                               .exclude(payment_plans__status=PLAN_ACCEPTED).order_by())
    by_due = (owed.filter(promised_until__isnull=True, due_date__gte=today, due_date__lte=end)
              .values_list("currency", "due_date").annotate(amount=Sum("balance"))
              .values_list("currency", "due_date", "amount"))
    by_promise = (owed.filter(promised_until__gte=today, promised_until__lte=end)
                  .values_list("currency", "promised_until").annotate(amount=Sum("balance"))
                  .values_list("currency", "promised_until", "amount"))
    by_instalment = (_instalment_model().objects.filter(
        plan__status=PLAN_ACCEPTED, due_date__gte=today, due_date__lte=end).order_by()
        .values_list("plan__currency", "due_date").annotate(total=Sum("amount"))
        .values_list("plan__currency", "due_date", "total"))
    cash: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for currency, day, amount in by_due.union(by_promise, by_instalment, all=True):
        cash[currency][day] += amount or Decimal(0)
    return cash


def book_measure(*, today: date) -> Book:
    """The figures of the whole book on ``today``, computed from every invoice (two queries)."""
    figures = _currency_figures(today)
    cash = _cash_by_day(today)
    currencies = []
    for code in sorted(set(figures) | set(cash)):
        row = figures.get(code, {})
        values: dict[str, Any] = {
            "receivable": quantize(row.get("receivable") or Decimal(0), code),
            "receivable_count": row.get("receivable_count") or 0,
            "invoiced_90_days": quantize(row.get("invoiced_90_days") or Decimal(0), code),
            "cash_week": quantize(sum((amount for day, amount in cash.get(code, {}).items()
                                       if (day - today).days < WEEK), Decimal(0)), code)}
        for column in SNAPSHOT_BUCKET_COLUMNS.values():
            values[column] = quantize(row.get(column) or Decimal(0), code)
            values[f"{column}_count"] = row.get(f"{column}_count") or 0
        currencies.append(SnapshotCurrency(currency=code, **values))
    return Book(on=today, currencies=currencies, cash=[
        SnapshotCash(currency=code, day=day, amount=quantize(amount, code))
        for code in sorted(cash) for day, amount in sorted(cash[code].items()) if amount])


def snapshot_refresh(*, now: datetime | None = None) -> BookSnapshot:
    """Measure the book and store it as the newest snapshot, atomically; prune the history.
    The measuring reads run before the write transaction, so it holds its locks for a few
    small INSERTs and DELETEs only."""
    now = now or timezone.now()
    measured = book_measure(today=book_day(now))
    with transaction.atomic():
        snapshot = BookSnapshot.objects.create(on=measured.on, taken_at=now)
        for row in measured.currencies:
            row.snapshot = snapshot
        for cash in measured.cash:
            cash.snapshot = snapshot
        SnapshotCurrency.objects.bulk_create(measured.currencies)
        SnapshotCash.objects.bulk_create(measured.cash)
        # A snapshot for a day ahead (``reminders_tick --now`` in development) never ages the
        # real history out.
        _prune(min(measured.on, book_day(timezone.now())))
    return snapshot


def _prune(today: date) -> None:
    """Delete the snapshots that are neither the last of their day (history) nor one of the
    two newest (the one a page may be reading as this refresh commits), and every day older
    than ``HISTORY_DAYS`` before ``today``."""
    newest = list(BookSnapshot.objects.order_by("-id").values_list("id", flat=True)[:2])
    last_of_day = BookSnapshot.objects.order_by().values("on").annotate(
        last=Max("id")).values("last")
    stale = BookSnapshot.objects.filter(
        Q(on__lt=today - timedelta(days=HISTORY_DAYS)) | ~Q(id__in=last_of_day))
    stale.exclude(id__in=newest).delete()


@dataclass(frozen=True)
class Snapshot(Book):
    """A stored snapshot: the book as it was at ``taken_at``."""

    taken_at: datetime
    header: BookSnapshot


def snapshot_header() -> BookSnapshot | None:
    """The newest snapshot's header (when, for which day), or None before the first one."""
    return BookSnapshot.objects.order_by("-id").first()


def snapshot_of(header: BookSnapshot) -> Snapshot:
    """A snapshot's rows (two small queries)."""
    return Snapshot(on=header.on, taken_at=header.taken_at, header=header,
                    currencies=list(header.currencies.order_by("currency")),
                    cash=list(header.cash.order_by("currency", "day")))


def snapshot_latest() -> Snapshot | None:
    """The newest snapshot (three small queries), or None before the first one is taken."""
    header = snapshot_header()
    return snapshot_of(header) if header is not None else None


@dataclass(frozen=True, slots=True)
class Headline:
    """A past snapshot's headline figures in one currency (what trends compare with)."""

    currency: str
    receivable: Decimal
    overdue: Decimal
    cash_week: Decimal
    dso_days: int | None


def snapshot_history(*, since: date, until: date) -> dict[date, dict[str, Headline]]:
    """The last snapshot of each day from ``since`` to ``until``: its headline figures by day
    and currency (one query, plain rows). Days without a snapshot, or whose book was empty,
    are missing."""
    last_of_day = (BookSnapshot.objects.filter(on__gte=since, on__lte=until).order_by()
                   .values("on").annotate(last=Max("id")).values("last"))
    history: dict[date, dict[str, Headline]] = defaultdict(dict)
    for on, code, receivable, current, invoiced, cash_week in (
            SnapshotCurrency.objects.filter(snapshot_id__in=last_of_day).order_by().values_list(
                "snapshot__on", "currency", "receivable", "current", "invoiced_90_days",
                "cash_week")):
        history[on][code] = Headline(currency=code, receivable=receivable,
                                     overdue=receivable - current, cash_week=cash_week,
                                     dso_days=dso_days(receivable, invoiced))
    return dict(history)
