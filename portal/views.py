"""The only pages anyone can open without signing in: a client's pay-now page and its forms.

Every view goes through ``client_page``: it rate-limits by IP and by token (429 with
Retry-After), resolves the token to a live link (anything else gets the same neutral 404 page),
and marks every response ``noindex``, ``no-store`` and ``no-referrer`` under a strict
content-security policy (our own files only; forms post to us, and the card payment redirects
to Stripe). Everything a client does is recorded in their timeline by ``reminders.answers``.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from answers import banking, links
from answers import instalments as plans
from answers.base import open_invoices
from answers.disputes import dispute_open
from answers.models import DisputeReason, PayLink, PaymentPlan, PlanStatus, PortalSettings
from answers.plans import plan_limits, plan_propose
from answers.preferences import channel_choices, preferences_update, sms_opted_out
from answers.promises import (
    promise_from_client,
    promise_limit_message,
    promise_limit_reached,
)
from clients.business import business
from clients.models import Client, InteractionChannel, InteractionKind
from clients.services import interaction_record
from core.contact import LANGUAGES, babel_locale
from core.money import format_money
from core.text import parse_id, printable
from infra.downloads import disposition
from portal.texts import Texts
from receivables.models import RECEIVABLE_STATUSES, Invoice, InvoiceStatus
from receivables.selectors import invoice_settlement
from reminders import selectors
from reminders.channels.events import pay_link_opened
from work.callbacks import CALLBACK_WINDOWS, callback_days, callback_request

VISIT_GAP_MINUTES = 30  # page views closer together than this are one visit
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
       "form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
DONE = {"promise", "plan", "dispute", "callback", "preferences", "paid", "cancelled"}


def _harden(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store, private"
    # Never to Stripe or elsewhere; "no-referrer" would make browsers send "Origin: null" on
    # our own forms and fail Django's CSRF origin check.
    response["Referrer-Policy"] = "same-origin"
    response["Content-Security-Policy"] = CSP
    return response


def _period(rate: str) -> int:
    _, _, unit = rate.partition("/")
    return {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit[-1]] * int(unit[:-1] or 1)


def _limited(request: HttpRequest, token: str) -> int | None:
    """Seconds to wait when this IP or this token made too many requests, else None."""
    checks = (("portal-ip", "ip", settings.SETTLE_PORTAL_RATE_PER_IP),
              ("portal-token", lambda group, req: links.token_hash(token),
               settings.SETTLE_PORTAL_RATE_PER_TOKEN))
    for group, key, rate in checks:
        if is_ratelimited(request, group=group, key=key, rate=rate, increment=True):
            return _period(rate)
    return None


def not_found(request: HttpRequest) -> HttpResponse:
    """The one answer for an unknown, expired, revoked or foreign link or invoice: in the
    browser's language, never the client's (which would tell a guesser the link is real)."""
    texts = Texts(getattr(request, "LANGUAGE_CODE", "en"))
    return _harden(render(request, "portal/not_found.html",
                          {"t": texts, "language": texts.language,
                           "business": business().name}, status=404))


def missing(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other address under /p/ (no token, an unknown sub-page): the same neutral page,
    behind the same per-IP limit."""
    if is_ratelimited(request, group="portal-ip", key="ip",
                      rate=settings.SETTLE_PORTAL_RATE_PER_IP, increment=True):
        response = render(request, "portal/too_many.html", {"t": Texts("en")}, status=429)
        response["Retry-After"] = str(_period(settings.SETTLE_PORTAL_RATE_PER_IP))
        return _harden(response)
    return not_found(request)


View = Callable[..., HttpResponse]


