"""Reads for the configuration pages: provider status, cadence timelines and forecasts,
template groups, live previews and the holiday calendar. Each list is a fixed number of
queries, whatever the number of rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

import holidays
from django.db.models import Count, Max

from answers import links
from checkout.models import CheckoutSession, CheckoutStatus, StripeEvent
from clients.models import Client
from core.contact import LANGUAGES, country_names
from core.sms import Segments, count_segments, gsm_friendly, ucs2_characters, ucs2_hint
from infra.integrations import integrations
from receivables.models import Invoice
from reminders.forecast import forecast
from reminders.models import (
    FAILED_STATUSES,
    Cadence,
    CadencePurpose,
    CadenceStep,
    MessageEvent,
    MessageTemplate,
    OutboundMessage,
    TemplateChannel,
)
from reminders.rendering import SAMPLE_CONTEXT, Rendered, TemplateError, render
from reminders.selectors import CadenceBook, message_context

# --- Provider status ------------------------------------------------------------------------

_SMS_PROVIDERS = ("twilio", "twilio-inbound")


def provider_status(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per integration: configured or not, the last event a provider sent (from
    ``events_by_provider()``), the last failure."""
    last_by_provider = {e["provider"]: e["last"] for e in events}
    email_events = {p: t for p, t in last_by_provider.items() if p not in _SMS_PROVIDERS}
    sms_events = {p: t for p, t in last_by_provider.items() if p in _SMS_PROVIDERS}
    stripe = StripeEvent.objects.order_by("-occurred_at", "-id").only(
        "type", "occurred_at", "received_at").first()
    failed_checkout = (CheckoutSession.objects.filter(status=CheckoutStatus.FAILED)
                       .select_related("client").order_by("-updated_at").first())
    rows = []
    for integration in integrations():
        row: dict[str, Any] = {"integration": integration, "last_event": None,
                               "last_event_label": "", "last_error": None, "error_label": ""}
        if integration.key in ("email", "sms"):
            provider_events = email_events if integration.key == "email" else sms_events
            if provider_events:
                provider, at = max(provider_events.items(), key=lambda item: item[1])
                row.update(last_event=at, last_event_label=provider)
            failure = _last_failure(integration.key)
            if failure is not None:
                row.update(last_error=failure.sent_at or failure.created_at, error_label=(
                    f"{failure.get_status_display()} to {failure.to}: "
                    f"{failure.status_detail or 'no detail given'}"))
        else:
            if stripe is not None:
                row.update(last_event=stripe.occurred_at, last_event_label=stripe.type)
            if failed_checkout is not None:
                row.update(last_error=failed_checkout.updated_at,
                           error_label=f"Payment failed for {failed_checkout.client} "
                                       f"({failed_checkout.stripe_session_id})")
        rows.append(row)
    return rows


def _last_failure(channel: str) -> OutboundMessage | None:
    return (OutboundMessage.objects.filter(channel=channel, status__in=FAILED_STATUSES)
            .only("to", "status", "status_detail", "created_at", "sent_at")
            .order_by("-created_at", "-id").first())


def events_by_provider() -> list[dict[str, Any]]:
    return list(MessageEvent.objects.values("provider").annotate(
        last=Max("occurred_at"), count=Count("id")).order_by("provider"))


# --- Cadences -------------------------------------------------------------------------------

def cadence_rows() -> list[Cadence]:
    return list(Cadence.objects.annotate(
        step_count=Count("steps", distinct=True), client_count=Count("clients", distinct=True))
        .prefetch_related("tags").order_by("purpose", "priority", "name"))


def cadence_steps(cadence: Cadence) -> list[CadenceStep]:
    return list(cadence.steps.prefetch_related("only_tags").order_by("offset_days", "id"))


_LABEL_GAP = 21.0  # percent of the axis a marker's label needs before the next one
_LANE_HEIGHT = 3.2  # em
_CHANNEL_SHORT = {"preferred": "preferred channel", "email": "email", "sms": "SMS",
                  "letter": "letter", "call": "call task"}


_MAX_LANES = 20  # static/css/geometry.css has lane-0 … lane-19


def _pct(value: float) -> str:
    """A CSS percentage, never localized ("12,5%" would not be CSS)."""
    return f"{value:.2f}%"


def half_percent(value: float) -> int:
    """A position in half percents, for geometry.css's ``x-N``/``w-N`` classes (the CSP allows
    no ``style`` attributes)."""
    return max(0, min(200, round(value * 2)))


