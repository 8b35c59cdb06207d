"""The receivables worklist: the list (filters, sort, keyset pages), bulk actions on a
selection (a confirmation page first, then one transaction per invoice) and the CSV export.

The views parse requests and present results; ``desk.worklist`` reads and writes.
"""

from __future__ import annotations

import csv
import re
import secrets
from collections.abc import Iterable, Iterator
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET, require_POST

from clients.models import Channel, ClientTag
from core.money import format_money
from core.text import parse_ids
from desk import worklist as wl
from infra.downloads import disposition
from infra.http import viewer_locale
from infra.roles import AuthenticatedHttpRequest, bookkeeper_required
from receivables.models import ACTIVE_STATUSES, Invoice
from receivables.selectors import AGING_BUCKETS

_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,600}")
_TOKEN_KEY = "desk:worklist:bulk-token"
MAX_MESSAGES = 20  # failures listed one by one; beyond that, a count


# --- The list ---------------------------------------------------------------------------------

def _cursor_params(query: QueryDict) -> dict[str, str]:
    return {name: value for name in ("after", "before")
            if _CURSOR.fullmatch(value := query.get(name, ""))}


def _link(params: dict[str, str]) -> str:
    return "?" + urlencode(params) if params else "?"


def _sort_links(filters: wl.WorklistFilters) -> dict[str, dict[str, str]]:
    """Per sortable column: the link (a click on the current column flips its direction, on
    another starts with that column's natural direction) and the arrow shown."""
    key, descending = filters.sort.lstrip("-"), filters.sort.startswith("-")
    links = {}
    for sort in wl.SORTS.values():
        if sort.key == key:
            target = sort.key if descending else f"-{sort.key}"
            arrow = "↓" if descending else "↑"
        else:
            target = ("-" if sort.first_descending else "") + sort.key
            arrow = ""
        links[sort.key] = {"url": _link(filters.params(sort=target)), "arrow": arrow,
                           "label": sort.label,
                           "aria": "descending" if arrow == "↓" else "ascending" if arrow else ""}
    return links


def _display(row: wl.WorklistRow, locale: str) -> dict[str, Any]:
    invoice = row.invoice
    return {"row": row, "invoice": invoice, "client": invoice.client,
            "client_url": reverse("desk:client", args=[invoice.client_id]),
            "owner": wl.person(invoice.client.owner),
            "total": format_money(invoice.total, invoice.currency, locale),
            "balance": format_money(invoice.balance, invoice.currency, locale)}


def _choices(filters: wl.WorklistFilters, owners: list[Any]) -> dict[str, Any]:
    currencies = wl.currencies_in_use()
    if filters.currency and filters.currency not in currencies:
        currencies = sorted([*currencies, filters.currency])
    return {"buckets": AGING_BUCKETS, "owners": [(str(u.pk), wl.person(u)) for u in owners],
            "tags": list(ClientTag.objects.values_list("name", flat=True)),
            "currencies": currencies, "statuses": wl.STATUS_CHOICES,
            "channels": Channel.choices, "quiet_days": wl.QUIET_DAYS}


@bookkeeper_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """Every invoice with money owed: filter, sort, page through, and act on a selection."""
    filters = wl.WorklistFilters.from_query(request.GET)
    cursor = _cursor_params(request.GET)
    today = timezone.localdate()
    page = wl.worklist_page(filters, user=request.user, today=today, now=timezone.now(),
                            after=cursor.get("after", ""), before=cursor.get("before", ""))
    locale = viewer_locale(request)
    owners = list(wl.assignable_owners())
    return render(request, "desk/worklist.html", {
        "filters": filters, "page": page, "today": today,
        "rows": [_display(row, locale) for row in page.rows],
        "sorts": _sort_links(filters), "choices": _choices(filters, owners),
        "first_url": _link(filters.params()) if not page.is_first else "",
        "next_url": _link(filters.params(after=page.next_cursor)) if page.next_cursor else "",
        "prev_url": _link(filters.params(before=page.prev_cursor)) if page.prev_cursor else "",
        "csv_url": reverse("desk:worklist-csv") + _link(filters.params()),
        "back": urlencode({**filters.params(), **cursor}),
        "actions": wl.ACTIONS,
    })


