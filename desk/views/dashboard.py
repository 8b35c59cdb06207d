"""The bookkeeper's home: headline figures per currency with their trends, totals and aging per
currency, DSO, the cash to expect, and today's work — each count a link to its list — plus the
lists of things that need attention.

The book's figures are read from its snapshot (``receivables.snapshot``, taken by every
scheduler tick), so the page costs the same on a million invoices as on ten; what it renders of
a snapshot is rendered once per snapshot and locale and then served from the cache. The page
says how old the figures are ("as of 14:35", in the viewer's zone) and a bookkeeper can take a
new snapshot with "Refresh now" (a POST to the same page): payments and invoice changes
recorded since the last tick show at once for whoever needs them, without each payment
re-aggregating the book."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import format_percent
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone, translation
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods

from clients.models import CLIENT_CHOICES, ContactFlag, Interaction, InteractionKind
from core.money import format_money
from desk import selectors
from infra.http import viewer_locale
from infra.roles import bookkeeper_required
from receivables.models import BookSnapshot
from receivables.snapshot import snapshot_header, snapshot_of, snapshot_refresh
from reminders.models import Reminder, ReminderStatus

NOTHING = "—"
# A refresh asked for within this long of the last snapshot is not taken again (a double click,
# two people at once): on a big book a snapshot costs a second or two of the database.
REFRESH_AT_MOST_EVERY = timedelta(seconds=15)
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 200, 32, 3
# How long a snapshot's rendered fragments stay cached; a new snapshot has new keys anyway.
FRAGMENT_SECONDS = 15 * 60


def _with_money_text(aging: list[dict[str, Any]], dso: list[dict[str, Any]],
                     cash: dict[str, Any], locale: str) -> None:
    """Add the display text of every amount (``*_text``) next to the selectors' Decimals,
    each through ``format_money`` in ``locale``; a week with nothing expected shows a dash."""
    for row in aging:
        row["total_text"] = format_money(row["total"], row["currency"], locale)
        for bucket in row["buckets"]:
            bucket["amount_text"] = format_money(Decimal(bucket["amount"]), row["currency"],
                                                 locale)
    for row in dso:
        row["sales_text"] = format_money(row["sales"], row["currency"], locale)
    for row in cash["rows"]:
        row["amounts_text"] = [format_money(Decimal(a), row["currency"], locale) if a
                               else NOTHING for a in row["amounts"]]
        row["total_text"] = format_money(row["total"], row["currency"], locale)


# --- Summary cards ---------------------------------------------------------------------------

def _figure_text(figure: selectors.Figure, value: selectors.Number | None, currency: str,
                 locale: str) -> str:
    if value is None:
        return NOTHING
    return format_money(Decimal(value), currency, locale) if figure.money else str(value)


def _percent(ratio: Decimal, locale: str) -> str:
    """A change as a percentage in the viewer's locale: to 0.1 under 10 %, whole above."""
    rounded = abs(ratio).quantize(Decimal("0.001") if abs(ratio) < Decimal("0.1")
                                  else Decimal("0.01"))
    return format_percent(rounded, locale=locale, decimal_quantization=False)


@functools.lru_cache(maxsize=256)
def _day_text(day: date, language: str | None = None) -> str:
    """A comparison's day ("10 Mar 2026", in ``language``: the month's name is translated):
    the same two days on every card, formatted once."""
    return dateformat.format(day, "j M Y")


def _change(figure: selectors.Figure, value: selectors.Number | None,
            comparison: selectors.Comparison, currency: str, locale: str) -> dict[str, str]:
    """"▲ 4 % vs last week": the change in percent (in days for DSO), its direction and its
    tone (a rise in overdue is bad, in expected cash good, in receivable neither)."""
    before, label = comparison.before, comparison.label
    if comparison.on is None or value is None or before is None:
        return {"text": NOTHING, "label": label, "direction": "none", "tone": "neutral",
                "title": f"No figure {comparison.days} days ago to compare with"}
    title = (f"{_day_text(comparison.on, translation.get_language())}: "
             f"{_figure_text(figure, before, currency, locale)}")
    difference = Decimal(value) - Decimal(before)
    direction = "up" if difference > 0 else "down" if difference < 0 else "flat"
    arrow = {"up": "▲", "down": "▼", "flat": ""}[direction]
    if direction == "flat":
        text = "no change"
    elif not figure.money:
        text = f"{arrow} {abs(difference):.0f} day{'' if abs(difference) == 1 else 's'}"
    elif not before:
        text = f"{arrow} new"
    else:
        text = f"{arrow} {_percent(difference / Decimal(before), locale)}"
    tone = "neutral"
    if direction != "flat" and figure.rising != "neutral":
        tone = "good" if (direction == "up") == (figure.rising == "good") else "bad"
    return {"text": text, "label": label, "direction": direction, "tone": tone,
            "title": title}


