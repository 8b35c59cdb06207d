"""Reads for the reminder engine: cadence resolution, planner inputs in batches, message context.

Batch loaders take a list of ids and run a fixed number of queries whatever its length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar, cast

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import get_currency_name
from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, QuerySet, Sum

from answers import banking
from answers import instalments as plans
from answers.models import Instalment, PaymentPlan, PlanStatus
from clients.business import business
from clients.models import Client, Interaction, InteractionKind
from clients.selectors import open_flags_prefetch, usable_channels
from core import calendar as cal
from core import planner
from core import terms as termsmath
from core.contact import babel_locale
from core.money import format_money
from infra import bulk
from infra.integrations import card_payments_enabled
from receivables import selectors as receivables_selectors
from receivables.models import ACTIVE_STATUSES, Invoice, InvoiceStatus
from receivables.selectors import invoice_quotes
from reminders.models import (
    FAILED_STATUSES,
    Cadence,
    CadencePurpose,
    CadenceStep,
    MessageEvent,
    MessageStatus,
    MessageTemplate,
    OutboundMessage,
    Reminder,
    ReminderStatus,
    SchedulerState,
)


def scheduler_last_tick() -> SchedulerState | None:
    return SchedulerState.objects.first()


class CadenceBook:
    """All cadences with their steps, loaded once per tick (a handful of rows)."""

    def __init__(self) -> None:
        everything = list(Cadence.objects.prefetch_related(
            "tags", "clients", Prefetch("steps", CadenceStep.objects.prefetch_related(
                "only_tags"))))
        cadences = [c for c in everything if c.purpose == CadencePurpose.INVOICES]
        self.instalments = next((c for c in everything
                                 if c.purpose == CadencePurpose.INSTALMENTS), None)
        self.default = next((c for c in cadences if c.is_default), None)
        self.by_client = {cl.pk: c for c in cadences for cl in c.clients.all()}
        self.by_tag = [(frozenset(t.name for t in c.tags.all()), c)
                       for c in sorted(cadences, key=lambda c: (c.priority, c.name))]
        self.steps = {c.pk: tuple(planner.StepSpec(
            id=s.pk, offset_days=s.offset_days, channel=s.channel,
            only_tags=frozenset(t.name for t in s.only_tags.all()),
            legal_notice=s.legal_notice, needs_notice=s.needs_notice,
            notice_days=c.notice_days) for s in c.steps.all())
            for c in everything}
        self.step_rows = {s.pk: s for c in everything for s in c.steps.all()}

    @property
    def instalment_steps(self) -> tuple[planner.StepSpec, ...]:
        return self.steps.get(self.instalments.pk, ()) if self.instalments else ()

    def cadence_for(self, client_id: int, tags: frozenset[str]) -> Cadence | None:
        if client_id in self.by_client:
            return self.by_client[client_id]
        for cadence_tags, cadence in self.by_tag:
            if cadence_tags & tags:
                return cadence
        return self.default




def client_spec(client: Client, tags: frozenset[str],
                held_until: date | None = None) -> planner.ClientSpec:
    return planner.ClientSpec(
        timezone=client.timezone, country=client.country, channels=usable_channels(client),
        pay_run_days=tuple(client.pay_run_days or ()), paused_until=client.reminders_paused_until,
        held_until=held_until, tags=tags, business_start=business().start,
        business_end=business().end)


def timing_spec(client: Client) -> planner.ClientSpec:
    """Enough of the client for ``planner.send_time`` (zone, country, business hours), without
    the query for its usable channels."""
    return planner.ClientSpec(timezone=client.timezone, country=client.country, channels=(),
                              business_start=business().start, business_end=business().end)


# What a person did with the client (not the system): a logged call, a note, a promise, a
# dispute, a plan — by a bookkeeper, or by the client (a reply, the pay-now page).
PERSONAL_KINDS = (InteractionKind.CALL, InteractionKind.NOTE, InteractionKind.PROMISE_TO_PAY,
                  InteractionKind.DISPUTE, InteractionKind.PAYMENT_PLAN)
HOLD_LOOKBACK = timedelta(days=30)


def last_personal_contact(client_ids: Iterable[int], now: datetime) -> dict[int, datetime]:
    """Client id → the latest personal contact within the last month, in one query."""
    return dict(Interaction.objects.filter(
        client_id__in=list(client_ids), kind__in=PERSONAL_KINDS,
        occurred_at__gte=now - HOLD_LOOKBACK, occurred_at__lte=now).filter(
        Q(actor__isnull=False) | Q(actor_label="client")).values("client_id").annotate(
        last=Max("occurred_at")).values_list("client_id", "last"))


def personal_contacts(client_ids: Iterable[int], now: datetime
                      ) -> dict[int, tuple[datetime, str]]:
    """Client id → (when, kind) of the latest personal contact within the last month (the
    forecast says why a client is held: "held: call logged 1 Dec")."""
    found: dict[int, tuple[datetime, str]] = {}
    for client_id, at, kind in Interaction.objects.filter(
            client_id__in=list(client_ids), kind__in=PERSONAL_KINDS,
            occurred_at__gte=now - HOLD_LOOKBACK, occurred_at__lte=now).filter(
            Q(actor__isnull=False) | Q(actor_label="client")).order_by(
            "client_id", "occurred_at").values_list("client_id", "occurred_at", "kind"):
        found[client_id] = (at, kind)  # the latest wins
    return found


def hold_until(client: Client, cadence: Cadence | None, contact: datetime | None) -> date | None:
    """The last day automated messages wait after a personal contact (people first)."""
    if contact is None or cadence is None or not cadence.hold_business_days:
        return None
    return cal.add_business_days(client.local_today(contact), cadence.hold_business_days,
                                 client.country)




def load_planning_batch(invoice_ids: list[int]) -> dict[str, Any]:
    """Everything the planner needs for these invoices, in five queries."""
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).only(
        "id", "number", "client_id", "currency", "status", "issue_date", "due_date", "balance",
        "promised_until", "reminders_paused_until"))
    clients = {c.pk: c for c in Client.objects.filter(
        pk__in={i.client_id for i in invoices}).prefetch_related("tags", open_flags_prefetch())}
    planned: dict[int, set[int]] = defaultdict(set)
    # When each invoice's legal notice went out (sent), or is due to (still in the outbox).
    notice_sent: dict[int, datetime] = {}
    notice_due: dict[int, datetime] = {}
    for invoice_id, step_id, legal, status, sent_at, scheduled_for in Reminder.objects.filter(
            invoice_id__in=invoice_ids, instalment__isnull=True).values_list(
            "invoice_id", "step_id", "step__legal_notice", "status", "sent_at",
            "scheduled_for"):
        planned[invoice_id].add(step_id)
        if legal and status == ReminderStatus.SENT and sent_at is not None:
            notice_sent[invoice_id] = sent_at
        elif legal and status in (ReminderStatus.SCHEDULED, ReminderStatus.CLAIMED):
            notice_due[invoice_id] = scheduled_for
    return {"invoices": invoices, "clients": clients, "planned": planned,
            "notice_sent": notice_sent, "notice_due": notice_due, **plans_for(invoice_ids)}


def plans_for(invoice_ids: list[int]) -> dict[str, Any]:
    """The proposed or accepted payment plans covering these invoices (one query when there
    are none), and the instalment steps already planned for them."""
    found = list(PaymentPlan.objects.filter(
        bulk.among("invoices", invoice_ids, PaymentPlan),
        status__in=[PlanStatus.PROPOSED, PlanStatus.ACCEPTED])
        .distinct().prefetch_related("instalments", "invoices"))
    plan_of = {inv.pk: plan for plan in found for inv in plan.invoices.all()}
    done: dict[int, set[tuple[int, int]]] = defaultdict(set)
    if found:
        for plan_id, instalment_id, step_id in Reminder.objects.filter(
                instalment__plan__in=found).values_list("instalment__plan_id", "instalment_id",
                                                        "step_id"):
            done[plan_id].add((instalment_id, step_id))
    return {"plan_of": plan_of, "plan_planned": done}


@dataclass(frozen=True)
class Unit:
    """What the planner looks at for one invoice: the invoice against its cadence, or (under an
    accepted plan) the plan's next open instalment against the instalment cadence. ``spec`` is
    None while a proposed plan waits for the bookkeeper, or for a plan's other invoices (the
    plan's reminders ride on one of them)."""

    spec: planner.InvoiceSpec | None
    steps: tuple[planner.StepSpec, ...]
    instalment_id: int | None = None


