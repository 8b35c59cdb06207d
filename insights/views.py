"""The Analytics page: which reminders get invoices paid, how the book has aged, who owes most.

The view reads the selectors (a fixed number of queries) and turns their numbers into display
strings and chart geometry; it computes nothing about the book itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_compact_decimal
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.money import format_money
from infra.http import viewer_locale
from infra.roles import bookkeeper_required
from insights import charts, selectors
from receivables.selectors import AGING_BUCKETS

PERIODS = (30, 90, 365)  # days of reminders the effectiveness tables look back
DEFAULT_PERIOD = 90
BUCKET_CSS = {bucket.key: f"bucket-{index}" for index, bucket in enumerate(AGING_BUCKETS)}
NO_VALUE = "—"


@dataclass(frozen=True)
class Filters:
    period: int
    currency: str  # "" for every currency
    currencies: list[str]


def _filters(request: HttpRequest) -> Filters:
    """What the person asked for; anything unknown falls back to the default, quietly, since a
    stale bookmark should still open the page."""
    currencies = selectors.book_currencies()
    try:
        period = int(request.GET.get("period", DEFAULT_PERIOD))
    except ValueError:
        period = DEFAULT_PERIOD
    currency = request.GET.get("currency", "").strip().upper()
    return Filters(period=period if period in PERIODS else DEFAULT_PERIOD,
                   currency=currency if currency in currencies else "", currencies=currencies)


# --- Reminder effectiveness ------------------------------------------------------------------

def percent_text(rate: selectors.Rate) -> str:
    return NO_VALUE if rate.percent is None else f"{rate.percent:.1f}\u00a0%"


def days_text(days: float | None) -> str:
    if days is None:
        return NO_VALUE
    return f"{days:.0f}" if days == int(days) else f"{days:.1f}"


def _rate_cell(rate: selectors.Rate) -> dict[str, str]:
    return {"text": percent_text(rate), "title": f"{rate.hits} of {rate.out_of}"}


def _effect_row(row: selectors.EffectRow) -> dict[str, Any]:
    counts = row.counts
    return {
        "label": row.label, "too_few": row.too_few, "reminders": counts.reminders,
        "messages": counts.messages, "kept_locally": counts.kept_locally,
        "delivery": _rate_cell(row.delivery), "opens": _rate_cell(row.opens),
        "clicks": _rate_cell(row.clicks), "conversion": _rate_cell(row.conversion),
        "median": days_text(row.median_days_to_pay), "paid": row.paid, "judged": counts.judged,
    }


def _effect_tables(effect: selectors.Effectiveness) -> list[dict[str, Any]]:
    tables = (("step", "Cadence step", effect.by_step), ("channel", "Channel", effect.by_channel),
              ("template", "Template", effect.by_template),
              ("language", "Language", effect.by_language))
    return [{"key": key, "heading": heading, "rows": [_effect_row(r) for r in rows]}
            for key, heading, rows in tables]


def _conversion_chart(rows: list[selectors.EffectRow]) -> charts.HBarChart:
    return charts.percent_bars([charts.BarInput(
        label=row.label, percent=row.conversion.percent, muted=row.too_few,
        title=f"{row.label}: {row.conversion.hits} of {row.conversion.out_of} reminded invoices "
              f"paid within {selectors.CONVERSION_DAYS} days"
              + (" (too few to judge)" if row.too_few else ""))
        for row in rows])


# --- Aging trend and top overdue -------------------------------------------------------------

def _trend(trend: selectors.CurrencyTrend, locale: str) -> dict[str, Any]:
    code = trend.currency

    def money(amount: Decimal) -> str:
        return format_money(amount, code, locale)

    columns = [charts.ColumnInput(
        label=format_date(point.on, "d MMM", locale=locale),
        title=f"{point.on.isoformat()}: {money(point.total)}",
        segments=[charts.SegmentInput(css=BUCKET_CSS[b.bucket.key], amount=b.amount,
                                      title=f"{point.on.isoformat()} · {b.bucket.label}: "
                                            f"{money(b.amount)}") for b in point.buckets])
        for point in trend.points]
    chart = charts.stacked_columns(columns, axis_label=lambda v: format_compact_decimal(
        v, locale=locale, fraction_digits=1))
    rows = [{"on": point.on, "amounts": [money(b.amount) for b in point.buckets],
             "total": money(point.total)} for point in reversed(trend.points)]
    return {"currency": code, "chart": chart, "rows": rows}


def _top(currency: str, clients: list[selectors.OverdueClient], locale: str
         ) -> dict[str, Any]:
    return {"currency": currency, "rows": [{
        "rank": rank, "name": c.name, "url": reverse("desk:client", args=[c.client_id]),
        "overdue": format_money(c.overdue, currency, locale), "invoices": c.invoices,
        "oldest_days": c.oldest_days} for rank, c in enumerate(clients, start=1)]}


@bookkeeper_required
@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    """The page; every section follows the same two filters (period, currency)."""
    filters = _filters(request)
    now = timezone.now()
    today = timezone.localdate(now)
    currency = filters.currency or None
    locale = viewer_locale(request)  # as on the dashboard: one money format
    effect = selectors.reminder_effectiveness(now=now, days=filters.period, currency=currency)
    trends = selectors.aging_trend(today=today, weeks=selectors.TREND_WEEKS, currency=currency)
    top = selectors.top_overdue_clients(today=today, currency=currency)
    return render(request, "insights/analytics.html", {
        "filters": filters, "periods": PERIODS, "today": today,
        "effect": effect, "total": _effect_row(effect.total), "tables": _effect_tables(effect),
        "conversion_chart": _conversion_chart(effect.by_step),
        "conversion_days": selectors.CONVERSION_DAYS, "too_few": selectors.TOO_FEW_TO_JUDGE,
        "trends": [_trend(t, locale) for t in trends], "weeks": selectors.TREND_WEEKS,
        "buckets": [{"label": b.label, "css": BUCKET_CSS[b.key]} for b in AGING_BUCKETS],
        "top": [_top(code, rows, locale) for code, rows in top.items()],
        "top_limit": selectors.TOP_OVERDUE,
    })
