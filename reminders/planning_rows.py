"""The planning pass's reads on plain rows: the due invoices with the columns the planner
needs, and their clients, tags, open contact flags, planned steps and payment plans, each as
tuples from ``values_list`` (no model instances: building a thousand ``Invoice`` and ``Client``
objects per batch, with their tag and flag prefetches, cost more than the planner itself).

``reminders.planning`` turns these rows into the pure planner's specs
(``core.planner.InvoiceSpec`` / ``ClientSpec``) and writes the outcome set-based. The
rows keep the names of the model fields they come from, so ``selectors.planning_unit`` and
``selectors.invoice_spec`` take a row or an ``Invoice`` alike; the model-based loader
(``selectors.load_planning_batch``) stays for the forecast and the manual next step, which need
the clients as models.

A pass reads the due ids once (one SELECT); a batch then costs a fixed number of statements
whatever its size: its rows, its planned steps, its payment plans (one more when a plan is
found), and for the clients not seen earlier in the pass (``ClientBook``) their rows, tags,
open contact flags and latest personal contacts. Ids travel as one array parameter on
PostgreSQL (``infra.bulk.among``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from clients.models import Client, ContactFlag
from core import calendar as cal
from core import contact, planner
from infra import bulk
from receivables.models import ACTIVE_STATUSES, Invoice
from reminders import selectors
from reminders.models import Cadence, CadenceStep, Reminder, ReminderStatus


class InvoiceRow(NamedTuple):
    """The columns of an invoice the planning pass reads (``Invoice`` field names)."""

    id: int
    number: str
    client_id: int
    currency: str
    status: str
    issue_date: date
    due_date: date
    balance: Decimal
    promised_until: date | None
    reminders_paused_until: date | None

    @property
    def pk(self) -> int:
        return self.id


INVOICE_COLUMNS = InvoiceRow._fields


class ClientRow(NamedTuple):
    """The columns of a client the planning pass reads (``Client`` field names)."""

    id: int
    display_name: str
    timezone: str
    country: str
    channel_preferences: list[str]
    pay_run_days: list[int | str] | None
    reminders_paused_until: date | None
    email: str
    mobile_phone: str
    phone: str
    address_line1: str
    postcode: str
    city: str

    @property
    def pk(self) -> int:
        return self.id

    def local_today(self, now: datetime) -> date:
        """As ``Client.local_today``: the date on the client's own calendar at ``now``."""
        return now.astimezone(ZoneInfo(self.timezone)).date()


CLIENT_COLUMNS = ClientRow._fields


def is_due(now: datetime) -> Q:
    """Receivable, and its next action has come (or is not known yet)."""
    return (Q(status__in=ACTIVE_STATUSES, balance__gt=0)
            & (Q(next_action_at__isnull=True) | Q(next_action_at__lte=now)))


def due_invoices(now: datetime) -> QuerySet[Invoice]:
    """The due invoices, in id order."""
    return Invoice.objects.filter(is_due(now)).order_by("pk")


def due_ids(now: datetime) -> list[int]:
    """The ids of every due invoice, in id order: one SELECT (a scan of the due set, where
    paging it by id would walk the primary key's index through the whole book)."""
    return list(due_invoices(now).values_list("pk", flat=True))


def due_rows(now: datetime, invoice_ids: Sequence[int]) -> list[InvoiceRow]:
    """The rows of those of ``invoice_ids`` that are still due (checked again: an invoice paid
    since the ids were read is left out), in id order. The check is a column of the result,
    not a condition: found by their ids alone, the rows never tempt the planner into the
    status index (a scan of the whole receivable book per batch)."""
    return [InvoiceRow._make(row[:-1]) for row in Invoice.objects.filter(
        bulk.among("pk", invoice_ids, Invoice)).annotate(
        due_now=ExpressionWrapper(is_due(now), output_field=BooleanField())).order_by(
        "pk").values_list(*INVOICE_COLUMNS, "due_now") if row[-1]]


def load_rows(invoices: list[InvoiceRow], clients: ClientBook) -> dict[str, Any]:
    """Everything the planner needs for these invoices, with the keys of
    ``selectors.load_planning_batch``: ``clients`` maps ids to ``ClientRow`` (read into
    ``clients`` when first seen in the pass), the steps already planned and the legal notices
    sent or waiting (one query), the payment plans (one, two when a plan is found)."""
    invoice_ids = [i.id for i in invoices]
    clients.load(i.client_id for i in invoices)
    planned: dict[int, set[int]] = defaultdict(set)
    notice_sent: dict[int, datetime] = {}
    notice_due: dict[int, datetime] = {}
    # In the model's order (scheduled_for, id): of two legal notices, the later one counts.
    # Only the invoice ids are a condition (the rows of instalments are left out here, and
    # which step is a legal notice comes from the pass's cadence book): any other condition or
    # join can lead the planner away from the invoice index while the outbox's statistics are
    # older than its rows (the first pass after an import fills it from empty).
    steps = clients.cadences.step_rows
    for invoice_id, step_id, instalment_id, status, sent_at, scheduled_for in (
            Reminder.objects.filter(bulk.among("invoice_id", invoice_ids, Reminder,
                                               by_range=True)).values_list(
                "invoice_id", "step_id", "instalment_id", "status", "sent_at", "scheduled_for")):
        if instalment_id is not None:
            continue
        planned[invoice_id].add(step_id)
        legal = steps[step_id].legal_notice if step_id in steps else _legal_notice(step_id)
        if legal and status == ReminderStatus.SENT and sent_at is not None:
            notice_sent[invoice_id] = sent_at
        elif legal and status in (ReminderStatus.SCHEDULED, ReminderStatus.CLAIMED):
            notice_due[invoice_id] = scheduled_for
    return {"invoices": invoices, "clients": clients.rows, "planned": planned,
            "notice_sent": notice_sent, "notice_due": notice_due,
            **selectors.plans_for(invoice_ids)}