class PlanningInvoice(Protocol):
    """What ``planning_unit`` and ``invoice_spec`` read of an invoice: an ``Invoice``, or a
    ``reminders.planning_rows.InvoiceRow`` (the planning pass's plain rows)."""

    @property
    def pk(self) -> Any: ...
    @property
    def client_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def issue_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def balance(self) -> Decimal: ...
    @property
    def promised_until(self) -> date | None: ...
    @property
    def reminders_paused_until(self) -> date | None: ...


def planning_unit(invoice: PlanningInvoice, batch: dict[str, Any], book: CadenceBook,
                  cadence_steps: tuple[planner.StepSpec, ...],
                  planned: set[int] | None = None) -> Unit:
    plan = batch["plan_of"].get(invoice.pk)
    if plan is None:
        sent = batch["notice_sent"].get(invoice.pk)
        client = batch["clients"][invoice.client_id]
        return Unit(invoice_spec(
            invoice, batch["planned"].get(invoice.pk, ()) if planned is None else planned,
            notice_sent_on=client.local_today(sent) if sent else None), cadence_steps)
    if plan.status == PlanStatus.PROPOSED:
        return Unit(None, ())
    carriers = [i.pk for i in plan.invoices.all()
                if i.status in ACTIVE_STATUSES and i.balance > 0]
    state = plans.next_open(plan_progress(plan))
    if not carriers or invoice.pk != min(carriers) or state is None:
        return Unit(None, ())
    instalment = next(i for i in plan.instalments.all() if i.number == state.number)
    done = batch["plan_planned"][plan.pk]
    return Unit(planner.InvoiceSpec(
        id=invoice.pk, status=invoice.status, issue_date=min(
            plan.decided_at.date() if plan.decided_at else instalment.due_date,
            instalment.due_date),
        due_date=instalment.due_date, balance=state.remaining,
        promised_until=invoice.promised_until,
        planned_step_ids=frozenset(step for inst, step in done if inst == instalment.pk),
        paused_until=invoice.reminders_paused_until),
        book.instalment_steps, instalment.pk)


