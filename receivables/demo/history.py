"""The demo book's reminder history: the last ``DemoOptions.history`` days (90 by default) as
the reminder engine would have lived them, so analytics and timelines mean something at
first login.

The story: Settle went live on the book's day minus 90 days. From that day on, each client's
invoices are replayed through the engine's rules (``receivables.demo.engine``, the planner
and dispatcher in memory) tick by tick, in the client's time zone: the planner's step days
and catch-up (the first tick of a go-live catches up once, as a real first tick does), the
dispatcher's one message per client in the most advanced step's words, the contact policy,
the episode's tone floor, stale pre-due steps dropped, the legal notice before the hand-over,
holds after a personal contact, pauses, promises (kept and broken) and the business hours and
days of the client's country. What the book already holds decides what happens: a payment
stops the reminders of what it settles, a dispute or a hand-over stops them, a promise or a
pause holds them. Messages then meet their fate: delivered, opened, clicked, a few bounced
(the address is flagged and the reminder falls back to the next channel), a few SMS opt-outs
(STOP); letters are posted the same afternoon. Call steps (and clients who prefer the phone)
make call tasks that the owner works: attempts, and promises that are kept or broken.

The engine's own acts are kept: the hand-over at +45 days moves an unpaid invoice to "in
collections" (the book's later events read on from there), the letter of demand starts
interest and marks the escalation, call steps make call tasks. What is simpler than the
engine, on purpose: the late fee the +14 step charges is not replayed (the book charges its
fees itself, as the bookkeeper did; an invoice whose terms have a fee and that the book never
charged stays without one); the tasks the engine leaves for a person when no channel (or no
channel for the legal notice) reaches a client are left to the first real tick; a call task is
called once and closed; history letters are marked posted without a printed PDF; the
provider of the history's messages is Postmark and Twilio (tracked), whatever this install
has configured, so analytics has deliveries, opens and clicks to count.

Everything is in memory per round and written with ``writer.Writer``: messages, contact flags,
call tasks and attempts before the round's timeline (whose entries name them), reminders,
events, pay links and the tasks' invoices after it. The models of the apps above
``receivables`` are looked up in Django's app registry and read as values, never imported
(the layers contract).
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.db import models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from clients.business import business
from clients.models import (
    Channel,
    Client,
    ContactFlag,
    FlagReason,
    InteractionChannel,
    InteractionKind,
)
from core import calendar as cal
from core import planner
from receivables.demo import engine
from receivables.demo.bookkeeping import Ledger, money_text
from receivables.demo.clients import Profile
from receivables.demo.messages import Composer, Line, Source, pay_token, pay_url, token_hash
from receivables.demo.options import ZERO, DemoOptions
from receivables.demo.rows import EntryRow, InvoiceRow, Row
from receivables.demo.writer import Writer
from receivables.models import CHARGE_KINDS, InvoiceStatus

ACTIVE = planner.ACTIVE_STATUSES
OWED = frozenset({"open", "partially_paid", "in_collections"})
CHANNELS = ("email", "sms", "letter")  # what sends a message; "phone" makes a call task
IMPLEMENTED = ("email", "sms", "letter", "phone")
LABEL = {"email": "Email", "sms": "SMS", "letter": "Letter", "phone": "Call"}
PERSONAL = frozenset({InteractionKind.CALL, InteractionKind.NOTE, InteractionKind.PROMISE_TO_PAY,
                      InteractionKind.DISPUTE, InteractionKind.PAYMENT_PLAN})
HOLD_LOOKBACK = timedelta(days=30)
TICK = timedelta(minutes=5)  # a tick after an invoice is issued mid-morning

# How messages fare (per message; a client bounces or opts out once at most).
BOUNCE = 0.05
OPT_OUT = 0.03
OPENED = 0.62
CLICKED = 0.45  # of the opened
BOUNCE_WHY = "550 5.1.1 The email account that you tried to reach does not exist"
NOTES = ("Asked for statements by e-mail at the end of each month.",
         "Accounts payable moved to a shared mailbox; contact details checked.",
         "Client asked for copies of the open invoices; sent them again.",
         "New purchase-order process on their side; invoices need the PO number.",
         "Spoke with the finance lead at a trade fair; all fine.")
NO_PROMISE = ("voicemail", "no_answer")
OUTCOME_LABEL = {"promise": "Reached: promise to pay", "voicemail": "Left voicemail",
                 "no_answer": "No answer"}


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


# --- Rows of the tables the history writes (plain, named like the model fields) ------------


@dataclass(slots=True, eq=False)
class MessageRow(Row):
    client: Client
    channel: str
    language: str
    to: str
    subject: str
    text: str
    html: str
    provider: str
    provider_message_id: str
    created_at: datetime
    sent_at: datetime | None
    status: str
    tone: str
    segments: int = 0
    status_detail: str = ""
    document: bytes | None = None
    print_batch: Row | None = None
    id: int | None = None
    # The demo's own: the tone's rank and whether the message failed (floors, policy).
    rank: int = 0
    failed: bool = False


@dataclass(slots=True, eq=False)
class ReminderRow(Row):
    invoice: InvoiceRow
    step: engine.Step
    client: Client
    channel: str
    scheduled_for: datetime
    created_at: datetime
    updated_at: datetime
    bill: Bill
    seq: int
    status: str = "scheduled"
    message: MessageRow | None = None
    instalment: Row | None = None
    claim_token: str = ""
    attempts: int = 0
    last_error: str = ""
    failed_channels: list[str] = field(default_factory=list)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    id: int | None = None


@dataclass(slots=True, eq=False)
class EventRow(Row):
    message: MessageRow | None
    provider: str
    event_key: str
    event: str
    occurred_at: datetime
    recipient: str
    detail: dict[str, Any]
    received_at: datetime
    id: int | None = None


@dataclass(slots=True, eq=False)
class FlagRow(Row):
    client: Client
    channel: str
    value: str
    reason: str
    detail: str
    created_at: datetime
    cleared_at: datetime | None = None
    cleared_by: User | None = None
    id: int | None = None


@dataclass(slots=True, eq=False)
class PayLinkRow(Row):
    client: Client
    token_hash: str
    message: MessageRow
    created_at: datetime
    expires_at: datetime
    purpose: str = "reminder"
    revoked_at: datetime | None = None
    first_visit_at: datetime | None = None
    last_visit_at: datetime | None = None
    visits: int = 0
    id: int | None = None


@dataclass(slots=True, eq=False)
class TaskRow(Row):
    kind: str
    client: Client
    assigned_to: User | None
    title: str
    script: str
    due_at: datetime
    status: str
    step: engine.Step | None
    created_at: datetime
    closed_at: datetime | None = None
    closed_by: User | None = None
    plan: Row | None = None
    dispute: Row | None = None
    id: int | None = None
    bills: list[Bill] = field(default_factory=list)
    called_at: datetime | None = None  # when the owner works it (None: still open)


@dataclass(slots=True, eq=False)
class TaskInvoiceRow(Row):
    task: TaskRow
    invoice: InvoiceRow
    id: int | None = None


@dataclass(slots=True, eq=False)
class AttemptRow(Row):
    task: TaskRow
    client: Client
    number: str
    outcome: str
    note: str
    called_at: datetime
    called_by: User | None
    promised_on: date | None = None
    promised_amount: Decimal | None = None
    id: int | None = None


# --- What the history reads from the database once ------------------------------------------


@dataclass(frozen=True)
class Cadence:
    id: int
    name: str
    priority: int
    is_default: bool
    tags: frozenset[str]
    clients: frozenset[int]
    steps: tuple[engine.Step, ...]
    policy: planner.ContactPolicy
    hold_business_days: int

    @property
    def specs(self) -> tuple[planner.StepSpec, ...]:
        return tuple(s.spec for s in self.steps)


def load_cadences() -> list[Cadence]:
    """The invoice cadences with their steps (reminders.selectors.CadenceBook, as values)."""
    cadence_model, step_model = _model("reminders.Cadence"), _model("reminders.CadenceStep")
    tags: dict[int, set[str]] = defaultdict(set)
    clients: dict[int, set[int]] = defaultdict(set)
    rows = list(cadence_model._default_manager.filter(purpose="invoices").values(
        "id", "name", "priority", "is_default", "min_days_between_messages",
        "max_messages_per_30_days", "hold_business_days", "notice_days", "tags__name",
        "clients__id"))
    for row in rows:
        if row["tags__name"]:
            tags[row["id"]].add(row["tags__name"])
        if row["clients__id"]:
            clients[row["id"]].add(row["clients__id"])
    only: dict[int, set[str]] = defaultdict(set)
    steps: dict[int, dict[str, Any]] = {}
    for row in step_model._default_manager.filter(
            cadence_id__in={r["id"] for r in rows}).order_by("offset_days", "id").values(
            "id", "cadence_id", "name", "offset_days", "channel", "template_key", "tone",
            "actions", "legal_notice", "needs_notice", "only_tags__name"):
        steps.setdefault(row["id"], row)
        if row["only_tags__name"]:
            only[row["id"]].add(row["only_tags__name"])
    found = []
    for row in {r["id"]: r for r in rows}.values():
        own = tuple(engine.Step(
            spec=planner.StepSpec(id=s["id"], offset_days=s["offset_days"], channel=s["channel"],
                                  only_tags=frozenset(only[s["id"]]),
                                  legal_notice=s["legal_notice"], needs_notice=s["needs_notice"],
                                  notice_days=row["notice_days"]),
            name=s["name"], template_key=s["template_key"], tone=s["tone"],
            actions=tuple(s["actions"] or ()), cadence_id=row["id"])
            for s in steps.values() if s["cadence_id"] == row["id"])
        found.append(Cadence(
            id=row["id"], name=row["name"], priority=row["priority"],
            is_default=row["is_default"], tags=frozenset(tags[row["id"]]),
            clients=frozenset(clients[row["id"]]), steps=own,
            policy=planner.ContactPolicy(min_days=row["min_days_between_messages"],
                                         per_30_days=row["max_messages_per_30_days"]),
            hold_business_days=row["hold_business_days"]))
    return found


def cadence_for(cadences: list[Cadence], client_id: int, tags: frozenset[str]
                ) -> Cadence | None:
    """CadenceBook.cadence_for: assigned, else the first by priority whose tags match, else
    the default."""
    for cadence in cadences:
        if client_id in cadence.clients:
            return cadence
    for cadence in sorted(cadences, key=lambda c: (c.priority, c.name)):
        if cadence.tags & tags:
            return cadence
    return next((c for c in cadences if c.is_default), None)


def load_templates() -> dict[tuple[str, str, str], Source]:
    return {(t["key"], t["channel"], t["language"]): Source(
        subject=t["subject"], text=t["text"], html=t["html"], language=t["language"])
        for t in _model("reminders.MessageTemplate")._default_manager.values(
            "key", "channel", "language", "subject", "text", "html")}


def link_valid_days() -> int:
    settings_model = _model("answers.PortalSettings")
    days = settings_model._default_manager.values_list("link_valid_days", flat=True).first()
    if days is None:  # no settings saved yet: the field's default
        field_ = settings_model._meta.get_field("link_valid_days")
        assert isinstance(field_, models.Field)
        days = field_.get_default()
    return int(days)


# --- An invoice and a client as the history sees them ---------------------------------------


@dataclass(eq=False)
class Promise:
    made_at: datetime
    until: date
    flagged: bool = False


@dataclass(eq=False)
class Bill:
    """An invoice: when its status changed in the book (and by the engine), its promises and
    payments, and the engine's state for it."""

    row: InvoiceRow
    issued_at: datetime
    spec: planner.InvoiceSpec
    changes: list[tuple[datetime, str]] = field(default_factory=list)  # sorted
    transitions: list[EntryRow] = field(default_factory=list)  # the book's, for this invoice
    promises: list[Promise] = field(default_factory=list)  # by made_at
    # Money by the moment its timeline entry has (payments and what comes with them at
    # 10:05 local, as the book records them; fees from the morning of their day).
    paid: list[tuple[datetime, Decimal]] = field(default_factory=list)
    charges: list[tuple[date, Decimal]] = field(default_factory=list)
    reductions: list[tuple[datetime, Decimal]] = field(default_factory=list)
    planned: set[int] = field(default_factory=set)
    # Moments a change makes the planner look again on its next tick (a promise: the
    # service clears next_action_at), oldest first.
    wakeups: list[datetime] = field(default_factory=list)
    notice_sent_on: date | None = None
    next_action: datetime | None = None
    done: bool = False
    handed_over: datetime | None = None
    settled_at: datetime | None = None

    def status(self, at: datetime) -> str:
        """The invoice's status at ``at`` (open and partially paid told apart by payments)."""
        status = ""
        for moment, to in self.changes:
            if moment > at:
                break
            status = to
        if status:
            return status
        return "partially_paid" if any(m <= at for m, _ in self.paid) else "open"

    def owed(self, at: datetime) -> bool:
        return self.status(at) in OWED

    def promise(self, at: datetime) -> Promise | None:
        made = [p for p in self.promises if p.made_at <= at]
        return made[-1] if made else None

    def promised_until(self, at: datetime) -> date | None:
        promise = self.promise(at)
        return None if promise is None or promise.flagged else promise.until

    def balance(self, at: datetime) -> Decimal:
        """What it owed at ``at``."""
        return (self.row.total + self.charged(at)
                - sum((a for m, a in self.reductions if m <= at), ZERO)
                - sum((a for m, a in self.paid if m <= at), ZERO))

    def charged(self, at: datetime) -> Decimal:
        return sum((a for d, a in self.charges if d <= at.date()), ZERO)