def _spark(series: list[selectors.Number | None]) -> dict[str, Any] | None:
    """A sparkline's geometry for an inline SVG (attributes only, no style): one point a day
    with a figure, scaled into the box; None with fewer than two points."""
    points = [(i, float(v)) for i, v in enumerate(series) if v is not None]
    if len(points) < 2:
        return None
    low, high = min(v for _, v in points), max(v for _, v in points)
    span = (high - low) or 1.0
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(1, len(series) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        y = SPARK_HEIGHT - SPARK_PAD - (v - low) / span * (SPARK_HEIGHT - 2 * SPARK_PAD)
        return round(SPARK_PAD + i * step, 1), round(y, 1)

    # Strings, so the template never localizes a coordinate ("12,5" in German).
    coordinates = [xy(i, v) for i, v in points]
    return {"points": " ".join(f"{x},{y}" for x, y in coordinates),
            "x": str(coordinates[-1][0]), "y": str(coordinates[-1][1]),
            "box": f"0 0 {SPARK_WIDTH} {SPARK_HEIGHT}", "width": str(SPARK_WIDTH),
            "height": str(SPARK_HEIGHT), "days": len(points)}


def _cards(groups: list[selectors.CurrencyCards], locale: str) -> list[dict[str, Any]]:
    return [{"currency": group.currency, "cards": [{
        "key": card.figure.key, "label": card.figure.label,
        "text": _figure_text(card.figure, card.value, group.currency, locale),
        "changes": [_change(card.figure, card.value, c, group.currency, locale)
                    for c in card.comparisons],
        "spark": _spark(card.series)} for card in group.cards]} for group in groups]


def _as_of(snapshot: BookSnapshot, now: datetime) -> dict[str, Any]:
    """When the snapshot was taken, in the viewer's zone: the time alone today, with the day
    otherwise; the day the figures are for when it is not that day in the viewer's zone (the
    book's day is the business's); ``stale`` once the scheduler has missed a few ticks."""
    local, today = timezone.localtime(snapshot.taken_at), timezone.localdate(now)
    return {"at": snapshot.taken_at,
            "text": dateformat.format(local, "H:i" if local.date() == today else "D j M H:i"),
            "book_day": snapshot.on if snapshot.on != local.date() else None,
            "stale": now - snapshot.taken_at > timedelta(
                seconds=3 * settings.SETTLE_TICK_SECONDS + 60)}


FRAGMENTS = ("dashboard_cards", "dashboard_book")  # the template's {% cache %} blocks


def book_key(header: BookSnapshot, locale: str) -> str:
    """What the cached fragments vary on: the snapshot (its id and when it was taken, so a
    reused id never shows another snapshot's figures) and the locale they are formatted in."""
    return f"{header.pk}:{header.taken_at.isoformat()}:{locale}"


def forget_fragments(header: BookSnapshot, locale: str) -> None:
    """Drop a snapshot's rendered fragments (the benchmark's first views of a snapshot)."""
    cache.delete_many([make_template_fragment_key(name, [book_key(header, locale)])
                       for name in FRAGMENTS])


def _book(header: BookSnapshot, locale: str) -> dict[str, Any]:
    """The page's figures from one snapshot: its rows and history read (three queries), shaped
    and formatted in ``locale``."""
    snapshot = snapshot_of(header)
    aging, dso = selectors.aging(snapshot), selectors.dso(snapshot)
    cash = selectors.expected_cash(snapshot)
    _with_money_text(aging, dso, cash, locale)
    return {"aging": aging, "dso": dso, "cash": cash,
            "cards": _cards(selectors.summary_cards(snapshot), locale)}


# --- The page --------------------------------------------------------------------------------

@bookkeeper_required
@require_http_methods(["GET", "HEAD", "POST"])
def dashboard(request: HttpRequest) -> HttpResponseBase:
    """The snapshot's part of the page is rendered once per snapshot and locale and kept in
    the cache (template fragment caching, keyed by the snapshot): ``book`` is lazy, so a page
    whose fragments are cached reads the snapshot's header only, and today's work."""
    if request.method == "POST":
        return _refresh(request)
    now = timezone.now()
    today = timezone.localdate()
    end_of_day = timezone.make_aware(datetime.combine(today, time.max))
    locale = viewer_locale(request)
    header = selectors.book_header(now=now)
    return render(request, "desk/dashboard.html", {
        "book": SimpleLazyObject(lambda: _book(header, locale)),
        "book_key": book_key(header, locale),
        "book_seconds": FRAGMENT_SECONDS, "as_of": _as_of(header, now),
        "work": selectors.todays_work(now=now, end_of_day=end_of_day), "today": today})


def _refresh(request: HttpRequest) -> HttpResponse:
    """"Refresh now": a new snapshot, unless one was taken moments ago."""
    now = timezone.now()
    latest = snapshot_header()
    if latest is not None and now - latest.taken_at < REFRESH_AT_MOST_EVERY:
        messages.info(request, "The figures were refreshed moments ago: they are up to date.")
    else:
        snapshot = snapshot_refresh(now=now)
        messages.success(request, "Figures refreshed: as of "
                         f"{dateformat.format(timezone.localtime(snapshot.taken_at), 'H:i')}.")
    return redirect("desk:dashboard")


ATTENTION = {
    "broken": "Broken promises in the last 7 days",
    "contacts": "Contact points that do not work",
    "review": "Reminders whose outcome is unknown after a crash",
}


@bookkeeper_required
def attention(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ATTENTION:
        raise Http404
    rows: list[object]
    if kind == "broken":
        rows = list(Interaction.objects.filter(
            kind=InteractionKind.ESCALATION, metadata__has_key="broken_promise",
            occurred_at__gte=timezone.now() - timedelta(days=7))
            .select_related("client").order_by("-occurred_at")[:200])
    elif kind == "contacts":
        rows = list(ContactFlag.objects.filter(cleared_at__isnull=True)
                    .exclude(reason__in=CLIENT_CHOICES)  # opt-outs are choices, not faults
                    .select_related("client").order_by("-created_at")[:200])
    else:
        rows = list(Reminder.objects.filter(status=ReminderStatus.REVIEW)
                    .select_related("client", "invoice", "step", "message")
                    .order_by("scheduled_for")[:200])
    return render(request, "desk/attention.html", {"kind": kind, "title": ATTENTION[kind],
                                                   "rows": rows})