def invoice_spec(invoice: PlanningInvoice, planned: Iterable[int],
                 notice_sent_on: date | None = None) -> planner.InvoiceSpec:
    return planner.InvoiceSpec(
        id=invoice.pk, status=invoice.status, issue_date=invoice.issue_date,
        due_date=invoice.due_date, balance=invoice.balance, promised_until=invoice.promised_until,
        planned_step_ids=frozenset(planned), paused_until=invoice.reminders_paused_until,
        notice_sent_on=notice_sent_on)


T = TypeVar("T")

# A dispatch chunk reads the same templates and pay-now settings for every message it
# composes: within ``memoized()`` each is read once (outside, every call reads afresh).
_memo: ContextVar[dict[tuple[object, ...], Any] | None] = ContextVar("settle_memo",
                                                                   default=None)


@contextmanager
def memoized() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _remembered(key: tuple[object, ...], load: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return cast(T, memo[key])


def template_for(key: str, channel: str, language: str) -> MessageTemplate | None:
    """The template in the client's language, else in English."""
    def load() -> MessageTemplate | None:
        found = {t.language: t for t in MessageTemplate.objects.filter(
            key=key, channel=channel, language__in={language, "en"})}
        return found.get(language) or found.get("en")

    return _remembered(("template", key, channel, language), load)


def preload_message_context(groups: Iterable[tuple[Client, list[Invoice], date]]) -> None:
    """Within ``memoized()``: read what ``message_context`` needs for many clients at once
    (what they owe, their invoices' quotes, their payment history and latest promise) in a
    constant number of queries, instead of several per message. Outside, nothing."""
    memo = _memo.get()
    if memo is None:
        return
    groups = list(groups)
    ids = [client.pk for client, _, _ in groups]
    owed: dict[int, dict[str, Decimal]] = {pk: defaultdict(Decimal) for pk in ids}
    for row in Invoice.objects.receivable().filter(client_id__in=ids).values(
            "client_id", "currency").annotate(total=Sum("balance")).order_by():
        owed[row["client_id"]][row["currency"]] += row["total"]
    behind: dict[int, tuple[bool, date | None]] = {pk: (False, None) for pk in ids}
    for row in Invoice.objects.filter(client_id__in=ids, balance__gt=0).values(
            "client_id", "status").annotate(oldest=Min("due_date")).order_by():
        collections, oldest = behind[row["client_id"]]
        if row["status"] == InvoiceStatus.IN_COLLECTIONS:
            collections = True
        elif row["status"] in ACTIVE_STATUSES:
            oldest = min(d for d in (oldest, row["oldest"]) if d is not None)
        behind[row["client_id"]] = (collections, oldest)
    paid: dict[int, list[tuple[date, date | None]]] = {pk: [] for pk in ids}
    for client_id, due, settled in Invoice.objects.filter(
            client_id__in=ids, status=InvoiceStatus.PAID).annotate(
            settled=Max("allocations__payment__received_on")).order_by(
            "client_id", "-due_date").values_list("client_id", "due_date", "settled"):
        if len(paid[client_id]) < PAID_HISTORY:
            paid[client_id].append((due, settled))
    promises: dict[int, Interaction | None] = dict.fromkeys(ids)
    for promise in Interaction.objects.filter(client_id__in=ids,
                                              kind=InteractionKind.PROMISE_TO_PAY):
        if promises[promise.client_id] is None:  # newest first (the model's ordering)
            promises[promise.client_id] = promise
    by_day: dict[date, list[Invoice]] = defaultdict(list)
    for _, invoices, today in groups:
        by_day[today] += invoices
    for today, invoices in by_day.items():
        for pk, quote in invoice_quotes(invoices, on=today).items():
            memo[("quote", pk, today)] = quote
    for pk in ids:
        memo[("owed", pk)] = dict(owed[pk])
        memo[("behind", pk)] = behind[pk]
        memo[("paid", pk)] = paid[pk]
        memo[("promise", pk)] = promises[pk]


PAID_HISTORY = 20  # the paid invoices "usually pays on time" looks at


def _owed(client: Client) -> dict[str, Decimal]:
    """Currency → what the client owes in it."""
    def load() -> dict[str, Decimal]:
        owed: dict[str, Decimal] = defaultdict(Decimal)
        for currency, balance in Invoice.objects.receivable().filter(
                client=client).values_list("currency", "balance"):
            owed[currency] += balance
        return dict(owed)

    return _remembered(("owed", client.pk), load)


def _quotes(invoices: list[Invoice], today: date) -> dict[int, Any]:
    memo = _memo.get()
    if memo is not None and all(("quote", i.pk, today) in memo for i in invoices):
        return {i.pk: memo[("quote", i.pk, today)] for i in invoices}
    return invoice_quotes(invoices, on=today)


def _broken_promise(client: Client, today: date) -> date | None:
    """The date of the latest promise that passed with its invoices still unpaid."""
    promise = _remembered(("promise", client.pk), lambda: client.interactions.filter(
        kind=InteractionKind.PROMISE_TO_PAY).first())
    if promise is None or not promise.metadata.get("promised_on"):
        return None
    promised_on = date.fromisoformat(promise.metadata["promised_on"])
    if promised_on >= today:
        return None
    # A promise names its invoices; one that names none was about everything owed when it
    # was made.
    promised = (promise.invoices.all() if promise.invoices.exists() else
                client.invoices.filter(issue_date__lte=promise.occurred_at.date()))
    still_owed = promised.filter(status__in=ACTIVE_STATUSES, balance__gt=0).exists()
    return promised_on if still_owed else None


def _history_line(client: Client, language: str, locale: str, today: date) -> str:
    broken = _broken_promise(client, today)
    if broken is not None:
        return _HISTORY[language]["broken"].format(
            day=format_date(broken, format="long", locale=locale))
    if _long_behind(client, today):
        return ""  # never "thank you for paying on time" to a client in collections or far behind
    # On time = the money arrived (the payment's date, not when it was entered) by the due date.
    paid = _remembered(("paid", client.pk), lambda: list(
        Invoice.objects.filter(client=client, status=InvoiceStatus.PAID)
        .annotate(settled=Max("allocations__payment__received_on"))
        .order_by("-due_date").values_list("due_date", "settled")[:PAID_HISTORY]))
    on_time = sum(1 for due, settled in paid if settled is not None and settled <= due)
    if len(paid) >= 3 and on_time / len(paid) >= 0.8:
        return _HISTORY[language]["on_time"]
    return ""


LONG_OVERDUE_DAYS = 60


def _long_behind(client: Client, today: date) -> bool:
    """The client has invoices in collections, or owes on one more than 60 days late."""
    def load() -> tuple[bool, date | None]:
        owed = Invoice.objects.filter(client=client, balance__gt=0)
        oldest = owed.filter(status__in=ACTIVE_STATUSES).aggregate(d=Min("due_date"))["d"]
        return owed.filter(status=InvoiceStatus.IN_COLLECTIONS).exists(), oldest

    collections, oldest = _remembered(("behind", client.pk), load)
    return collections or (oldest is not None
                           and oldest < today - timedelta(days=LONG_OVERDUE_DAYS))


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
                    tone: str = "friendly", language: str | None = None,
                    instalment: Instalment | None = None) -> dict[str, Any]:
    """The plain values a template may use, formatted for the client's country and the
    template's language (an English fallback template gets English dates, not French)."""
    language = language or client.language
    language = language if language in _HISTORY else "en"
    locale = babel_locale(language, client.country)
    day = lambda d: format_date(d, format="long", locale=locale)  # noqa: E731
    quotes = _quotes(invoices, today)
    owed = _owed(client)

    def per_currency(amount_of: Any, among: list[Invoice] = invoices) -> str:
        """One amount per currency, in the language's list form ("€10.00 and $5.00"); empty
        when every amount is zero. Amounts in different currencies never add up."""
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for inv in among:
            sums[inv.currency] += amount_of(inv)
        shown = [format_money(total, currency, locale) for currency, total in sorted(
            sums.items()) if total]
        return format_list(shown, locale=locale) if shown else ""

    first = invoices[0]
    currencies = sorted({i.currency for i in invoices})
    discount_until = termsmath.discount_deadline(first.terms.as_rule(), first.issue_date)
    discount = per_currency(lambda i: quotes[i.pk].discount)
    lines = [{"number": i.number, "reference": i.reference, "currency": i.currency,
              "amount_due": format_money(i.balance, i.currency, locale),
              "due_date": day(i.due_date), "days_overdue": i.days_overdue(today)}
             for i in invoices]
    return {
        "business_name": business().name,
        "contact_name": client.contact_name or client.display_name,
        "client_name": client.display_name,
        "invoice_numbers": ", ".join(i.number for i in invoices),
        "invoices": lines,
        # A section per currency, for templates that show each currency's invoices apart.
        "sections": [{"currency": c, "currency_name": get_currency_name(c, locale=locale),
                      "invoices": [line for line in lines if line["currency"] == c],
                      "amount_due": per_currency(lambda i: i.balance, [
                          i for i in invoices if i.currency == c]),
                      "total_outstanding": format_money(owed.get(c, Decimal(0)), c, locale)}
                     for c in currencies],
        "currencies": currencies,
        "invoice_count": len(invoices),
        "reference": ", ".join(sorted({i.reference for i in invoices if i.reference})),
        "amount_due": per_currency(lambda i: i.balance) or format_money(
            Decimal(0), first.currency, locale),
        "total_outstanding": format_list(
            [format_money(total, c, locale) for c, total in sorted(owed.items()) if total]
            or [format_money(Decimal(0), first.currency, locale)], locale=locale),
        "due_date": day(min(i.due_date for i in invoices)),
        "days_overdue": max(i.days_overdue(today) for i in invoices),
        "discount_deadline": day(discount_until) if discount and discount_until else "",
        "discount_amount": discount,
        "amount_with_discount": per_currency(lambda i: quotes[i.pk].total) if discount else "",
        # Empty when nothing is charged, so "{% if fees_accrued %}" hides the line.
        "fees_accrued": per_currency(lambda i: quotes[i.pk].late_fee + i.charges_total),
        "interest_accrued": per_currency(lambda i: quotes[i.pk].interest),
        "terms_summary": first.terms.summary(locale),
        "pay_url": pay_url,
        # How to pay, the way the client told us they pay first.
        "payment_instructions": how_to_pay(client, invoices, language, pay_url),
        "history_line": _history_line(client, language, locale, today),
        "next_step": _NEXT_STEP[language],
        "tone": tone,
        "deadline": day(today + timedelta(days=14)),
        **_instalment_context(instalment, lambda amount: format_money(
            amount, instalment.plan.currency if instalment else first.currency, locale), day),
    }