# --- CSV --------------------------------------------------------------------------------------

class _Echo:
    """A file that hands back what is written: csv.writer formats, the response streams."""

    def write(self, value: str) -> str:
        return value


def _csv_response(records: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    lines: Iterator[str] = (writer.writerow(record) for record in records)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    disposition(response, filename)
    return response


@bookkeeper_required
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every invoice the current filters select, in the current order, streamed: 100,000 rows
    never sit in memory at once."""
    filters = wl.WorklistFilters.from_query(request.GET)
    today = timezone.localdate()
    rows = wl.export_rows(filters, user=request.user, today=today, now=timezone.now())
    return _csv_response(wl.csv_records(rows), f"worklist-{today.isoformat()}.csv")


# --- Bulk actions -----------------------------------------------------------------------------

class IdListField(forms.Field):
    """The ticked invoice ids: integers, each once, at most MAX_SELECTION."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = [value] if isinstance(value, str) else list(value or [])
        ids = parse_ids(values)
        if ids is None:
            raise ValidationError("The selection is garbled; reload the worklist.")
        if not ids:
            raise ValidationError("Tick at least one invoice first.")
        if len(ids) > wl.MAX_SELECTION:
            raise ValidationError(f"{len(ids)} invoices are selected; act on at most "
                                  f"{wl.MAX_SELECTION} at a time.")
        return ids


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=list(wl.ACTIONS.items()),
                               error_messages={"required": "Choose what to do.",
                                               "invalid_choice": "Choose what to do."})
    invoice = IdListField()
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(required=False, max_length=200)
    owner = forms.ChoiceField(required=False)
    confirm = forms.BooleanField(required=False)
    token = forms.CharField(required=False, max_length=64)

    def __init__(self, *args: Any, owners: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(forms.ChoiceField, self.fields["owner"])
        owner.choices = [("", "Choose…"), ("none", "Nobody (unassign)")] + [
            (str(u.pk), wl.person(u)) for u in owners]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("action") == "pause":
            until = data.get("until")
            if until is None and "until" not in self.errors:
                self.add_error("until", "Pause until which day?")
            elif until is not None and until < timezone.localdate():
                self.add_error("until", "Choose today or a later day.")
        if data.get("action") == "assign" and not data.get("owner"):
            self.add_error("owner", "Choose who will own these clients.")
        return data


def _back_url(raw: str) -> str:
    """The worklist as the bookkeeper left it, rebuilt from whitelisted values only (the value
    comes from the form, so it can never send the browser elsewhere). The list posts its query
    string; the confirmation page posts the URL it was given back: take the query of either,
    so the first filter is not lost behind the path."""
    raw = raw[:2000]
    query = QueryDict(raw.partition("?")[2] if "?" in raw else raw)
    filters = wl.WorklistFilters.from_query(query)
    return reverse("desk:worklist") + _link({**filters.params(), **_cursor_params(query)})


def _selection_data(request: HttpRequest) -> QueryDict:
    """"Apply to all on this page" posts the page's ids as ``page_invoice``: use them."""
    data = request.POST.copy()
    if data.get("scope") == "page":
        data.setlist("invoice", data.getlist("page_invoice"))
    return data


def _new_token(request: HttpRequest) -> str:
    token = secrets.token_urlsafe(16)
    request.session[_TOKEN_KEY] = token
    return token


def _take_token(request: HttpRequest, token: str) -> bool:
    """Each confirmation page can be used once: a double click or a re-sent form does not send
    the next reminder twice."""
    expected = request.session.pop(_TOKEN_KEY, None)
    return bool(token and expected) and constant_time_compare(token, expected)


def _confirmation(request: HttpRequest, form: BulkForm, invoices: list[Invoice], back: str,
                  dropped: int) -> HttpResponse:
    action = form.cleaned_data["action"]
    locale = viewer_locale(request)
    return render(request, "desk/worklist/confirm.html", {
        "form": form, "action": action, "action_label": wl.ACTIONS[action],
        "invoices": [{"invoice": i, "balance": format_money(i.balance, i.currency, locale),
                      "owner": wl.person(i.client.owner),
                      "no_cadence": i.status not in ACTIVE_STATUSES} for i in invoices],
        "today": timezone.localdate(),
        "clients": wl.clients_of(invoices), "dropped": dropped, "back": back,
        "token": _new_token(request), "show_errors": form.cleaned_data.get("confirm"),
    }, status=400 if form.cleaned_data.get("confirm") and form.errors else 200)


def _report(request: HttpRequest, result: wl.BulkResult, summary: str) -> None:
    level = messages.SUCCESS if not result.failed else messages.WARNING
    messages.add_message(request, level, summary)
    for note in result.notes[:MAX_MESSAGES]:
        messages.info(request, note)
    for what, why in result.failed[:MAX_MESSAGES]:
        messages.error(request, f"Not done for {what}: {why}")
    if len(result.failed) > MAX_MESSAGES:
        messages.error(request, f"…and {len(result.failed) - MAX_MESSAGES} more failed.")


def _owner_named(value: str, owners: list[Any]) -> Any:
    return None if value == "none" else next(u for u in owners if str(u.pk) == value)


def _perform(request: AuthenticatedHttpRequest, data: dict[str, Any], invoices: list[Invoice],
             owners: list[Any]) -> tuple[wl.BulkResult, str]:
    """Carry out the confirmed action; returns the result and its one-line summary."""
    action, actor, total = data["action"], request.user, len(invoices)
    if action == "pause":
        result = wl.bulk_pause(invoices=invoices, until=data["until"], reason=data["reason"],
                               actor=actor)
        return result, (f"Reminders paused until {data['until']:%Y-%m-%d} for "
                        f"{len(result.succeeded)} of {total} invoices.")
    if action == "resume":
        result = wl.bulk_pause(invoices=invoices, until=None, reason=data["reason"],
                               actor=actor)
        return result, f"Reminders resumed for {len(result.succeeded)} of {total} invoices."
    if action == "send_now":
        result = wl.bulk_send_now(invoices=invoices, actor=actor, now=timezone.now())
        return result, (f"Next reminder sent now for {len(result.succeeded)} of {total} "
                        "invoices.")
    owner = _owner_named(data["owner"], owners)
    result = wl.bulk_assign_owner(invoices=invoices, owner=owner, actor=actor)
    clients = len(wl.clients_of(invoices))
    who = wl.person(owner) or "Nobody"
    return result, (f"{who} now owns {len(result.succeeded)} of {clients} clients "
                    f"({total} invoices selected).")


@transaction.non_atomic_requests  # one transaction per invoice, not one for the request
@bookkeeper_required
@require_POST
def bulk(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """First POST: the confirmation page (how many invoices and clients, which ones). Second
    POST with ``confirm=1``: do it, one invoice at a time, and say what worked and what not."""
    owners = list(wl.assignable_owners())
    form = BulkForm(_selection_data(request), owners=owners)
    back = _back_url(request.POST.get("back", ""))
    valid = form.is_valid()
    if "action" in form.errors or "invoice" in form.errors:
        for error in [*form.errors.get("action", []), *form.errors.get("invoice", [])]:
            messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    invoices = wl.selected_invoices(data["invoice"])
    if not invoices:
        messages.error(request, "None of the selected invoices is still open: nothing to do.")
        return redirect(back)
    dropped = len(data["invoice"]) - len(invoices)
    if not (valid and data["confirm"] and not dropped):
        return _confirmation(request, form, invoices, back, dropped)
    if not _take_token(request, data["token"]):
        messages.error(request, "That confirmation was already used or has expired: nothing "
                                "was done again. Check the worklist before trying once more.")
        return redirect(back)
    if data["action"] == "export":
        rows = wl.rows_for([i.pk for i in invoices], today=timezone.localdate())
        return _csv_response(wl.csv_records(rows), "worklist-selection.csv")
    result, summary = _perform(request, data, invoices, owners)
    _report(request, result, summary)
    return redirect(back)