@dataclass(eq=False)
class Sim:
    """One client through the history."""

    profile: Profile
    cadence: Cadence
    spec: planner.ClientSpec  # zone, country, pay runs, tags, hours; channels etc. per tick
    bills: list[Bill]
    contacts: list[datetime]  # personal contacts, sorted
    pause: tuple[datetime, date] | None
    flags: list[tuple[datetime, str]] = field(default_factory=list)  # (since, channel)
    outbox: list[ReminderRow] = field(default_factory=list)
    sent: list[tuple[datetime, MessageRow | None]] = field(default_factory=list)
    messages: list[tuple[MessageRow, list[Bill]]] = field(default_factory=list)
    open_task: TaskRow | None = None
    bounced: bool = False
    opted_out: bool = False

    @property
    def client(self) -> Client:
        return self.profile.client

    def local(self, at: datetime) -> datetime:
        return at.astimezone(engine.zone(self.spec.timezone))

    def channels(self, at: datetime) -> tuple[str, ...]:
        """usable_channels: the preferences with a contact point not flagged by ``at``."""
        flagged = {channel for since, channel in self.flags if since <= at}
        client = self.client
        return tuple(c for c in client.channel_preferences if c in IMPLEMENTED
                     and c not in flagged and client.contact_for(c))

    def held_until(self, at: datetime) -> date | None:
        """hold_until after the latest personal contact within the month before ``at``."""
        index = bisect.bisect_right(self.contacts, at)
        if not index or not self.cadence.hold_business_days:
            return None
        contact = self.contacts[index - 1]
        if contact < at - HOLD_LOOKBACK:
            return None
        return cal.add_business_days(self.local(contact).date(), self.cadence.hold_business_days,
                                     self.spec.country)

    def paused_until(self, at: datetime) -> date | None:
        return self.pause[1] if self.pause is not None and self.pause[0] <= at else None

    def spec_at(self, at: datetime) -> planner.ClientSpec:
        return replace(self.spec, channels=self.channels(at), paused_until=self.paused_until(at),
                       held_until=self.held_until(at))

    def sent_days(self, at: datetime) -> tuple[date, ...]:
        """dispatch.sent_days: local days a message reached the client (or a call was asked
        for instead) in the 30 days before ``at``."""
        since = at - timedelta(days=30)
        return tuple(sorted({self.local(when).date() for when, message in self.sent
                             if since <= when <= at
                             and (message is None or not message.failed)}))

    def floor(self, at: datetime) -> int:
        """dispatch.tone_floors: the firmest tone of a message about what is still owed."""
        return max((message.rank for message, bills in self.messages
                    if not message.failed and message.sent_at is not None
                    and message.sent_at <= at and any(b.owed(at) for b in bills)), default=0)


