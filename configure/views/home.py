from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from configure import selectors
from configure.audit import recent_entries
from infra.roles import admin_required


@admin_required
def home(request: HttpRequest) -> HttpResponse:
    events = selectors.events_by_provider()
    return render(request, "configure/home.html", {
        "providers": selectors.provider_status(events), "events": events,
        "audit": recent_entries(20),
    })
