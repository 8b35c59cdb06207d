"""The bookkeeper's escalation pages: hand a client's invoices to collections (and download
the package), and issue a letter of demand now. Views parse the request and call
the escalation app; every rule lives there."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import Client
from core.money import format_money
from core.text import parse_ids
from escalation.demand import letter_of_demand_issue
from escalation.evidence import Package
from escalation.handover import escalate_to_collections
from escalation.package import collections_package
from infra.downloads import disposition
from infra.roles import AuthenticatedHttpRequest, bookkeeper_required
from receivables.models import Invoice, InvoiceStatus


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def _selected(request: HttpRequest, client: Client) -> list[Invoice]:
    """The invoices ticked in the form ("invoice", repeated): refused when one is unknown or
    another client's, so a tampered form cannot reach someone else's invoices."""
    raw = request.POST.getlist("invoice")
    if not raw:
        raise ValidationError("Select at least one invoice.")
    ids = parse_ids(raw)
    if ids is None:
        raise ValidationError("The selected invoices are not valid; reload the page.")
    invoices = list(Invoice.objects.filter(pk__in=ids, client=client))
    if len(invoices) != len(ids):
        raise ValidationError(f"An invoice selected does not belong to "
                              f"{client.display_name}; reload the page.")
    return invoices


def _candidates(client: Client) -> list[dict[str, Any]]:
    """The client's invoices that can still be handed over: owed and not yet in collections."""
    owed = (Invoice.objects.receivable().filter(client=client)
            .exclude(status=InvoiceStatus.IN_COLLECTIONS).order_by("due_date", "number"))
    today = timezone.localdate()
    return [{"invoice": i, "balance": format_money(i.balance, i.currency),
             "days_overdue": max(i.days_overdue(today), 0)} for i in owed]


def _form(request: HttpRequest, client: Client, errors: list[str], status: int = 200
          ) -> HttpResponse:
    chosen = set(request.POST.getlist("invoice"))
    return render(request, "escalation/collections_form.html", {
        "client": client, "rows": _candidates(client), "errors": errors, "chosen": chosen,
        "note": request.POST.get("note", ""), "in_collections": Invoice.objects.filter(
            client=client, status=InvoiceStatus.IN_COLLECTIONS).exists()}, status=status)


@bookkeeper_required
@require_http_methods(["GET", "POST"])
def collections(request: AuthenticatedHttpRequest, client_pk: int) -> HttpResponse:
    """GET: the form (invoices, note, confirmation). POST: hand the invoices over and offer
    the package; on a refusal the form again, with the reasons and nothing changed."""
    client = get_object_or_404(Client, pk=client_pk)
    if request.method == "GET":
        return _form(request, client, [])
    if request.POST.get("confirm") not in ("1", "on", "yes"):
        return _form(request, client, ["Tick the confirmation: handing over to collections "
                                       "stops every reminder for these invoices."], 400)
    try:
        invoices = _selected(request, client)
        package = escalate_to_collections(
            invoices=invoices, actor=request.user, now=timezone.now(),
            note=request.POST.get("note", ""))
    except ValidationError as exc:
        return _form(request, client, _errors(exc), 400)
    return render(request, "escalation/escalated.html", {
        "client": client, "invoices": sorted(invoices, key=lambda i: (i.due_date, i.number)),
        "package": package, "files": sorted(package.files.items())})


def _package(client_pk: int) -> Package:
    client = get_object_or_404(Client, pk=client_pk)
    invoices = list(Invoice.objects.filter(client=client, status=InvoiceStatus.IN_COLLECTIONS))
    if not invoices:
        raise Http404("None of this client's invoices is in collections.")
    return collections_package(client=client, invoices=invoices, now=timezone.now())


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition(response, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@bookkeeper_required
@require_http_methods(["GET"])
def package_pdf(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The package, as of now, for the client's invoices in collections: one PDF."""
    package = _package(client_pk)
    return _attachment(package.pdf, "application/pdf", package.pdf_name)


@bookkeeper_required
@require_http_methods(["GET"])
def package_zip(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The same package as separate files in a ZIP."""
    package = _package(client_pk)
    return _attachment(package.zip, "application/zip", package.zip_name)


def _back(request: HttpRequest, client: Client) -> HttpResponse:
    """To the page the form was on, if it is ours; else the client's page."""
    target = request.headers.get("referer", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("desk:client", pk=client.pk)


@bookkeeper_required
@require_POST
def demand(request: AuthenticatedHttpRequest, client_pk: int) -> HttpResponse:
    """Issue a letter of demand now for the selected invoices; back to where it was asked."""
    client = get_object_or_404(Client, pk=client_pk)
    if request.POST.get("confirm") not in ("1", "on", "yes"):
        messages.error(request, "Nothing was issued: tick the confirmation first (a letter of "
                                "demand is a legal notice and cannot be taken back).")
        return _back(request, client)
    try:
        letter = letter_of_demand_issue(
            client=client, invoices=_selected(request, client), actor=request.user,
            now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, f"Letter of demand to {client.display_name} is waiting in "
                                  f"the print queue ({letter.subject}).")
    return _back(request, client)
