"""The bookkeeper's home: totals and aging per currency, DSO, the cash to expect, and today's
work — each count a link to its list — plus the lists of things that need attention."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clients.models import CLIENT_CHOICES, ContactFlag, Interaction, InteractionKind
from core.money import format_money
from desk import selectors
from infra.http import viewer_locale
from infra.roles import bookkeeper_required
from reminders.models import Reminder, ReminderStatus

NOTHING = "—"


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


@bookkeeper_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate()
    end_of_day = timezone.make_aware(datetime.combine(today, time.max))
    aging, dso = selectors.aging(today=today), selectors.dso(today=today)
    cash = selectors.expected_cash(today=today)
    _with_money_text(aging, dso, cash, viewer_locale(request))
    return render(request, "desk/dashboard.html", {
        "aging": aging, "dso": dso, "cash": cash,
        "work": selectors.todays_work(now=now, end_of_day=end_of_day), "today": today})


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