MAX_REFERENCE_INVOICES = 3  # beyond this, the transfer reference is the customer number
_HOW_TO_PAY = {
    "en": {"bank_transfer": "Bank transfer to {holder}, {account}, reference {reference}.",
           "bank_transfer_in": "Bank transfer in {currency} to {holder}, {account}, reference "
                               "{reference}.",
           "iban": "IBAN {value}", "bic": "BIC {value}", "sort_code": "sort code {value}",
           "account": "account {value}", "routing": "routing number (ABA) {value}",
           "card": "Pay by card: {url}",
           "ask": "For payments in {currencies}, please ask us for our account details."},
    "de": {"bank_transfer": "Überweisung an {holder}, {account}, Verwendungszweck "
                            "{reference}.",
           "bank_transfer_in": "Überweisung in {currency} an {holder}, {account}, "
                               "Verwendungszweck {reference}.",
           "iban": "IBAN {value}", "bic": "BIC {value}", "sort_code": "Sort Code {value}",
           "account": "Kontonummer {value}", "routing": "Routing-Nummer (ABA) {value}",
           "card": "Mit Karte zahlen: {url}",
           "ask": "Für Zahlungen in {currencies} nennen wir Ihnen gern unsere Bankverbindung."},
    "fr": {"bank_transfer": "Virement à {holder}, {account}, référence {reference}.",
           "bank_transfer_in": "Virement en {currency} à {holder}, {account}, référence "
                               "{reference}.",
           "iban": "IBAN {value}", "bic": "BIC {value}", "sort_code": "sort code {value}",
           "account": "compte {value}", "routing": "numéro de routage ABA {value}",
           "card": "Payer par carte : {url}",
           "ask": "Pour un paiement en {currencies}, demandez-nous nos coordonnées bancaires."},
    "es": {"bank_transfer": "Transferencia a {holder}, {account}, concepto {reference}.",
           "bank_transfer_in": "Transferencia en {currency} a {holder}, {account}, concepto "
                               "{reference}.",
           "iban": "IBAN {value}", "bic": "BIC {value}", "sort_code": "sort code {value}",
           "account": "cuenta {value}", "routing": "número de ruta ABA {value}",
           "card": "Pagar con tarjeta: {url}",
           "ask": "Para pagos en {currencies}, pídanos nuestros datos bancarios."},
}


