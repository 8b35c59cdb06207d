"""How the book has aged week by week, and who owes most (four queries in all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from core.money import quantize
from receivables.models import (
    CHARGE_KINDS,
    MONEY,
    Invoice,
    InvoiceAdjustment,
    InvoiceStatus,
    PaymentAllocation,
)
from receivables.selectors import AGING_BUCKETS, AgingBucket

TREND_WEEKS = 12
# Never owed: drafts were not issued, and a voided invoice was cancelled (when is not recorded
# on the invoice, so it is left out of every week rather than guessed).
NOT_IN_BOOK = (InvoiceStatus.DRAFT, InvoiceStatus.VOID)


@dataclass(frozen=True)
class BucketAmount:
    bucket: AgingBucket
    amount: Decimal


@dataclass(frozen=True)
class TrendPoint:
    on: date
    buckets: list[BucketAmount]

    @property
    def total(self) -> Decimal:
        return sum((b.amount for b in self.buckets), Decimal(0))


@dataclass(frozen=True)
class CurrencyTrend:
    currency: str
    points: list[TrendPoint]


@dataclass(frozen=True)
class _Movements:
    """One kind of money movement on invoices, signed as it moves the balance owed."""

    queryset: QuerySet[Any]
    invoice: str  # path from these rows to their invoice ("" for invoices themselves)
    amount: Any  # + owed more, - owed less
    dated: str  # the day the movement counts from


def _movements() -> tuple[_Movements, ...]:
    money: DecimalField[Decimal, Decimal] = DecimalField(**MONEY)
    return (
        _Movements(Invoice.objects.all(), "", F("total"), "issue_date"),
        _Movements(InvoiceAdjustment.objects.all(), "invoice__",
                   Case(When(kind__in=CHARGE_KINDS, then=F("amount")),
                        default=F("amount") * Value(-1), output_field=money), "effective_on"),
        _Movements(PaymentAllocation.objects.all(), "invoice__",
                   ExpressionWrapper(F("amount") * Value(-1), output_field=money),
                   "payment__received_on"),
    )


def trend_days(today: date, weeks: int) -> list[date]:
    """The days the trend looks at: today and the same weekday back, oldest first, so the last
    point is exactly what the open-invoices page shows today."""
    return [today - timedelta(weeks=back) for back in reversed(range(weeks))]


def _bucket_q(bucket: AgingBucket, on: date, due: str) -> Q:
    """``AgingBucket.q`` for a due date reached through a relation (``invoice__due_date``)."""
    if bucket.min_days is None:
        return Q(**{f"{due}__gte": on})
    condition = Q(**{f"{due}__lte": on - timedelta(days=bucket.min_days)})
    if bucket.max_days is not None:
        condition &= Q(**{f"{due}__gte": on - timedelta(days=bucket.max_days)})
    return condition


def _sum_movements(source: _Movements, days: list[date], currency: str | None
                   ) -> dict[str, dict[str, Any]]:
    """One query: per currency, one conditional sum per (day, bucket)."""
    inv = source.invoice
    qs = source.queryset.exclude(**{f"{inv}status__in": NOT_IN_BOOK}).order_by()
    if currency:
        qs = qs.filter(**{f"{inv}currency": currency})
    sums = {}
    for i, day in enumerate(days):
        counted = Q(**{f"{inv}issue_date__lte": day, f"{source.dated}__lte": day})
        for j, bucket in enumerate(AGING_BUCKETS):
            sums[f"d{i}_b{j}"] = Sum(source.amount, output_field=DecimalField(**MONEY),
                                     filter=counted & _bucket_q(bucket, day, f"{inv}due_date"))
    rows = qs.values(f"{inv}currency").annotate(**sums)
    return {row[f"{inv}currency"]: row for row in rows}


def aging_trend(*, today: date, weeks: int = TREND_WEEKS, currency: str | None = None
                ) -> list[CurrencyTrend]:
    """The receivable balance per aging bucket and currency at the end of each of the last
    ``weeks`` weeks, rebuilt from the movements (three queries, whatever ``weeks`` is).

    An invoice's balance on day D is its total if issued by D, plus fees and interest effective
    by D, less discounts, credit notes and write-offs effective by D, less payments received by
    D; its bucket is its days overdue on D. Approximations: money counts on the payment's
    ``received_on`` even when it was applied later (credit used with ``credit_apply``); an
    invoice counts from its issue date even if it was entered or issued later; drafts and voided
    invoices never count; disputed and in-collections invoices count like open ones; a back-dated
    payment that makes one invoice's reconstructed balance briefly negative is not clipped."""
    days = trend_days(today, weeks)
    per_source = [_sum_movements(source, days, currency) for source in _movements()]
    currencies = sorted({code for rows in per_source for code in rows})
    trends = []
    for code in currencies:
        points = []
        for i, day in enumerate(days):
            buckets = [BucketAmount(bucket, quantize(sum(
                (rows[code][f"d{i}_b{j}"] or Decimal(0) for rows in per_source if code in rows),
                Decimal(0)), code)) for j, bucket in enumerate(AGING_BUCKETS)]
            points.append(TrendPoint(on=day, buckets=buckets))
        trends.append(CurrencyTrend(currency=code, points=points))
    return trends


# --- Who owes most ---------------------------------------------------------------------------

TOP_OVERDUE = 10


@dataclass(frozen=True)
class OverdueClient:
    client_id: int
    name: str
    currency: str
    overdue: Decimal
    invoices: int
    oldest_days: int  # days overdue of the client's oldest overdue invoice


def top_overdue_clients(*, today: date, currency: str | None = None, limit: int = TOP_OVERDUE
                        ) -> dict[str, list[OverdueClient]]:
    """Per currency, the clients with the largest overdue balance (due before today), largest
    first: one query, ranked by a window function so no currency's list costs a query."""
    qs = Invoice.objects.receivable().filter(due_date__lt=today).order_by()
    if currency:
        qs = qs.filter(currency=currency)
    rows = (qs.values("currency", "client_id", "client__display_name")
            .annotate(overdue=Sum("balance"), oldest_due=Min("due_date"), n=Count("id"))
            .annotate(rank=Window(RowNumber(), partition_by=F("currency"),
                                  order_by=[F("overdue").desc(), F("client__display_name").asc(),
                                            F("client_id").asc()]))
            .filter(rank__lte=limit).order_by("currency", "rank"))
    result: dict[str, list[OverdueClient]] = {}
    for row in rows:
        result.setdefault(row["currency"], []).append(OverdueClient(
            client_id=row["client_id"], name=row["client__display_name"],
            currency=row["currency"], overdue=quantize(row["overdue"], row["currency"]),
            invoices=row["n"], oldest_days=(today - row["oldest_due"]).days))
    return result


def book_currencies() -> list[str]:
    """Currencies the book has invoices in, for the page's filter."""
    return list(Invoice.objects.exclude(status__in=NOT_IN_BOOK).order_by("currency")
                .values_list("currency", flat=True).distinct())