# --- The history -----------------------------------------------------------------------------


@dataclass
class Output:
    """What one round of the history writes."""

    messages: list[MessageRow] = field(default_factory=list)
    reminders: list[ReminderRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    flags: list[FlagRow] = field(default_factory=list)
    links: list[PayLinkRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    attempts: list[AttemptRow] = field(default_factory=list)
    # Timeline entries naming a row written before them: (entry, metadata key, row).
    names: list[tuple[EntryRow, str, Row]] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)  # id() of book entries the history undid


class History:
    """The reminder history of one book, played round by round (``play``) and written
    (``write_before`` the round's timeline, ``write_after`` it)."""

    def __init__(self, options: DemoOptions, today: date, now: datetime) -> None:
        self.days = options.history
        self.today, self.now = today, now
        self.rng = random.Random(options.seed * 7919 + 90)  # noqa: S311 - demo data
        self.cadences = load_cadences() if self.days else []
        profile = business()
        self.start, self.end = profile.start, profile.end
        self.composer = Composer(load_templates() if self.days else {}, profile.name)
        self.link_days = link_valid_days() if self.days else 0
        self.out = Output()
        self.ledger = Ledger(now=now)
        self.end_at = now
        self.counts: dict[str, int] = defaultdict(int)
        self._seq = 0

    @property
    def enabled(self) -> bool:
        return self.days > 0 and bool(self.cadences)

    # --- Building the clients' state from the book ------------------------------------------

    def play(self, ledger: Ledger, profiles: Iterable[Profile],
             client_entries: dict[int, list[EntryRow]]) -> None:
        """The history of the round's clients (``ledger`` holds the round's book)."""
        self.out = Output()
        self.ledger = ledger
        bills = self._bills(ledger)
        contacts: dict[int, list[datetime]] = defaultdict(list)
        for entry in [*ledger.entries, *(e for es in client_entries.values() for e in es)]:
            if entry.kind in PERSONAL and (entry.actor is not None
                                           or entry.actor_label == "client"):
                contacts[id(entry.client)].append(entry.occurred_at)
        for profile in profiles:
            key = id(profile.client)
            if key not in bills:
                continue
            sim = self._sim(profile, bills[key], contacts[key], client_entries.get(key, []))
            if sim is not None:
                self._notes(sim)
                self._run(sim)
                self._settle(sim)

    def _bills(self, ledger: Ledger) -> dict[int, list[Bill]]:
        by_invoice: dict[int, Bill] = {}
        for invoice in ledger.invoices:
            by_invoice[id(invoice)] = Bill(
                row=invoice, issued_at=ledger.at(invoice.issue_date, invoice.client, 9, 30),
                spec=planner.InvoiceSpec(id=len(by_invoice) + 1, status="open",
                                         issue_date=invoice.issue_date,
                                         due_date=invoice.due_date, balance=Decimal(1)))
        for allocation in ledger.allocations:
            bill = by_invoice[id(allocation.invoice)]
            bill.paid.append((ledger.at(allocation.payment.received_on, bill.row.client, 10, 5),
                              allocation.amount))
        for adjustment in ledger.adjustments:
            bill = by_invoice[id(adjustment.invoice)]
            if adjustment.kind in CHARGE_KINDS:
                bill.charges.append((adjustment.effective_on, adjustment.amount))
            else:
                bill.reductions.append((ledger.at(adjustment.effective_on, bill.row.client,
                                                  10, 5), adjustment.amount))
        for entry in ledger.entries:
            if not entry.invoices:
                continue
            if entry.kind == InteractionKind.STATUS_CHANGE and entry.metadata.get("to"):
                for invoice in entry.invoices:
                    by_invoice[id(invoice)].changes.append(
                        (entry.occurred_at, entry.metadata["to"]))
                    by_invoice[id(invoice)].transitions.append(entry)
            elif entry.kind == InteractionKind.PROMISE_TO_PAY and entry.metadata.get(
                    "promised_on"):
                for invoice in entry.invoices:
                    by_invoice[id(invoice)].promises.append(Promise(
                        entry.occurred_at, date.fromisoformat(entry.metadata["promised_on"])))
        grouped: dict[int, list[Bill]] = defaultdict(list)
        for bill in by_invoice.values():
            if bill.row.status == InvoiceStatus.PAID and bill.paid:
                # Settled by the payment that finished it (its timeline entry's moment).
                bill.settled_at = max(m for m, _ in bill.paid)
                bill.changes.append((bill.settled_at, "paid"))
            bill.changes.sort(key=lambda c: c[0])
            bill.promises.sort(key=lambda p: p.made_at)
            bill.wakeups = [p.made_at + TICK for p in bill.promises]
            grouped[id(bill.row.client)].append(bill)
        for group in grouped.values():
            group.sort(key=lambda b: (b.row.due_date, b.row.number))
        return grouped

    def _sim(self, profile: Profile, bills: list[Bill], contacts: list[datetime],
             entries: list[EntryRow]) -> Sim | None:
        client = profile.client
        tags = frozenset(profile.tags)
        cadence = cadence_for(self.cadences, client.pk, tags)
        if cadence is None or not cadence.steps:
            return None
        pause = next(((e.occurred_at, date.fromisoformat(e.metadata["reminders_paused_until"]))
                      for e in entries if e.metadata.get("reminders_paused_until")), None)
        spec = planner.ClientSpec(
            timezone=client.timezone, country=client.country, channels=(),
            pay_run_days=tuple(client.pay_run_days or ()), tags=tags,
            business_start=self.start, business_end=self.end)
        return Sim(profile=profile, cadence=cadence, spec=spec, bills=bills,
                   contacts=sorted(contacts), pause=pause)

    def _window(self, sim: Sim) -> tuple[datetime, datetime]:
        """The first tick (go-live: the first business day of the history, business-hours
        start) and the end (the client's midnight starting the book's day, never after now)."""
        zone = engine.zone(sim.spec.timezone)
        first = cal.next_business_day(self.today - timedelta(days=self.days), sim.spec.country)
        end = datetime.combine(self.today, time(0), tzinfo=zone)
        if self.now > end - timedelta(days=1):
            end = min(end, self.now)
        return datetime.combine(first, self.start, tzinfo=zone), end

    def _notes(self, sim: Sim) -> None:
        """A bookkeeper's note now and then (a personal contact: it holds reminders too)."""
        if self.rng.random() >= 0.35:
            return
        first, end = self._window(sim)
        day = first.date() + timedelta(days=self.rng.randrange(max(1, (end - first).days)))
        day = cal.next_business_day(day, sim.spec.country)
        at = datetime.combine(day, time(self.rng.randint(10, 16), self.rng.randrange(60)),
                              tzinfo=engine.zone(sim.spec.timezone))
        if at >= end:
            return
        self.ledger.record(sim.client, InteractionKind.NOTE, self.rng.choice(NOTES), at,
                           actor=sim.profile.owner)
        bisect.insort(sim.contacts, at)

    # --- The engine's ticks ------------------------------------------------------------------

    def _run(self, sim: Sim) -> None:
        first, end = self._window(sim)
        self.end_at = end
        tick: datetime | None = first
        while tick is not None and tick < end:
            self._tick(sim, tick)
            tick = self._next_tick(sim, tick)

    def _next_tick(self, sim: Sim, after: datetime) -> datetime | None:
        found: list[datetime] = []
        for bill in sim.bills:
            if bill.done:
                continue
            if bill.issued_at > after:
                found.append(bill.issued_at + TICK)
                continue
            if bill.next_action is not None and bill.next_action > after:
                found.append(bill.next_action)
            found.extend(w for w in bill.wakeups[:1] if w > after)
        found.extend(r.scheduled_for for r in sim.outbox
                     if r.status == "scheduled" and r.scheduled_for > after)
        return min(found, default=None)

    def _tick(self, sim: Sim, now: datetime) -> None:
        """planning._plan_batch, then dispatch for the client's due rows."""
        today = sim.local(now).date()
        spec = sim.spec_at(now)
        for bill in sim.bills:
            while bill.wakeups and bill.wakeups[0] <= now:
                bill.wakeups.pop(0)
                bill.next_action = None
            if bill.done or bill.issued_at > now or (bill.next_action is not None
                                                     and bill.next_action > now):
                continue
            status = bill.status(now)
            if status not in ACTIVE:
                bill.done = True
                continue
            promise = bill.promise(now)
            if promise is not None and not promise.flagged and promise.until < today:
                self._broken_promise(sim, bill, promise, now)
            result = planner.plan(replace(
                bill.spec, status=status, promised_until=bill.promised_until(now),
                planned_step_ids=frozenset(bill.planned), notice_sent_on=bill.notice_sent_on),
                spec, sim.cadence.specs, now)
            if result.due_step is not None and result.send_at is not None:
                step = next(s for s in sim.cadence.steps if s.id == result.due_step.id)
                self._seq += 1
                sim.outbox.append(ReminderRow(
                    invoice=bill.row, step=step, client=sim.client, channel=result.channel or "",
                    scheduled_for=result.send_at, created_at=now, updated_at=now, bill=bill,
                    seq=self._seq))
                bill.planned.add(step.id)
            bill.next_action = result.next_action_at or (
                now + timedelta(days=1) if result.stop in (
                    None, planner.Stop.NO_CHANNEL, planner.Stop.NO_LEGAL_CHANNEL) else None)
        due = sorted((r for r in sim.outbox if r.status == "scheduled"
                      and r.scheduled_for <= now), key=lambda r: (r.scheduled_for, r.seq))
        if due:
            self._dispatch(sim, due, now, today)

    def _broken_promise(self, sim: Sim, bill: Bill, promise: Promise, now: datetime) -> None:
        """planning._flag_broken_promises."""
        promise.flagged = True
        self.ledger.record(
            sim.client, InteractionKind.ESCALATION,
            f"Broken promise: {bill.row.number} was promised by {promise.until.isoformat()} "
            "and is still unpaid; reminders resume.", now,
            metadata={"broken_promise": promise.until.isoformat()}, invoices=[bill.row])
        self.counts["promises broken"] += 1

    # --- Dispatch ------------------------------------------------------------------------------

    def _defer(self, rows: Iterable[ReminderRow], until: datetime, now: datetime) -> None:
        for row in rows:
            row.scheduled_for, row.updated_at = until, now

    def _close(self, rows: Iterable[ReminderRow], status: str, now: datetime, why: str = ""
               ) -> None:
        for row in rows:
            row.status, row.updated_at, row.last_error = status, now, why

    def _dispatch(self, sim: Sim, rows: list[ReminderRow], now: datetime, today: date) -> None:
        """dispatch.dispatch_group for one client's due rows."""
        spec, country = sim.spec, sim.spec.country
        held = sim.held_until(now)
        paused = sim.paused_until(now)
        live = []
        for row in rows:
            status = row.bill.status(now)
            if status not in ACTIVE:
                self._close([row], "cancelled", now, "Not sent: invoice is "
                            f"{InvoiceStatus(status).label.lower()}.")
                continue
            ends = [d for d in (paused, row.bill.promised_until(now), held)
                    if d is not None and today <= d]
            if ends:
                resume = cal.next_business_day(max(ends) + timedelta(days=1), country)
                self._defer([row], planner.send_time(resume, now, spec), now)
                continue
            live.append(row)
        if not live:
            return
        window = planner.send_time(today, now, spec)
        if window > now:
            self._defer(live, window, now)
            return
        live = self._one_escalation(sim, live, today, now)
        messages = [r for r in live if r.step.sends]
        for step, group in _by_step([r for r in live if not r.step.sends]).items():
            self._actions(sim, group, step, now)
            for row in group:
                row.status, row.sent_at, row.updated_at = "sent", now, now
        if not messages:
            return
        messages = self._fresh(messages, today, country, now, "Not sent: the invoice is "
                               "overdue now, so this step's words no longer hold.")
        allowed = planner.next_message_day(sim.sent_days(now), today,
                                          policy=sim.cadence.policy) if messages else today
        if allowed > today:
            day = cal.next_business_day(allowed, country)
            messages = self._fresh(messages, day, country, now, "Not sent: the contact policy "
                                   f"holds messages until {day:%d %b %Y}, when the invoice is "
                                   "overdue and this step's words no longer hold.")
            self._defer(messages, planner.send_time(day, now, spec), now)
            return
        if not messages:
            return
        floor = sim.floor(now)
        voice = engine.floor_voice(sim.cadence.steps, floor)
        quiet = [r for r in messages if not engine.speaks_at_floor(
            r.step, r.invoice.due_date, floor, voice, today, country)]
        for step, group in _by_step(quiet).items():
            self._actions(sim, group, step, now)  # as the dispatcher: a fee still applies
        self._close(quiet, "skipped", now, "Not sent: the client has already had a firmer "
                    "message about what they owe; a gentler one now would step back.")
        messages = [r for r in messages if r not in quiet]
        if not messages:
            return
        lead = engine.lead_step(r.step for r in messages)
        if lead.legal_notice:  # a legal notice names only what is overdue
            early = [r for r in messages if not planner.overdue_on(r.invoice.due_date, today,
                                                                   country)]
            self._close(early, "skipped", now, "Not sent: a letter of demand goes out today, "
                        "and it names only overdue invoices.")
            messages = [r for r in messages if r not in early]
        words = voice if voice is not None and voice.rank > lead.rank else lead
        rows = sorted(messages, key=lambda r: r.step is not lead)  # the lead's channel first
        if self._send(sim, rows, words, now, today):
            for step, group in _by_step(rows).items():
                self._actions(sim, group, step, now)

    def _one_escalation(self, sim: Sim, rows: list[ReminderRow], today: date, now: datetime
                        ) -> list[ReminderRow]:
        steps = {r.step for r in rows if engine.escalates(r.step)}
        if len(steps) < 2:
            return rows
        top = max(steps, key=lambda s: (s.offset_days, s.id))
        later = [r for r in rows if engine.escalates(r.step) and r.step != top]
        day = cal.next_business_day(today + timedelta(days=1), sim.spec.country)
        self._defer(later, planner.send_time(day, now, sim.spec), now)
        return [r for r in rows if r not in later]

    def _fresh(self, rows: list[ReminderRow], day: date, country: str, now: datetime,
               why: str) -> list[ReminderRow]:
        stale = [r for r in rows if planner.stale_on(r.step.offset_days, r.invoice.due_date,
                                                    day, country)]
        self._close(stale, "skipped", now, why)
        return [r for r in rows if r not in stale]

    def _actions(self, sim: Sim, rows: list[ReminderRow], step: engine.Step, now: datetime
                 ) -> None:
        """dispatch._run_actions (the late fee excepted: see the module docstring)."""
        bills = list({id(r.bill): r.bill for r in rows}.values())
        invoices = [b.row for b in bills]
        if "create_call_task" in step.actions:
            self._call_task(sim, bills, step, now)
        if "start_interest" in step.actions:
            self.ledger.record(sim.client, InteractionKind.ESCALATION,
                               "Interest accrues from now on, per the terms: "
                               + invoices[0].terms.summary(), now, invoices=invoices)
        if "mark_escalated" in step.actions:
            self.ledger.record(sim.client, InteractionKind.ESCALATION,
                               f"Escalated: {step.name}", now, invoices=invoices)
        if "hand_to_collections" in step.actions:
            for bill in bills:
                self._hand_over(sim, bill, step, now)

    def _hand_over(self, sim: Sim, bill: Bill, step: engine.Step, now: datetime) -> None:
        before = InvoiceStatus(bill.status(now))
        reason = f"cadence step '{step.name}'"
        self.ledger.record(
            sim.client, InteractionKind.STATUS_CHANGE,
            f"Invoice {bill.row.number}: {before.label.lower()} → "
            f"{InvoiceStatus.IN_COLLECTIONS.label.lower()} ({reason})", now,
            metadata={"from": before.value, "to": InvoiceStatus.IN_COLLECTIONS.value,
                      "reason": reason}, invoices=[bill.row])
        bill.handed_over = now
        bisect.insort(bill.changes, (now, "in_collections"), key=lambda c: c[0])
        self.counts["handed over"] += 1

    # --- Sending -------------------------------------------------------------------------------

    def _send(self, sim: Sim, rows: list[ReminderRow], words: engine.Step, now: datetime,
              today: date) -> bool:
        """dispatch._send: a call instead, a fallback, or the message and what became of it."""
        channel = rows[0].channel
        if channel in ("phone", "call"):
            # A person calls; the policy counts it as a contact (dispatch.sent_days_of: a sent
            # call reminder without a message; one still naming a bounced message is not).
            if any(r.message is None for r in rows):
                sim.sent.append((now, None))
            for row in rows:
                row.status, row.sent_at, row.updated_at = "sent", now, now
            self._call_task(sim, list({id(r.bill): r.bill for r in rows}.values()), words, now)
            return True
        if channel not in CHANNELS or channel not in sim.channels(now):
            self._fall_back(sim, rows, channel, now, f"No working {channel} contact for the "
                            "client.")
            return False
        at = now + timedelta(seconds=self.rng.randint(3, 90))
        message = self._compose(sim, rows, words, channel, at, today)
        for row in rows:
            row.status, row.sent_at, row.updated_at, row.message = "sent", at, at, message
            if row.step.legal_notice:
                row.bill.notice_sent_on = sim.local(at).date()
        sim.sent.append((at, message))
        sim.messages.append((message, list({id(r.bill): r.bill for r in rows}.values())))
        self.counts["messages"] += 1
        if channel == "letter":
            self._post(sim, message, words, rows, at)
            if words.legal_notice and "email" in sim.channels(at):
                self._email_copy(sim, rows, words, at, today)
        else:
            self._record_sent(sim, message, words, rows, at)
            if channel == "email":
                self._email_fate(sim, message, rows, at)
            else:
                self._sms_fate(sim, message, rows, at)
        return True

    def _compose(self, sim: Sim, rows: list[ReminderRow], words: engine.Step, channel: str,
                 at: datetime, today: date, *, copy: bool = False) -> MessageRow:
        client = sim.client
        bills = list({id(r.bill): r.bill for r in rows}.values())
        owed: dict[str, Decimal] = defaultdict(Decimal)
        for bill in sim.bills:
            if bill.issued_at <= at and bill.status(at) in OWED:
                owed[bill.row.currency] += bill.balance(at)
        token = pay_token(self.rng)
        content = self.composer.compose(
            client=client, key=words.template_key, channel=channel, tone=words.tone,
            lines=[Line(b.row, b.balance(at), b.charged(at)) for b in bills], owed=owed,
            today=today, url=pay_url(token))
        provider = {"email": "postmark", "sms": "twilio", "letter": "print_queue"}[channel]
        ident = (f"{self.rng.getrandbits(128):032x}" if channel == "email"
                 else f"SM{self.rng.getrandbits(128):032x}" if channel == "sms" else "")
        message = MessageRow(
            client=client, channel=channel, language=content.language,
            to=client.contact_for(channel), subject=content.subject,
            text=(f"{_COPY_NOTE.get(content.language, _COPY_NOTE['en'])}\n\n{content.text}"
                  if copy else content.text), html=content.html, provider=provider,
            provider_message_id=ident, created_at=at, sent_at=at,
            status={"email": "sent", "sms": "sent", "letter": "print_queue"}[channel],
            tone=words.tone, segments=content.segments, rank=words.rank)
        if channel == "letter":
            message.provider_message_id = "letter-"  # + its id once written (write_before)
        self.out.messages.append(message)
        self.out.links.append(PayLinkRow(
            client=client, token_hash=token_hash(token), message=message, created_at=at,
            expires_at=at + timedelta(days=self.link_days)))
        return message

    def _record_sent(self, sim: Sim, message: MessageRow, words: engine.Step,
                     rows: Sequence[ReminderRow], at: datetime) -> None:
        """outbox.record_sent: the timeline entry of a message that reached the client."""
        kind, channel = {"email": (InteractionKind.EMAIL_REMINDER, InteractionChannel.EMAIL),
                         "sms": (InteractionKind.SMS_REMINDER, InteractionChannel.SMS),
                         "letter": (InteractionKind.LETTER_REMINDER, InteractionChannel.LETTER),
                         }[message.channel]
        headline = message.subject or message.text[:120]
        self.ledger.record(
            sim.client, kind, f"{words.name}: {headline}"[:300], at, channel=channel,
            metadata={"message_id": None, "provider": message.provider,
                      "provider_message_id": message.provider_message_id, "step": words.name,
                      "tone": words.tone, "segments": message.segments},
            invoices=_invoices(rows))
        entry = self.ledger.entries[-1]
        entry.content = {"to": message.to, "subject": message.subject, "text": message.text,
                         "html": message.html}
        self.out.names.append((entry, "message_id", message))

    def _post(self, sim: Sim, message: MessageRow, words: engine.Step,
              rows: Sequence[ReminderRow], at: datetime) -> None:
        """The print queue: the day's letters are posted that afternoon (batch_mark_posted;
        the history's letters have no printed PDF, so none waits in the queue)."""
        local = sim.local(at)
        posted = max(datetime.combine(local.date(), time(16, self.rng.randrange(45)),
                                      tzinfo=local.tzinfo), at + timedelta(minutes=10))
        message.status = "posted"
        self._record_sent(sim, message, words, rows, min(posted, self.end_at - timedelta(
            seconds=1)))

    def _email_copy(self, sim: Sim, rows: list[ReminderRow], words: engine.Step, at: datetime,
                    today: date) -> None:
        """dispatch._email_copy: the letter of demand's copy by e-mail (no reminder rows)."""
        copy = self._compose(sim, rows, words, "email", at + timedelta(seconds=2), today,
                             copy=True)
        copy.rank = 0  # carries no reminders: neither the policy nor the floor counts it
        self._record_sent(sim, copy, words, rows, copy.created_at)
        self._delivered(sim, copy, rows, copy.created_at)

    def _event(self, message: MessageRow | None, provider: str, key: str, event: str,
               at: datetime, recipient: str, detail: dict[str, Any] | None = None) -> None:
        self.out.events.append(EventRow(
            message=message, provider=provider, event_key=key, event=event, occurred_at=at,
            recipient=recipient, detail=detail or {},
            received_at=at + timedelta(seconds=self.rng.randint(1, 20))))

    def _delivery(self, sim: Sim, message: MessageRow, rows: Sequence[ReminderRow],
                  event: str, status: str, at: datetime, why: str = "") -> None:
        """events.record_event: the event, the status moved forward, the timeline."""
        self._event(message, message.provider, f"{message.provider_message_id}:{event}", event,
                    at, message.to)
        message.status = status
        label = {"delivered": "delivered", "opened": "opened", "clicked": "link clicked",
                 "bounced": "bounced"}[status]
        self.ledger.record(
            sim.client, InteractionKind.DELIVERY,
            f"{LABEL[message.channel]} to {message.to}: {label}{' — ' + why if why else ''}"
            [:300], at, channel=message.channel,
            metadata={"message_id": None, "event": event, "provider": message.provider},
            invoices=_invoices(rows))
        self.out.names.append((self.ledger.entries[-1], "message_id", message))

    def _delivered(self, sim: Sim, message: MessageRow, rows: Sequence[ReminderRow],
                   at: datetime) -> datetime | None:
        delivered = at + timedelta(seconds=self.rng.randint(4, 90))
        if delivered >= self.end_at:
            return None
        self._delivery(sim, message, rows, "delivered", "delivered", delivered)
        return delivered

    def _email_fate(self, sim: Sim, message: MessageRow, rows: list[ReminderRow],
                    at: datetime) -> None:
        if not sim.bounced and self.rng.random() < BOUNCE:
            self._bounce(sim, message, rows, at)
            return
        delivered = self._delivered(sim, message, rows, at)
        if delivered is None or self.rng.random() >= OPENED:
            return
        # Opened within minutes to two days; people read mail in the daytime.
        opened = delivered + timedelta(minutes=int(self.rng.expovariate(1 / 240)) + 2)
        if opened >= self.end_at:
            return
        self._delivery(sim, message, rows, "opened", "opened", opened)
        # Those about to pay click more often: the pay-now link is how they pay.
        paying = any(r.bill.settled_at is not None
                     and opened <= r.bill.settled_at <= opened + timedelta(days=7) for r in rows)
        if self.rng.random() >= (0.7 if paying else CLICKED):
            return
        clicked = opened + timedelta(seconds=self.rng.randint(20, 900))
        if clicked >= self.end_at:
            return
        self._delivery(sim, message, rows, "clicked", "clicked", clicked)
        link = next(ln for ln in reversed(self.out.links) if ln.message is message)
        link.first_visit_at = link.last_visit_at = clicked
        link.visits = 1
        self.counts["clicks"] += 1

    def _bounce(self, sim: Sim, message: MessageRow, rows: list[ReminderRow], at: datetime
                ) -> None:
        """A hard bounce: flag the address, fall back to the next channel (fallback.fall_back)."""
        bounced = at + timedelta(seconds=self.rng.randint(20, 120))
        sim.bounced = True
        message.failed = True
        message.status_detail = BOUNCE_WHY
        self._delivery(sim, message, rows, "bounced", "bounced", bounced, BOUNCE_WHY)
        for row in rows:
            if row.step.legal_notice:
                row.bill.notice_sent_on = None
        self._fall_back(sim, rows, "email", bounced,
                        f"Email to {message.to} bounced: {BOUNCE_WHY}.", FlagReason.BOUNCED)
        self.counts["bounces"] += 1

    def _sms_fate(self, sim: Sim, message: MessageRow, rows: list[ReminderRow], at: datetime
                  ) -> None:
        delivered = self._delivered(sim, message, rows, at)
        if delivered is None or sim.opted_out or self.rng.random() >= OPT_OUT:
            return
        # The client replies STOP (events.opt_out): SMS is flagged, the next channel is used.
        stop = delivered + timedelta(minutes=self.rng.randint(5, 180))
        if stop >= self.end_at:
            return
        sim.opted_out = True
        sid = f"SM{self.rng.getrandbits(128):032x}"
        self._event(None, "twilio-inbound", sid, "inbound", stop, message.to,
                    {"Body": "STOP", "OptOutType": "STOP"})
        self._flag(sim, "sms", message.to, FlagReason.OPTED_OUT, "the client replied STOP", stop)
        self.counts["opt-outs"] += 1

    def _flag(self, sim: Sim, channel: str, value: str, reason: FlagReason, detail: str,
              at: datetime) -> None:
        """clients.services.contact_flag."""
        flag = FlagRow(client=sim.client, channel=channel, value=value, reason=reason.value,
                       detail=detail, created_at=at)
        self.out.flags.append(flag)
        sim.flags.append((at, channel))
        self.ledger.record(
            sim.client, InteractionKind.STATUS_CHANGE,
            f"{Channel(channel).label} {value} flagged: {reason.label.lower()}"
            f"{' (' + detail + ')' if detail else ''}"[:300], at,
            channel=channel if channel in InteractionChannel.values
            else InteractionChannel.SYSTEM,
            metadata={"contact_flag": None, "channel": channel, "value": value,
                      "reason": reason.value})
        self.out.names.append((self.ledger.entries[-1], "contact_flag", flag))

    def _fall_back(self, sim: Sim, rows: list[ReminderRow], failed: str, at: datetime,
                   why: str, flag: FlagReason | None = None) -> None:
        """fallback.fall_back: the next working channel the rows have not tried, at once."""
        if flag is not None:
            self._flag(sim, failed, sim.client.contact_for(failed), flag, why, at)
        tried = {*rows[0].failed_channels, failed}
        options = [c for c in sim.channels(at) if c not in tried]
        if rows[0].step.legal_notice:
            allowed = (planner.LEGAL_CHANNELS if rows[0].step.spec.channel == "preferred"
                       else (rows[0].step.spec.channel,))
            options = [c for c in options if c in allowed]
        for row in rows:
            row.failed_channels = [*row.failed_channels, failed]
        if not options:
            self._close(rows, "failed", at, f"{why} No other channel reaches the client.")
            return
        nxt = options[0]
        for row in rows:
            row.status, row.channel, row.attempts = "scheduled", nxt, 0
            row.scheduled_for = at + timedelta(minutes=1)
            row.last_error = f"{why} Falling back to {LABEL.get(nxt, nxt)}."
        contact = sim.client.contact_for(nxt)
        target = LABEL.get(nxt, nxt) + (f" to {contact}" if contact else "")
        self.ledger.record(sim.client, InteractionKind.DELIVERY, f"{why} Next: {target}."[:300],
                           at, metadata={"fallback_from": failed, "fallback_to": nxt},
                           invoices=_invoices(rows))

    # --- Calls -------------------------------------------------------------------------------

    def _call_task(self, sim: Sim, bills: list[Bill], step: engine.Step, now: datetime) -> None:
        """phone.hand_to_caller: the client's open call task (one at a time), worked by the
        owner the same afternoon or the next business morning."""
        client, invoices = sim.client, [b.row for b in bills]
        title = f"Call {client.display_name} about {', '.join(i.number for i in invoices)}"
        task = sim.open_task
        if task is not None and task.status == "open" and (task.called_at is None
                                                           or task.called_at > now):
            added = [b for b in bills if b not in task.bills]
            task.bills.extend(added)
            self.ledger.record(client, InteractionKind.NOTE,
                               f"Open call task updated ({step.name})"
                               + (f": added {', '.join(b.row.number for b in added)}"
                                  if added else ""), now,
                               metadata={"task": None, "step": step.name}, invoices=invoices)
            self.out.names.append((self.ledger.entries[-1], "task", task))
            return
        local = sim.local(now)
        day, hour = ((local.date(), self.rng.randint(14, 16)) if local.time() < time(13) else
                     (cal.next_business_day(local.date() + timedelta(days=1), sim.spec.country),
                      self.rng.randint(10, 11)))
        called = datetime.combine(day, time(hour, self.rng.randrange(60)), tzinfo=local.tzinfo)
        task = TaskRow(kind="call", client=client, assigned_to=sim.profile.owner, title=title,
                       script="", due_at=now, status="open", step=step, created_at=now,
                       bills=list(bills), called_at=called if called < self.end_at else None)
        sim.open_task = task
        self.out.tasks.append(task)
        self.ledger.record(client, InteractionKind.CALL, f"Call task created: {title}"[:300],
                           now, channel=InteractionChannel.PHONE,
                           metadata={"task": None, "step": step.name}, invoices=invoices)
        self.ledger.entries[-1].content = {"script": ""}
        self.out.names.append((self.ledger.entries[-1], "task", task))
        if task.called_at is not None:
            self._call(sim, task, step)

    def _call(self, sim: Sim, task: TaskRow, step: engine.Step) -> None:
        """The owner calls (work.calls.call_record): a promise when the client is about to
        pay (kept), now and then one they will not keep, else voicemail or no answer."""
        assert task.called_at is not None
        at, client, owner = task.called_at, sim.client, sim.profile.owner
        number = client.phone or client.mobile_phone
        bill = task.bills[0] if len(task.bills) == 1 else None
        today = sim.local(at).date()
        outcome, until = self.rng.choice(NO_PROMISE), None
        invoices = [b.row for b in task.bills if b.status(at) in ACTIVE]
        if bill is not None and invoices and "hand_to_collections" not in step.actions:
            settles = bill.settled_at
            if settles is not None and at < settles <= at + timedelta(days=12) \
                    and self.rng.random() < 0.75:
                outcome = "promise"
                until = max(sim.local(settles).date(), today + timedelta(days=1)) + timedelta(
                    days=self.rng.randint(0, 2))
            elif (settles is None or settles > at + timedelta(days=30)) \
                    and self.rng.random() < 0.3:
                outcome, until = "promise", today + timedelta(days=self.rng.randint(5, 10))
        amount = sum((b.balance(at) for b in task.bills if b.status(at) in ACTIVE), ZERO)
        self.out.attempts.append(AttemptRow(
            task=task, client=client, number=number, outcome=outcome, note="", called_at=at,
            called_by=owner, promised_on=until, promised_amount=amount if until else None))
        self.ledger.record(client, InteractionKind.CALL,
                           f"Call to {number}: {OUTCOME_LABEL[outcome]}", at, actor=owner,
                           channel=InteractionChannel.PHONE,
                           metadata={"task": None, "outcome": outcome, "number": number},
                           invoices=invoices)
        self.ledger.entries[-1].content = {"note": ""}
        self.out.names.append((self.ledger.entries[-1], "task", task))
        bisect.insort(sim.contacts, at)
        task.status, task.closed_at, task.closed_by = "done", at, owner
        if until is None or bill is None or not invoices:
            return
        currency = bill.row.currency
        when = at + timedelta(seconds=30)
        name = client.contact_name or client.display_name
        self.ledger.record(client, InteractionKind.PROMISE_TO_PAY,
                           f"{name} promised to pay {money_text(amount, currency)} by "
                           f"{until.isoformat()}", when, actor=owner,
                           channel=InteractionChannel.PHONE, invoices=invoices,
                           metadata={"promised_on": until.isoformat(), "amount": str(amount),
                                     "call": None, "plan": False})
        self.out.names.append((self.ledger.entries[-1], "call", self.out.attempts[-1]))
        bill.promises.append(Promise(when, until))
        bisect.insort(bill.wakeups, when + TICK)
        bill.row.promised_until = until
        bisect.insort(sim.contacts, when)
        kept = bill.settled_at is not None and sim.local(bill.settled_at).date() <= until
        self.counts["promises kept" if kept else "promises"] += 1

    # --- After the ticks: the book reads on from what the engine did --------------------------

    def _settle(self, sim: Sim) -> None:
        """An invoice the engine handed over stays in collections (unless paid, written off
        later); a promise flagged as broken no longer holds the invoice."""
        for bill in sim.bills:
            promise = bill.promises[-1] if bill.promises else None
            if promise is not None and promise.flagged:
                bill.row.promised_until = None
            if bill.handed_over is None:
                continue
            for entry in bill.transitions:
                if entry.invoices != [bill.row] or entry.occurred_at <= bill.handed_over:
                    continue
                if entry.metadata["to"] == InvoiceStatus.IN_COLLECTIONS:
                    self.out.removed.add(id(entry))  # already there: the engine did it
                    continue
                after = InvoiceStatus(entry.metadata["to"])
                reason = entry.metadata.get("reason", "")
                entry.metadata = {**entry.metadata, "from": InvoiceStatus.IN_COLLECTIONS.value}
                entry.summary = (f"Invoice {bill.row.number}: "
                                 f"{InvoiceStatus.IN_COLLECTIONS.label.lower()} → "
                                 f"{after.label.lower()}" + (f" ({reason})" if reason else ""))
            if bill.row.status in ACTIVE:
                bill.row.status = InvoiceStatus.IN_COLLECTIONS.value
        for row in sim.outbox:
            self.out.reminders.append(row)
            self.counts[f"reminders {row.status}"] += 1

    # --- Writing -----------------------------------------------------------------------------

    def write_before(self, writer: Writer) -> None:
        """Messages, contact flags, call tasks and attempts: the round's timeline names them."""
        out = self.out
        if out.removed:
            self.ledger.entries = [e for e in self.ledger.entries if id(e) not in out.removed]
        message_model = _model("reminders.OutboundMessage")
        writer.write(message_model, out.messages, own_times=True)
        letters = [m for m in out.messages if m.channel == "letter"]
        if letters:  # the print queue's id, as LetterChannel hands it back: letter-<id>
            message_model._default_manager.filter(pk__in=[m.id for m in letters]).update(
                provider_message_id=Concat(Value("letter-"), Cast("id", CharField())))
            for message in letters:
                message.provider_message_id = f"letter-{message.id}"
        writer.write(ContactFlag, out.flags)
        writer.write(_model("work.Task"), out.tasks)
        writer.write(_model("work.CallAttempt"), out.attempts)
        for entry, key, row in out.names:
            entry.metadata[key] = row.pk
            if isinstance(row, MessageRow) and entry.metadata.get("provider_message_id"):
                entry.metadata["provider_message_id"] = row.provider_message_id

    def write_after(self, writer: Writer) -> None:
        """Reminders, events, pay links and the tasks' invoices."""
        out = self.out
        writer.write(_model("reminders.Reminder"), out.reminders, own_times=True)
        writer.write(_model("reminders.MessageEvent"), out.events, own_times=True)
        writer.write(_model("answers.PayLink"), out.links)
        task_model = _model("work.Task")
        through = task_model._meta.get_field("invoices").remote_field.through  # type: ignore[union-attr]
        writer.write(through, [TaskInvoiceRow(task, bill.row) for task in out.tasks
                               for bill in task.bills])
        self.counts["call tasks"] += len(out.tasks)


_COPY_NOTE = {
    "en": "This is a copy of the letter we are sending you by post today.",
    "de": "Dies ist eine Kopie des Schreibens, das wir Ihnen heute per Post senden.",
    "fr": "Ceci est une copie du courrier que nous vous envoyons aujourd'hui par la poste.",
    "es": "Esta es una copia de la carta que le enviamos hoy por correo postal.",
}


def _by_step(rows: list[ReminderRow]) -> dict[engine.Step, list[ReminderRow]]:
    grouped: dict[engine.Step, list[ReminderRow]] = defaultdict(list)
    for row in rows:
        grouped[row.step].append(row)
    return grouped


def _invoices(rows: Iterable[ReminderRow]) -> list[InvoiceRow]:
    return list({id(r.invoice): r.invoice for r in rows}.values())