def client_page(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = _limited(request, token)
        if wait is not None:
            response = render(request, "portal/too_many.html", {"t": Texts("en")}, status=429)
            response["Retry-After"] = str(wait)
            return _harden(response)
        link = links.link_resolve(token)
        if link is None:
            return not_found(request)
        return _harden(view(request, link, token, *args, **kwargs))
    return wrapper


# --- What the page shows --------------------------------------------------------------------

def _fmt(client: Client) -> tuple[Callable[[Decimal, str], str], Callable[[date], str]]:
    locale = babel_locale(client.language, client.country)
    return ((lambda amount, currency: format_money(amount, currency, locale)),
            (lambda day: format_date(day, format="long", locale=locale)))


def _plans(client: Client) -> dict[int, PaymentPlan]:
    live = (PaymentPlan.objects.filter(client=client, status__in=[PlanStatus.PROPOSED,
                                                                   PlanStatus.ACCEPTED])
            .prefetch_related("invoices", "instalments"))
    return {inv.pk: plan for plan in live for inv in plan.invoices.all()}


MAX_REFERENCE_INVOICES = 3  # beyond this, the transfer reference is the customer number
PLAIN_LINES = {"holder", "bank"}  # bank lines read as names; the rest is typed in: monospace
FOLD_AFTER = 5  # a currency's invoice table with more rows than this starts folded (<details>)

def _age(t: Texts, days: int) -> str:
    if days == 0:
        return t.due_today
    if days == 1:
        return t.overdue_one
    if days == -1:
        return t.due_tomorrow
    return t.get("overdue", days=days) if days > 0 else t.get("due_in", days=-days)


def _row(invoice: Invoice, today: date, t: Texts, money: Any, day: Any,
         plan: PaymentPlan | None) -> dict[str, Any]:
    s = invoice_settlement(invoice=invoice, on=today)
    charges = s.late_fee + s.interest + invoice.charges_total
    note = (t.disputed if invoice.status == InvoiceStatus.DISPUTED else
            t.get("promised", day=day(invoice.promised_until))
            if invoice.promised_until and invoice.promised_until >= today else
            (t.in_plan if plan.status == PlanStatus.ACCEPTED else t.plan_waiting)
            if plan else "")
    days = (today - invoice.due_date).days
    return {
        "invoice": invoice, "note": note, "total": s.total,
        "payable": invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID),
        "due": day(invoice.due_date), "age": _age(t, days), "overdue": days > 0,
        "balance": money(s.balance, invoice.currency),
        "fees": money(charges, invoice.currency) if charges > 0 else "",
        "today": money(s.total, invoice.currency),
        "discount": t.get("discount_today", amount=money(s.discount, invoice.currency),
                          day=day(s.discount_until)) if s.discount_until else ""}


def page_context(link: PayLink, token: str, now: datetime) -> dict[str, Any]:
    """The page's content: one group per currency (amounts in different currencies never add
    up, and a card payment is in one currency), each with its rows, total and how to pay."""
    from checkout.services import stripe_enabled

    client = link.client
    t = Texts(client.language)
    money, day = _fmt(client)
    today = client.local_today(now)
    plan_of = _plans(client)
    portal = PortalSettings.load()
    accounts = banking.account_book()
    by_currency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for invoice in (Invoice.objects.filter(client=client, status__in=RECEIVABLE_STATUSES,
                                           balance__gt=0).select_related("terms")
                    .order_by("currency", "due_date", "number")):
        by_currency[invoice.currency].append(_row(invoice, today, t, money, day,
                                                  plan_of.get(invoice.pk)))
    groups = []
    for currency, rows in by_currency.items():
        payable = [r for r in rows if r["payable"]]
        total = sum((r["total"] for r in payable), Decimal(0))
        numbers = [r["invoice"].number for r in payable]
        reference = (", ".join(numbers) if len(numbers) <= MAX_REFERENCE_INVOICES
                     else client.reference)
        bank = banking.bank_details(currency, accounts)
        groups.append({
            "currency": currency, "rows": rows, "payable": bool(payable),
            "total": money(total, currency), "reference": reference, "bank": bank,
            "bank_lines": [{"label": label, "value": value, "mono": key not in PLAIN_LINES}
                           for key, label, value in bank.rows(t.language)] if bank else [],
            "qr_svg": bank.epc_qr(currency=currency, amount=total, reference=reference)
            if bank else "",
            "count": len(rows), "open": len(rows) <= FOLD_AFTER,
            # No account in this currency: ask for the details, never show another currency's
            # account (nor the configured instructions, which may name one).
            "ask_details": bank is None and accounts.any,
            "instructions": settings.SETTLE_PAYMENT_INSTRUCTIONS.format(reference=reference)})
    card = stripe_enabled()
    return {
        "t": t, "client": client, "token": token, "groups": groups,
        "business": business().name, "card": card,
        "intro": t.get("intro" if card else "intro_transfer", business=business().name),
        # The way the client told us they pay leads: bank details first unless they pay by card.
        "transfer_first": (client.payment_methods or ["bank_transfer"])[0] != "card",
        "portal": portal, "language": t.language, "plans": _plan_rows(client, t, money, day),
        "contact": business().contact,
        "has_payable": any(g["payable"] for g in groups), "several": len(groups) > 1,
    }