def timeline(steps: list[CadenceStep]) -> dict[str, Any]:
    """Markers on an axis from the earliest to the latest offset (the due date always on it),
    each in the first lane where its label does not run into the one before."""
    offsets = [s.offset_days for s in steps] + [0]
    pad = max(2, (max(offsets) - min(offsets)) // 12)
    low, high = min(offsets) - pad, max(offsets) + pad
    position = lambda day: (day - low) * 100 / (high - low)  # noqa: E731
    lanes: list[float] = []
    markers = []
    for step in steps:
        left = position(step.offset_days)
        lane = next((i for i, end in enumerate(lanes) if left - end >= _LABEL_GAP),
                    min(len(lanes), _MAX_LANES - 1))
        lanes[lane:lane + 1] = [left]
        markers.append({"step": step, "left": _pct(left), "x": half_percent(left), "lane": lane,
                        "top": f"{lane * _LANE_HEIGHT:.1f}em", "start": left < 9,
                        "end": left > 91, "channel": _CHANNEL_SHORT.get(step.channel, "")})
    every = next(n for n in (1, 2, 7, 14, 30, 60, 90) if (high - low) / n <= 12)
    ticks = [{"day": d, "left": _pct(position(d)), "x": half_percent(position(d)),
              "label": "due" if d == 0 else f"{d:+d}"}
             for d in range(low - low % every, high + 1, every) if low <= d <= high]
    return {"markers": markers, "ticks": ticks, "due_left": _pct(position(0)),
            "due_x": half_percent(position(0)), "lanes": max(1, len(lanes)), "low": low,
            "high": high}


FORECAST_LIMIT = 2000  # invoices replayed for the page, the soonest next actions first


def cadence_forecast(cadence: Cadence, steps: list[CadenceStep], *, now: datetime,
                     days: int = 14) -> list[dict[str, Any]]:
    """The engine's forecast entries that come from this cadence's steps. Entries name their
    step, not its cadence: where another cadence has a step of the same name, the client's
    own cadence decides."""
    names = {s.name for s in steps}
    if not names:
        return []
    entries = [e for e in forecast(now=now, days=days, limit=FORECAST_LIMIT)
               if e["step"] in names]
    client_zones = dict(Client.objects.filter(
        reference__in={e["client_reference"] for e in entries}).values_list(
        "reference", "timezone"))
    shared = set(CadenceStep.objects.exclude(cadence=cadence).filter(name__in=names)
                 .values_list("name", flat=True))
    if shared and cadence.purpose == CadencePurpose.INVOICES:
        mine = _clients_on(cadence, {e["client_reference"] for e in entries
                                     if e["step"] in shared})
        entries = [e for e in entries if e["step"] not in shared
                   or e["client_reference"] in mine]
    for entry in entries:
        entry["send_at"] = datetime.fromisoformat(entry["send_at"])
        entry["timezone"] = client_zones.get(entry["client_reference"], "")
    return entries


def forecast_by_step(steps: list[CadenceStep], entries: list[dict[str, Any]]
                     ) -> list[tuple[str, int]]:
    """(step name, entries) in step order, for the steps with any."""
    counts: dict[str, int] = defaultdict(int)
    for entry in entries:
        counts[entry["step"]] += 1
    return [(s.name, counts[s.name]) for s in steps if counts.get(s.name)]


def _clients_on(cadence: Cadence, references: set[str]) -> set[str]:
    book = CadenceBook()
    found = Client.objects.filter(reference__in=references).prefetch_related("tags")
    return {c.reference for c in found
            if (getattr(book.cadence_for(c.pk, frozenset(t.name for t in c.tags.all())), "pk",
                        None) == cadence.pk)}


def template_catalogue() -> list[tuple[str, str, str]]:
    """Every (key, channel, language) there is: the step form's choices and checks."""
    return list(MessageTemplate.objects.order_by("key", "channel", "language")
                .values_list("key", "channel", "language"))


# --- Templates ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmsCount:
    text: str
    segments: Segments
    hints: list[str]

    @property
    def summary(self) -> str:
        noun = "segment" if self.segments.segments == 1 else "segments"
        return (f"{self.segments.segments} {noun} · {self.segments.encoding} · "
                f"{self.segments.units} characters, {self.segments.remaining} left")


def sms_count(text: str) -> SmsCount:
    """Segments of an SMS as it goes out (typographic characters made plain first)."""
    sent = gsm_friendly(text).strip()
    return SmsCount(sent, count_segments(sent), [ucs2_hint(c) for c in ucs2_characters(sent)])


def sample_pay_url() -> str:
    """A pay link of a real link's exact shape (22-character token), so counts are honest."""
    return links.link_url("Xk3v9QpL2mZt7RbW4nYc8A")


def template_groups() -> list[dict[str, Any]]:
    """Templates by key, as a channel-by-language grid, with the steps that use each key."""
    templates = list(MessageTemplate.objects.order_by("key", "channel", "language"))
    used: dict[str, list[str]] = defaultdict(list)
    for key, cadence, step in CadenceStep.objects.exclude(template_key="").order_by(
            "cadence__name", "offset_days").values_list("template_key", "cadence__name", "name"):
        used[key].append(f"{cadence}: {step}")
    groups = []
    for key, rows in groupby(templates, key=lambda t: t.key):
        by_cell = {(t.channel, t.language): t for t in rows}
        channels = sorted({c for c, _ in by_cell}, key=list(TemplateChannel.values).index)
        grid = [{"channel": TemplateChannel(c).label, "channel_key": c,
                 "cells": [{"language": lang, "template": by_cell.get((c, lang)),
                            "sms": _list_sms_count(by_cell.get((c, lang)))}
                           for lang in LANGUAGES]} for c in channels]
        groups.append({"key": key, "grid": grid, "used_by": used.get(key, [])})
    return groups


def _list_sms_count(template: MessageTemplate | None) -> SmsCount | None:
    if template is None or template.channel != TemplateChannel.SMS:
        return None
    try:
        rendered = render(subject="", text=template.text, html="",
                          context={**SAMPLE_CONTEXT, "pay_url": sample_pay_url()})
    except TemplateError:
        return None
    return sms_count(rendered.text)


def available_variables() -> list[tuple[str, str]]:
    """(name, sample value) for every variable; the invoices list shows its item fields."""
    rows = []
    for name, value in sorted(SAMPLE_CONTEXT.items()):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            fields = ", ".join(f"i.{k}" for k in value[0])
            rows.append((name, f"a list: {{% for i in {name} %}} … {fields}"))
        else:
            rows.append((name, str(value)))
    return rows


def preview_clients(limit: int = 100) -> list[Client]:
    """Clients with money still owed, to preview a template against."""
    return list(Client.objects.filter(pk__in=Invoice.objects.receivable().values("client_id"))
                .order_by("display_name", "pk").only("pk", "display_name", "reference")[:limit])


def preview_invoices(client: Client) -> list[Invoice]:
    return list(Invoice.objects.receivable().filter(client=client)
                .select_related("terms").order_by("due_date", "number"))


def preview_render(*, template: MessageTemplate, client: Client, invoice: Invoice,
                   now: datetime) -> Rendered:
    """The template's parts as this client would get them for this invoice today (raises
    ``TemplateError``). Letters show their body without the letter layout."""
    today = client.local_today(now)
    context = message_context(client=client, invoices=[invoice], today=today,
                              pay_url=sample_pay_url(), language=template.language)
    channel = template.channel
    return render(subject=template.subject,
                  text=template.text if channel != TemplateChannel.LETTER else "",
                  html=template.html if channel in (TemplateChannel.EMAIL,
                                                    TemplateChannel.LETTER) else "",
                  context=context)


# --- Business settings ----------------------------------------------------------------------

def holidays_ahead(today: date, days: int = 60) -> list[dict[str, Any]]:
    """Public holidays (national ones) in the next ``days`` days, per country clients are in."""
    end = today + timedelta(days=days)
    names = country_names()
    counts = dict(Client.objects.filter(is_active=True).values_list("country").annotate(
        n=Count("id")).order_by())
    result = []
    for country in sorted(counts):
        try:
            calendar = holidays.country_holidays(country, years=range(today.year, end.year + 1))
        except NotImplementedError:
            result.append({"country": country, "name": names.get(country, country),
                           "clients": counts[country], "supported": False, "days": []})
            continue
        result.append({"country": country, "name": names.get(country, country),
                       "clients": counts[country], "supported": True,
                       "days": sorted((d, n) for d, n in calendar.items() if today <= d <= end)})
    return sorted(result, key=lambda row: row["name"])