def how_to_pay(client: Client, invoices: list[Invoice], language: str, pay_url: str) -> str:
    """The message's "how to pay" lines, in the order of the client's payment methods (a
    client who pays by card reads the card line first): a bank transfer line per currency
    into that currency's account (``banking.bank_details``; never another currency's),
    "please ask us" for the currencies without one — or, with no bank account at all, the
    site's payment instructions — and card payment when it is switched on."""
    def reference_for(chosen: list[Invoice]) -> str:
        numbers = [i.number for i in chosen]
        return (", ".join(numbers) if len(numbers) <= MAX_REFERENCE_INVOICES
                else client.reference or ", ".join(numbers))

    words = _HOW_TO_PAY.get(language, _HOW_TO_PAY["en"])
    book = _remembered(("bank_accounts",), banking.account_book)
    currencies = sorted({i.currency for i in invoices})
    accounts = {c: d for c in currencies if (d := book.for_currency(c)) is not None}
    transfer = [words["bank_transfer_in" if len(accounts) > 1 else "bank_transfer"].format(
        currency=currency, holder=details.holder or business().name,
        account=", ".join(words[key].format(value=value) if key in words else value
                          for key, value in details.facts),
        reference=reference_for([i for i in invoices if i.currency == currency]))
        for currency, details in accounts.items()]
    if not book.any:
        transfer = [settings.SETTLE_PAYMENT_INSTRUCTIONS.format(reference=reference_for(invoices))]
    elif others := [c for c in currencies if c not in accounts]:
        transfer.append(words["ask"].format(currencies=", ".join(others)))
    lines = {"bank_transfer": "\n".join(transfer)}
    if card_payments_enabled():
        lines["card"] = words["card"].format(url=pay_url)
    order = [m for m in (client.payment_methods or []) if m in lines]
    return "\n".join(lines[m] for m in [*order, *(m for m in lines if m not in order)])


