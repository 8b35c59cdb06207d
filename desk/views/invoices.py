"""The bookkeeper's pages. Views only read selectors and call services."""

import re
from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from answers import banking
from clients.models import Client
from core.contact import LANGUAGES, babel_locale
from core.money import MoneyError, format_money, normalize_currency
from infra.downloads import disposition
from infra.roles import bookkeeper_required
from receivables import selectors
from receivables.models import Invoice

PAGE_SIZE = 50


@bookkeeper_required
def open_invoices(request: HttpRequest) -> HttpResponse:
    """Who owes what: open invoices, most overdue first, with the aging summary on top."""
    today = timezone.localdate()
    bucket = request.GET.get("bucket", "")
    if bucket not in selectors.BUCKETS_BY_KEY:
        bucket = ""
    search = request.GET.get("q", "")[:100]
    mine = request.GET.get("mine") == "1"
    owner = request.user if mine else None
    invoices = selectors.open_invoices(today=today, owner=owner, bucket=bucket or None,
                                       search=search)
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    locale = babel_locale(request.LANGUAGE_CODE or "en")
    rows = [{
        "invoice": inv,
        "total": format_money(inv.total, inv.currency, locale),
        "balance": format_money(inv.balance, inv.currency, locale),
        "days_overdue": inv.days_overdue(today),
        "bucket": selectors.bucket_for(inv.days_overdue(today)),
    } for inv in page.object_list]
    aging = [{**row, "total_display": format_money(row["total"], row["currency"], locale),
              "buckets": [{**b, "display": format_money(b["amount"], row["currency"], locale)}
                          for b in row["buckets"]]}
             for row in selectors.aging_summary(today=today, owner=owner)]
    return render(request, "receivables/open_invoices.html", {
        "rows": rows, "page": page, "aging": aging, "buckets": selectors.AGING_BUCKETS,
        "bucket": bucket, "search": search, "mine": mine, "today": today,
    })


# --- PDF downloads: the invoice and the statement of account -----------------------------------
# ``receivables.documents`` is imported inside the views: it loads WeasyPrint (most of a
# second), which no other page needs.

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadParameter(ValueError):
    """A query parameter a person typed or edited is wrong; the message says how to fix it."""


def _bad_request(exc: BadParameter) -> HttpResponse:
    return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    """Shown in the browser (inline), saved under a safe name (``infra.downloads``)."""
    response = HttpResponse(content, content_type="application/pdf")
    disposition(response, filename, attachment=False, default="document")
    return response


def _language_param(query: QueryDict) -> str | None:
    language = query.get("lang", "").strip().lower() or None
    if language is not None and language not in LANGUAGES:
        raise BadParameter(f"Unknown language '{language[:10]}': use one of "
                           f"{', '.join(LANGUAGES)}, or leave it out for the client's own.")
    return language


def _date_param(query: QueryDict, name: str) -> date | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(f"'{raw[:20]}' is not a valid '{name}' date: use YYYY-MM-DD, "
                           "e.g. 2026-01-31.") from None


def _currency_param(query: QueryDict, client: Client, available: list[str]) -> str:
    """The currency asked for, or the client's first; it must be one the client has."""
    raw = query.get("currency", "").strip()
    if not available:
        raise BadParameter(f"{client} has no issued invoices or payments yet: there is no "
                           "statement to print.")
    if not raw:
        return available[0]
    try:
        currency = normalize_currency(raw)
    except MoneyError:
        raise BadParameter(f"'{raw[:10]}' is not a currency code: use a three-letter ISO 4217 "
                           f"code such as {available[0]}.") from None
    if currency not in available:
        raise BadParameter(f"{client} has no invoices or payments in {currency}; statements "
                           f"exist in {', '.join(available)}.")
    return currency


@bookkeeper_required
@require_GET
@never_cache
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice as the client receives it (``?lang=de`` to print another language)."""
    from receivables import documents

    invoice = get_object_or_404(Invoice.objects.select_related("client", "terms"), pk=pk)
    try:
        language = _language_param(request.GET)
    except BadParameter as exc:
        return _bad_request(exc)
    return _pdf_response(documents.invoice_pdf(invoice, language=language,
                                               payment_text=banking.transfer_text),
                         f"invoice-{invoice.number}.pdf")


@bookkeeper_required
@require_GET
@never_cache
def statement_pdf(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The client's statement of account: ``?currency=EUR&from=2026-01-01&to=2026-03-31``;
    without ``from`` from the first transaction, without ``to`` up to today."""
    from receivables import documents

    client = get_object_or_404(Client, pk=client_pk)
    today = timezone.localdate()
    try:
        currency = _currency_param(request.GET, client, documents.statement_currencies(client))
        start = _date_param(request.GET, "from")
        end = _date_param(request.GET, "to") or today
        language = _language_param(request.GET)
        if start is not None and start > end:
            raise BadParameter(f"The statement cannot start ({start}) after it ends ({end}).")
    except BadParameter as exc:
        return _bad_request(exc)
    content = documents.statement_pdf(client, currency=currency, start=start, end=end,
                                      today=today, language=language,
                                      payment_text=banking.transfer_text)
    return _pdf_response(content, f"statement-{client.reference}-{currency}-{end}.pdf")
