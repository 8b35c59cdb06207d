"""The bookkeeper's home: totals and aging per currency, DSO, the cash to expect, and today's
work — each count a link to its list — plus the lists of things that need attention."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clients.models import CLIENT_CHOICES, ContactFlag, Interaction, InteractionKind
from desk import selectors
from infra.roles import bookkeeper_required
from reminders.models import Reminder, ReminderStatus


@bookkeeper_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate()
    end_of_day = timezone.make_aware(datetime.combine(today, time.max))
    return render(request, "desk/dashboard.html", {
        "aging": selectors.aging(today=today), "dso": selectors.dso(today=today),
        "cash": selectors.expected_cash(today=today),
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
