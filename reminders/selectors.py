"""Reads for the reminder engine: cadence resolution, planner inputs in batches, message context.

Batch loaders take a list of ids and run a fixed number of queries whatever its length.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from django.conf import settings
from django.db.models import Max, Prefetch

from clients.models import Client, ContactFlag, InteractionKind
from clients.selectors import working_contact
from core import terms as termsmath
from core.contact import babel_locale
from core.money import format_money
from receivables.models import ACTIVE_STATUSES, Invoice, InvoiceStatus
from receivables.selectors import invoice_quote
from reminders import planner
from reminders.models import Cadence, CadenceStep, MessageTemplate, Reminder, SchedulerState

# Channels Settle can reach a client by ("phone" makes a call task for a person).
IMPLEMENTED_CHANNELS = ("email", "sms", "letter", "phone")


def scheduler_last_tick() -> SchedulerState | None:
    return SchedulerState.objects.first()


class CadenceBook:
    """All cadences with their steps, loaded once per tick (a handful of rows)."""

    def __init__(self) -> None:
        cadences = list(Cadence.objects.prefetch_related(
            "tags", "clients", Prefetch("steps", CadenceStep.objects.prefetch_related(
                "only_tags"))))
        self.default = next((c for c in cadences if c.is_default), None)
        self.by_client = {cl.pk: c for c in cadences for cl in c.clients.all()}
        self.by_tag = [(frozenset(t.name for t in c.tags.all()), c)
                       for c in sorted(cadences, key=lambda c: (c.priority, c.name))]
        self.steps = {c.pk: tuple(planner.StepSpec(
            id=s.pk, offset_days=s.offset_days, channel=s.channel,
            only_tags=frozenset(t.name for t in s.only_tags.all())) for s in c.steps.all())
            for c in cadences}
        self.step_rows = {s.pk: s for c in cadences for s in c.steps.all()}

    def cadence_for(self, client_id: int, tags: frozenset[str]) -> Cadence | None:
        if client_id in self.by_client:
            return self.by_client[client_id]
        for cadence_tags, cadence in self.by_tag:
            if cadence_tags & tags:
                return cadence
        return self.default


def usable_channels(client: Client) -> tuple[str, ...]:
    """The client's channels in preference order that have a contact point not flagged as
    failing (bounced, opted out, wrong number, ...)."""
    return tuple(c for c in client.channel_preferences
                 if c in IMPLEMENTED_CHANNELS and working_contact(client, c))


def client_spec(client: Client, tags: frozenset[str]) -> planner.ClientSpec:
    return planner.ClientSpec(
        timezone=client.timezone, country=client.country, channels=usable_channels(client),
        pay_run_days=tuple(client.pay_run_days or ()), paused_until=client.reminders_paused_until,
        tags=tags, business_start=time.fromisoformat(settings.SETTLE_BUSINESS_HOURS[0]),
        business_end=time.fromisoformat(settings.SETTLE_BUSINESS_HOURS[1]))


def open_flags_prefetch() -> Prefetch:
    return Prefetch("contact_flags", ContactFlag.objects.filter(cleared_at__isnull=True))


def load_planning_batch(invoice_ids: list[int]) -> dict[str, Any]:
    """Everything the planner needs for these invoices, in five queries."""
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).only(
        "id", "client_id", "status", "issue_date", "due_date", "balance", "promised_until"))
    clients = {c.pk: c for c in Client.objects.filter(
        pk__in={i.client_id for i in invoices}).prefetch_related("tags", open_flags_prefetch())}
    planned: dict[int, set[int]] = defaultdict(set)
    for invoice_id, step_id in Reminder.objects.filter(invoice_id__in=invoice_ids).values_list(
            "invoice_id", "step_id"):
        planned[invoice_id].add(step_id)
    return {"invoices": invoices, "clients": clients, "planned": planned}


def invoice_spec(invoice: Invoice, planned: set[int]) -> planner.InvoiceSpec:
    return planner.InvoiceSpec(
        id=invoice.pk, status=invoice.status, issue_date=invoice.issue_date,
        due_date=invoice.due_date, balance=invoice.balance, promised_until=invoice.promised_until,
        planned_step_ids=frozenset(planned))


def template_for(key: str, channel: str, language: str) -> MessageTemplate | None:
    """The template in the client's language, else in English."""
    found = {t.language: t for t in MessageTemplate.objects.filter(
        key=key, channel=channel, language__in={language, "en"})}
    return found.get(language) or found.get("en")


def _broken_promise(client: Client, today: date) -> date | None:
    """The date of the latest promise that passed with its invoices still unpaid."""
    promise = client.interactions.filter(kind=InteractionKind.PROMISE_TO_PAY).first()
    if promise is None or not promise.metadata.get("promised_on"):
        return None
    promised_on = date.fromisoformat(promise.metadata["promised_on"])
    # A promise names its invoices; one that names none was about everything owed when it
    # was made.
    promised = (promise.invoices.all() if promise.invoices.exists() else
                client.invoices.filter(issue_date__lte=promise.occurred_at.date()))
    still_owed = promised.filter(status__in=ACTIVE_STATUSES, balance__gt=0).exists()
    return promised_on if promised_on < today and still_owed else None