def _plan_rows(client: Client, t: Texts, money: Any, day: Any) -> list[dict[str, Any]]:
    out = []
    for plan in {p.pk: p for p in _plans(client).values()}.values():
        states = selectors.plan_progress(plan)
        out.append({"status": t.in_plan if plan.status == PlanStatus.ACCEPTED
                    else t.plan_waiting, "instalments": [
                        {"text": t.get("plan_instalment", n=s.number,
                                       amount=money(s.amount, plan.currency), day=day(s.due_date)),
                         "paid": s.settled} for s in states]})
    return out


def _record_visit(link: PayLink, request: HttpRequest, now: datetime) -> None:
    """A timeline entry per visit (views within half an hour are one visit); the first visit
    through a message's link marks that message clicked."""
    last = link.last_visit_at
    pay_link_opened(link, now)
    if last is None or (now - last).total_seconds() > VISIT_GAP_MINUTES * 60:
        interaction_record(client=link.client, kind=InteractionKind.PORTAL_VISIT,
                           channel=InteractionChannel.PORTAL, actor_label="client",
                           occurred_at=now, summary="Opened the pay-now page",
                           metadata={"link": link.pk, "message": link.message_id,
                                     "user_agent": printable(request.headers.get("User-Agent", ""),
                                                         limit=200)})