def _legal_notice(step_id: int) -> bool:
    """For a step added since the pass read its cadences."""
    return bool(CadenceStep.objects.filter(pk=step_id).values_list(
        "legal_notice", flat=True).first())


class ClientBook:
    """The clients of one planning pass: each client's row, tags, open contact flags and
    latest personal contact are read the first time one of its invoices comes up (four
    queries for all the batch's new clients), its planner spec and cadence steps worked out
    once. A client's invoices are spread over the whole pass; reading it once instead of in
    every batch is most of what a batch used to read."""

    MAX_CLIENTS = 100_000  # beyond this the book starts afresh (memory stays bounded)

    def __init__(self, cadences: selectors.CadenceBook, now: datetime,
                 hours: tuple[time, time]) -> None:
        self.cadences, self.now, self.hours = cadences, now, hours
        self.rows: dict[int, ClientRow] = {}
        self._facts: dict[int, tuple[frozenset[str], frozenset[tuple[str, str]],
                                     datetime | None]] = {}
        self._specs: dict[int, tuple[planner.ClientSpec, tuple[planner.StepSpec, ...]]] = {}

    def load(self, client_ids: Iterable[int]) -> None:
        wanted = set(client_ids)
        missing = sorted(wanted - self.rows.keys())
        if not missing:
            return
        if len(self.rows) + len(missing) > self.MAX_CLIENTS:
            self.rows, self._facts, self._specs = {}, {}, {}
            missing = sorted(wanted)
        rows = {row[0]: ClientRow._make(row) for row in Client.objects.filter(
            bulk.among("pk", missing, Client)).order_by().values_list(*CLIENT_COLUMNS)}
        names: dict[int, set[str]] = defaultdict(set)
        tagged = Client.tags.through
        for client_id, name in tagged.objects.filter(
                bulk.among("client_id", missing, tagged)).order_by().values_list(
                "client_id", "clienttag__name"):
            names[client_id].add(name)
        flags: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for client_id, channel, value in ContactFlag.objects.filter(
                bulk.among("client_id", missing, ContactFlag),
                cleared_at__isnull=True).order_by().values_list("client_id", "channel", "value"):
            flags[client_id].add((channel, value))
        contacts = selectors.last_personal_contact(rows, self.now)
        for pk, row in rows.items():
            self.rows[pk] = row
            self._facts[pk] = (frozenset(names.get(pk, ())), frozenset(flags.get(pk, ())),
                               contacts.get(pk))

    def spec(self, client_id: int) -> tuple[planner.ClientSpec, tuple[planner.StepSpec, ...]]:
        """The client's planner spec (its tags, cadence and preferences, and the hold after a
        personal contact) and its cadence's steps."""
        if (found := self._specs.get(client_id)) is None:
            row = self.rows[client_id]
            tags, flagged, contact = self._facts[client_id]
            cadence = self.cadences.cadence_for(client_id, tags)
            found = self._specs[client_id] = (
                client_spec(row, tags, flagged, hold_until(row, cadence, contact), self.hours),
                self.cadences.steps.get(cadence.pk, ()) if cadence else ())
        return found


def hold_until(client: ClientRow, cadence: Cadence | None,
               contact: datetime | None) -> date | None:
    """As ``selectors.hold_until``: the last day automated messages wait after a personal
    contact (people first)."""
    if contact is None or cadence is None or not cadence.hold_business_days:
        return None
    return cal.add_business_days(client.local_today(contact), cadence.hold_business_days,
                                 client.country)


def client_spec(client: ClientRow, tags: frozenset[str], flagged: Collection[tuple[str, str]],
                held_until: date | None, hours: tuple[time, time]) -> planner.ClientSpec:
    """As ``selectors.client_spec``, from a row, its open flags and the business hours."""
    return planner.ClientSpec(
        timezone=client.timezone, country=client.country,
        channels=contact.usable_channels(client, flagged),
        pay_run_days=tuple(client.pay_run_days or ()),
        paused_until=client.reminders_paused_until, held_until=held_until, tags=tags,
        business_start=hours[0], business_end=hours[1])