def _history_line(client: Client, language: str, locale: str, today: date) -> str:
    broken = _broken_promise(client, today)
    if broken is not None:
        return _HISTORY[language]["broken"].format(
            day=format_date(broken, format="long", locale=locale))
    # On time = the money arrived (the payment's date, not when it was entered) by the due date.
    paid = list(Invoice.objects.filter(client=client, status=InvoiceStatus.PAID)
                .annotate(settled=Max("allocations__payment__received_on"))
                .order_by("-due_date").values_list("due_date", "settled")[:20])
    on_time = sum(1 for due, settled in paid if settled is not None and settled <= due)
    if len(paid) >= 3 and on_time / len(paid) >= 0.8:
        return _HISTORY[language]["on_time"]
    return ""


_HISTORY = {
    "en": {"on_time": "Thank you for usually paying on time.",
           "broken": "You told us payment would arrive by {day}; we have not received it yet."},
    "de": {"on_time": "Vielen Dank, dass Sie sonst immer pünktlich zahlen.",
           "broken": "Sie hatten uns eine Zahlung bis {day} zugesagt; sie ist noch nicht "
                     "eingegangen."},
    "fr": {"on_time": "Merci de payer habituellement à temps.",
           "broken": "Vous nous aviez annoncé un paiement avant le {day} ; nous ne l'avons pas "
                     "encore reçu."},
    "es": {"on_time": "Gracias por pagar normalmente a tiempo.",
           "broken": "Nos indicó que el pago llegaría antes del {day}; aún no lo hemos "
                     "recibido."},
}
_NEXT_STEP = {"en": "hand the matter to our collections partner",
              "de": "die Forderung an unseren Inkassopartner übergeben",
              "fr": "confier le dossier à notre partenaire de recouvrement",
              "es": "trasladar el asunto a nuestra agencia de cobros"}


def message_context(*, client: Client, invoices: list[Invoice], today: date, pay_url: str,
                    tone: str = "friendly", language: str | None = None) -> dict[str, Any]:
    """The plain values a template may use, formatted for the client's country and the
    template's language (an English fallback template gets English dates, not French)."""
    language = language or client.language
    language = language if language in _HISTORY else "en"
    locale = babel_locale(language, client.country)
    currency = invoices[0].currency
    money = lambda amount: format_money(amount, currency, locale)  # noqa: E731
    day = lambda d: format_date(d, format="long", locale=locale)  # noqa: E731
    quotes = [invoice_quote(invoice=inv, on=today) for inv in invoices]
    outstanding = sum((i.balance for i in Invoice.objects.receivable().filter(
        client=client, currency=currency)), Decimal(0))
    first = invoices[0]
    discount = sum((q.discount for q in quotes), Decimal(0))
    fees = sum((q.late_fee for q in quotes), Decimal(0)) + sum(
        (i.charges_total for i in invoices), Decimal(0))
    interest = sum((q.interest for q in quotes), Decimal(0))
    discount_until = termsmath.discount_deadline(first.terms.as_rule(), first.issue_date)
    return {
        "business_name": settings.SETTLE_BUSINESS_NAME,
        "contact_name": client.contact_name or client.display_name,
        "client_name": client.display_name,
        "invoice_numbers": ", ".join(i.number for i in invoices),
        "invoices": [{"number": i.number, "reference": i.reference,
                      "amount_due": money(i.balance), "due_date": day(i.due_date),
                      "days_overdue": i.days_overdue(today)} for i in invoices],
        "invoice_count": len(invoices),
        "reference": ", ".join(sorted({i.reference for i in invoices if i.reference})),
        "amount_due": money(sum((i.balance for i in invoices), Decimal(0))),
        "total_outstanding": money(outstanding),
        "due_date": day(min(i.due_date for i in invoices)),
        "days_overdue": max(i.days_overdue(today) for i in invoices),
        "discount_deadline": day(discount_until) if discount and discount_until else "",
        "discount_amount": money(discount) if discount else "",
        "amount_with_discount": money(sum((q.total for q in quotes), Decimal(0)))
        if discount else "",
        # Empty when nothing is charged, so "{% if fees_accrued %}" hides the line.
        "fees_accrued": money(fees) if fees else "",
        "interest_accrued": money(interest) if interest else "",
        "terms_summary": first.terms.summary(locale),
        "pay_url": pay_url,
        "payment_instructions": settings.SETTLE_PAYMENT_INSTRUCTIONS.format(
            reference=", ".join(i.number for i in invoices)),
        "history_line": _history_line(client, language, locale, today),
        "next_step": _NEXT_STEP[language],
        "tone": tone,
        "deadline": day(today + timedelta(days=14)),
    }


def pay_url(client: Client) -> str:
    """The client's pay-now link (a placeholder until the pay-now pages exist)."""
    return f"{settings.SITE_URL}/pay/"
