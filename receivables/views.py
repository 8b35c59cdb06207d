"""The bookkeeper's pages. Views only read selectors and call services."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.contact import babel_locale
from core.money import format_money
from receivables import selectors

PAGE_SIZE = 50


@login_required
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