def plan_progress(plan: PaymentPlan) -> list[plans.InstalmentState]:
    """Each instalment of ``plan`` with what is still to pay on it."""
    owed = sum((i.balance for i in plan.invoices.all() if i.status != "void"), Decimal(0))
    return plans.instalment_states(
        total=plan.total, owed_now=owed, currency=plan.currency,
        instalments=[(i.number, i.due_date, i.amount) for i in plan.instalments.all()])


def _instalment_context(instalment: Instalment | None, money: Any, day: Any) -> dict[str, Any]:
    """The instalment variables: empty outside a payment plan's reminders."""
    if instalment is None:
        return {"instalment_number": "", "instalment_count": "", "instalment_amount": "",
                "instalment_due_date": "", "plan_remaining": ""}
    states = plan_progress(instalment.plan)
    state = next(s for s in states if s.number == instalment.number)
    return {"instalment_number": instalment.number, "instalment_count": len(states),
            "instalment_amount": money(state.remaining or state.amount),
            "instalment_due_date": day(instalment.due_date),
            "plan_remaining": money(sum((s.remaining for s in states), Decimal(0)))}


def payment_feed_hold(*, now: datetime) -> dict[str, Any] | None:
    """What the bookkeeper is told while the payment feed is stale (see reminders_dispatch):
    its age, the limit and how many clients' reminders wait; None while nothing is held."""
    feed = receivables_selectors.payment_feed(now=now)
    if feed is None or not feed.stale:
        return None
    clients = (Reminder.objects.filter(status=ReminderStatus.SCHEDULED)
               .filter(receivables_selectors.fed_client())
               .values("client_id").distinct().count())
    return {"feed": feed, "clients": clients,
            "limit_hours": int(feed.limit.total_seconds() // 3600)}


# --- The sent-messages and outbox pages (desk.views.outbox) -----------------------------------

# The outcome filter of the sent-messages page: what the provider's events say about a message
# (``reminders.channels.events`` moves ``status`` forward as they arrive).
_HANDED_OVER = [MessageStatus.ACCEPTED, MessageStatus.QUEUED, MessageStatus.SENT,
                MessageStatus.POSTED]
MESSAGE_OUTCOMES: dict[str, tuple[str, Q]] = {
    "sent": ("Sent, no delivery report yet",
             Q(sent_at__isnull=False, status__in=_HANDED_OVER)),
    "delivered": ("Delivered", Q(status=MessageStatus.DELIVERED)),
    "opened": ("Opened or clicked", Q(status__in=[MessageStatus.OPENED, MessageStatus.CLICKED])),
    "bounced": ("Bounced", Q(status=MessageStatus.BOUNCED)),
    "failed": ("Failed or undelivered",
               Q(status__in=[MessageStatus.FAILED, MessageStatus.UNDELIVERED])),
    "complained": ("Marked as spam", Q(status=MessageStatus.COMPLAINED)),
    "waiting": ("Not handed over yet",
                Q(status__in=[MessageStatus.PRINT_QUEUE, MessageStatus.PRINTING])
                | (Q(sent_at__isnull=True) & ~Q(status__in=list(FAILED_STATUSES)))),
}


@dataclass(frozen=True)
class MessageFilters:
    """The sent-messages page's filters, already checked (unknown values are empty)."""

    channel: str = ""
    outcome: str = ""
    client_id: int | None = None
    search: str = ""
    start: date | None = None  # created on or after, in the site's time zone
    end: date | None = None  # created on or before


def _message_reminders() -> Prefetch:
    return Prefetch("reminders", Reminder.objects.select_related("invoice", "step")
                    .order_by("invoice__number", "pk"))


def sent_messages(filters: MessageFilters) -> QuerySet[OutboundMessage]:
    """Outbound messages, newest first, with their client, reminders (invoices and steps) and
    provider events; the parts (text, HTML, a letter's PDF) are not loaded."""
    found = (OutboundMessage.objects.select_related("client")
             .defer("text", "html", "document")
             .prefetch_related(_message_reminders(),
                               Prefetch("events", MessageEvent.objects.order_by(
                                   "-occurred_at", "-pk"))))
    if filters.channel:
        found = found.filter(channel=filters.channel)
    if filters.outcome in MESSAGE_OUTCOMES:
        found = found.filter(MESSAGE_OUTCOMES[filters.outcome][1])
    if filters.client_id is not None:
        found = found.filter(client_id=filters.client_id)
    if filters.search:
        term = filters.search
        found = found.filter(
            Q(client__display_name__icontains=term) | Q(client__reference__iexact=term)
            | Q(to__icontains=term) | Q(subject__icontains=term)
            | Exists(Reminder.objects.filter(message=OuterRef("pk"),
                                             invoice__number__icontains=term)))
    if filters.start is not None:
        found = found.filter(created_at__date__gte=filters.start)
    if filters.end is not None:
        found = found.filter(created_at__date__lte=filters.end)
    return found.order_by("-created_at", "-pk")


def sent_message(pk: int) -> OutboundMessage | None:
    """One message with everything the detail page shows (its events oldest first)."""
    return (OutboundMessage.objects.select_related("client", "print_batch")
            .prefetch_related(_message_reminders(),
                              Prefetch("events", MessageEvent.objects.order_by(
                                  "occurred_at", "pk")))
            .filter(pk=pk).first())


def outbox_counts() -> dict[str, int]:
    """Outbox rows per status (every status, zero included)."""
    counts = dict.fromkeys(ReminderStatus.values, 0)
    counts.update(Reminder.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return counts


def outbox_scheduled() -> QuerySet[Reminder]:
    """Scheduled rows, the next due first."""
    return (Reminder.objects.filter(status=ReminderStatus.SCHEDULED)
            .select_related("client", "invoice", "step").order_by("scheduled_for", "pk"))


def outbox_in_flight() -> list[Reminder]:
    """Rows a worker holds right now (claimed, or handed to the provider), oldest claim first."""
    return list(Reminder.objects.filter(status__in=[ReminderStatus.CLAIMED,
                                                    ReminderStatus.SENDING])
                .select_related("client", "invoice", "step", "message")
                .order_by("claimed_at", "pk")[:500])


@dataclass
class ReviewGroup:
    """The rows in review that one message covered (one row when it had no message): a person
    decides on them together, as they went out (or not) together."""

    rows: list[Reminder]
    message: OutboundMessage | None

    @property
    def key(self) -> int:
        return self.rows[0].pk

    @property
    def client(self) -> Client:
        return self.rows[0].client

    @property
    def channel(self) -> str:
        return self.message.channel if self.message is not None else self.rows[0].channel

    @property
    def invoices(self) -> list[Invoice]:
        return list({r.invoice_id: r.invoice for r in self.rows}.values())

    @property
    def steps(self) -> list[CadenceStep]:
        return list({r.step_id: r.step for r in self.rows}.values())

    @property
    def row_ids(self) -> str:
        return ",".join(str(r.pk) for r in self.rows)


def _review_rows() -> QuerySet[Reminder]:
    return (Reminder.objects.filter(status=ReminderStatus.REVIEW)
            .select_related("client", "invoice", "step", "message")
            .order_by("claimed_at", "scheduled_for", "pk"))


def _grouped(rows: Iterable[Reminder]) -> list[ReviewGroup]:
    groups: dict[object, ReviewGroup] = {}
    for row in rows:
        key = ("message", row.message_id) if row.message_id else ("row", row.pk)
        if key in groups:
            groups[key].rows.append(row)
        else:
            groups[key] = ReviewGroup(rows=[row], message=row.message)
    return list(groups.values())


def outbox_review(limit: int = 500) -> list[ReviewGroup]:
    """Rows whose outcome is unknown after a crash, grouped by the message they went in."""
    return _grouped(_review_rows()[:limit])


def review_group(pk: int) -> ReviewGroup | None:
    """The review group of the row ``pk`` (None when it is not in review)."""
    row = _review_rows().filter(pk=pk).first()
    if row is None:
        return None
    if row.message_id is None:
        return ReviewGroup(rows=[row], message=None)
    return _grouped(_review_rows().filter(message_id=row.message_id))[0]