@require_http_methods(["GET", "HEAD"])
@client_page
def page(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    now = timezone.now()
    if request.method == "GET":
        _record_visit(link, request, now)
    context = page_context(link, token, now)
    done = request.GET.get("done", "")
    context["done"] = context["t"].get(f"done_{done}") if done in DONE else ""
    return render(request, "portal/page.html", context)


# --- Card payment ---------------------------------------------------------------------------

def _ids(request: HttpRequest) -> list[int]:
    """The ticked invoices; a value that is no id (garbled, or beyond any row's) becomes 0,
    which matches no invoice, so the form says "choose your open invoices" (or the neutral
    page, for a payment) instead of failing."""
    return [parse_id(v) or 0 for v in request.POST.getlist("invoice")]


@require_http_methods(["POST"])
@client_page
def pay(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    from checkout.services import checkout_start

    client = link.client
    ids = _ids(request)
    invoices = list(Invoice.objects.filter(client=client, pk__in=ids))
    if len(invoices) != len(set(ids)):
        return not_found(request)
    base = links.link_url(token)
    try:
        if not invoices:
            raise ValidationError(Texts(client.language).choose_one)
        url = checkout_start(client=client, invoices=invoices, success_url=base + "?done=paid",
                             cancel_url=base + "?done=cancelled")
    except ValidationError as exc:
        context = page_context(link, token, timezone.now())
        context["pay_errors"] = exc.messages
        return render(request, "portal/page.html", context, status=400)
    return HttpResponseRedirect(url, status=303)


# --- Answers --------------------------------------------------------------------------------

def _form(request: HttpRequest, link: PayLink, token: str, template: str,
          extra: dict[str, Any], act: Callable[[], Any], done: str) -> HttpResponse:
    client = link.client
    t = Texts(client.language)
    context: dict[str, Any] = {"t": t, "client": client, "token": token,
                               "business": business().name, "errors": {},
                               "data": request.POST if request.method == "POST" else {},
                               "language": t.language, **extra}
    if request.method == "POST":
        try:
            act()
        except ValidationError as exc:
            context["errors"] = (exc.message_dict if hasattr(exc, "error_dict")
                                 else {"__all__": exc.messages})
            return render(request, template, context, status=400)
        return HttpResponseRedirect(f"{reverse('portal:page', args=[token])}?done={done}",
                                    status=303)
    return render(request, template, context)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return parse_id(value)


def _invoice_choices(client: Client, money: Any, day: Any,
                     request: HttpRequest | None = None) -> list[dict[str, Any]]:
    """The open invoices to tick. Ticked at first only when they are all in one currency (a
    promise or plan is in one currency); after a refused post, the ones the client ticked."""
    invoices = open_invoices(client)
    if request is not None and request.method == "POST":
        ticked = {str(pk) for pk in _ids(request)}
        checked = [str(i.pk) in ticked for i in invoices]
    else:
        checked = [len({i.currency for i in invoices}) == 1] * len(invoices)
    return [{"pk": i.pk, "checked": on, "currency": i.currency,
             "label": f"{i.number} · {money(i.balance, i.currency)} · {day(i.due_date)}"}
            for i, on in zip(invoices, checked, strict=True)]


def _one_currency(client: Client, ids: list[int], t: Texts) -> str:
    """The one currency of the ticked invoices ("" for none); invoices ticked in more than one
    currency are refused in the client's language."""
    currencies = set(Invoice.objects.filter(client=client, pk__in=ids)
                     .values_list("currency", flat=True))
    if len(currencies) > 1:
        raise ValidationError({"invoices": t.one_currency})
    return currencies.pop() if currencies else ""


@require_http_methods(["GET", "POST"])
@client_page
def promise(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    client, now = link.client, timezone.now()
    money, day = _fmt(client)
    today = client.local_today(now)
    # Invoices promised too often already are not offered again: a call-back is.
    blocked = promise_limit_reached(open_invoices(client), now)
    choices = [c for c in _invoice_choices(client, money, day, request)
               if c["pk"] not in {i.pk for i in blocked}]
    extra: dict[str, Any] = {
        "invoices": choices, "min": today.isoformat(),
        "max": (today.toordinal() + PortalSettings.load().promise_max_days),
        "limit_reached": promise_limit_message(blocked) if blocked else ""}
    extra["max"] = date.fromordinal(extra["max"]).isoformat()
    t = Texts(client.language)
    return _form(request, link, token, "portal/promise.html", extra, lambda: (
        _one_currency(client, _ids(request), t),
        promise_from_client(client=client, invoice_ids=_ids(request),
                                    promised_on=_date(request.POST.get("promised_on")),
                                    amount=request.POST.get("amount", "").strip() or None,
                                    now=now)), "promise")


@require_http_methods(["GET", "POST"])
@client_page
def plan(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    client, now = link.client, timezone.now()
    money, day = _fmt(client)
    t = Texts(client.language)
    choices = _invoice_choices(client, money, day, request)
    open_now = open_invoices(client)
    currency = open_now[0] if open_now else None  # the first open invoice, for its currency
    limits = plan_limits(client, currency.currency, now) if currency else None
    extra = {"invoices": choices, "limits": limits,
             "frequencies": [(k, t.get(k)) for k in plans.FREQUENCIES],
             "counts": list(range(2, (limits or {}).get("max_instalments", 2) + 1)),
             "limits_text": t.get("plan_limits", count=limits["max_instalments"],
                                  first=day(limits["first_by"]), last=day(limits["last_by"]))
             if limits else "",
             "minimum_text": t.get("plan_minimum", amount=money(limits["min_instalment"],
                                                                currency.currency))
             if limits and limits["min_instalment"] and currency else "",
             "min": client.local_today(now).isoformat(),
             "max": limits["first_by"].isoformat() if limits else ""}
    return _form(request, link, token, "portal/plan.html", extra, lambda: (
        _one_currency(client, _ids(request), t),
        plan_propose(client=client, invoice_ids=_ids(request),
                     count=_int(request.POST.get("count")), first=_date(request.POST.get("first")),
                     frequency=request.POST.get("frequency", ""),
                     note=request.POST.get("note", ""), now=now)), "plan")


@require_http_methods(["GET", "POST"])
@client_page
def dispute(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    client, now = link.client, timezone.now()
    money, day = _fmt(client)
    t = Texts(client.language)
    reasons = [(r.value, t.get(f"reason_{r.value}")) for r in DisputeReason]
    extra = {"invoices": _invoice_choices(client, money, day), "reasons": reasons,
             "mb": PortalSettings.load().dispute_attachment_mb}
    return _form(request, link, token, "portal/dispute.html", extra, lambda: dispute_open(
        client=client, invoice_id=_int(request.POST.get("invoice")) or 0,
        reason=request.POST.get("reason", ""), message=request.POST.get("message", ""),
        upload=request.FILES.get("attachment"), now=now), "dispute")


@require_http_methods(["GET", "POST"])
@client_page
def callback(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    client, now = link.client, timezone.now()
    _, day = _fmt(client)
    extra = {"days": [(d.isoformat(), day(d)) for d in callback_days(client, now)],
             "windows": list(CALLBACK_WINDOWS)}
    return _form(request, link, token, "portal/callback.html", extra, lambda: (
        callback_request(client=client, day=_date(request.POST.get("day")),
                                 window=request.POST.get("window", ""),
                                 number=request.POST.get("number", ""),
                                 note=request.POST.get("note", ""), now=now)), "callback")


@require_http_methods(["GET", "POST"])
@client_page
def preferences(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    client, now = link.client, timezone.now()
    t = Texts(client.language)
    current = next((c for c in client.channel_preferences
                    if c in channel_choices(client)), "")
    extra = {"channels": [(c, t.get(f"ch_{c}")) for c in channel_choices(client)],
             "current": current, "languages": list(LANGUAGES.items()),
             "no_sms": client.mobile_phone and sms_opted_out(client),
             "has_mobile": bool(client.mobile_phone)}
    return _form(request, link, token, "portal/preferences.html", extra, lambda: (
        preferences_update(client=client,
                                   first_channel=request.POST.get("first_channel", ""),
                                   language=request.POST.get("language", ""),
                                   no_sms=request.POST.get("no_sms") == "on", now=now)),
        "preferences")


# --- Documents ------------------------------------------------------------------------------

def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition(response, filename, attachment=False, default="document")
    return response


@require_http_methods(["GET"])
@client_page
def invoice_pdf(request: HttpRequest, link: PayLink, token: str, pk: int) -> HttpResponse:
    from receivables.documents import invoice_pdf as render_invoice

    invoice = Invoice.objects.filter(client=link.client, pk=pk).exclude(
        status__in=[InvoiceStatus.DRAFT]).first()
    if invoice is None:
        return not_found(request)
    return _pdf(render_invoice(invoice, payment_text=banking.transfer_text),
                f"{invoice.number}.pdf")


@require_http_methods(["GET"])
@client_page
def statement_pdf(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    from receivables.documents import statement_currencies
    from receivables.documents import statement_pdf as render_statement

    client = link.client
    currencies = statement_currencies(client)
    currency = request.GET.get("currency") or (currencies[0] if currencies else
                                               client.default_currency)
    if currency not in currencies:
        return not_found(request)
    today = client.local_today(timezone.now())
    # One statement per currency (amounts in different currencies never add up): the page
    # links one per currency the client owes in, each with that currency's bank account.
    return _pdf(render_statement(client, currency=currency, end=today, today=today,
                                 payment_text=banking.transfer_text),
                f"statement-{currency}-{today.isoformat()}.pdf")
