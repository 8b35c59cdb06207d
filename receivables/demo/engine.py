"""The reminder engine's rules, in memory: what ``reminders.planner`` decides and the rules
``reminders.dispatch`` keeps, for the demo book's history.

The demo package sits below the reminder engine (``receivables`` is a lower layer than
``reminders``, see the import-linter contracts), so it cannot call the engine; as
``bookkeeping.Ledger`` mirrors receivables.services, this module mirrors the engine rule for
rule, with the same ``core.calendar`` functions and the same names: ``plan``, ``step_day``,
``send_time``, ``next_message_day``, ``overdue_on``, ``stale_on``, ``resolve_channel``
(the planner), ``lead_step``, ``floor_voice``, ``speaks_at_floor``, ``escalates`` (the
dispatcher). ``tests/receivables/test_demo_history.py`` compares ``plan`` with
``reminders.planner.plan`` on the demo book's own invoices, so a change to one that the other
does not follow fails there.

Only the planner's pure core is here; what it reads from the database (cadences, business
hours) comes in as plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from core import calendar as cal

ACTIVE_STATUSES = frozenset({"open", "partially_paid"})
TONE_RANK = {"friendly": 0, "firm": 1, "final": 2}
LEGAL_CHANNELS = ("letter", "email")  # a legal notice never goes by SMS or a call
SEND_MESSAGE = "send_message"
ESCALATING = frozenset({"hand_to_collections", "mark_escalated"})

# The planner's stops, by value.
PAID, VOID, PAUSED, HELD, PROMISED = "paid", "void", "paused", "held_after_a_personal_contact", \
    "promise_to_pay"
NO_CHANNEL, NO_LEGAL_CHANNEL, CADENCE_DONE = "no_usable_channel", \
    "no_channel_for_the_legal_notice", "cadence_complete"
_STATUS_STOPS = frozenset({"paid", "void", "written_off", "disputed", "in_collections", "draft"})


@dataclass(frozen=True)
class StepSpec:
    id: int
    offset_days: int
    channel: str = "preferred"
    only_tags: frozenset[str] = frozenset()
    legal_notice: bool = False
    needs_notice: bool = False
    notice_days: int = 14


@dataclass(frozen=True)
class ClientSpec:
    timezone: str
    country: str
    channels: tuple[str, ...]
    pay_run_days: tuple[int | str, ...] = ()
    paused_until: date | None = None
    held_until: date | None = None
    tags: frozenset[str] = frozenset()
    business_start: time = time(9, 0)
    business_end: time = time(17, 0)
    payrun_lead_business_days: int = 2


@dataclass(frozen=True)
class InvoiceSpec:
    id: int
    status: str
    issue_date: date
    due_date: date
    balance: Decimal
    promised_until: date | None = None
    planned_step_ids: frozenset[int] = frozenset()
    paused_until: date | None = None
    notice_sent_on: date | None = None


@dataclass(frozen=True)
class Plan:
    due_step: StepSpec | None = None
    send_at: datetime | None = None
    channel: str | None = None
    skipped_step_ids: tuple[int, ...] = ()
    next_action_at: datetime | None = None
    stop: str | None = None
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Step:
    """A cadence step with what the dispatcher reads of it (``spec`` is what the planner
    reads)."""

    spec: StepSpec
    name: str
    template_key: str
    tone: str
    actions: tuple[str, ...]
    cadence_id: int

    @property
    def id(self) -> int:
        return self.spec.id

    @property
    def pk(self) -> int:  # the CadenceStep row's id, for a foreign key
        return self.spec.id

    @property
    def offset_days(self) -> int:
        return self.spec.offset_days

    @property
    def legal_notice(self) -> bool:
        return self.spec.legal_notice

    @property
    def sends(self) -> bool:
        return SEND_MESSAGE in self.actions

    @property
    def rank(self) -> int:
        return TONE_RANK.get(self.tone, 0)


@dataclass(frozen=True)
class ContactPolicy:
    min_days: int = 7
    per_30_days: int = 4


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_start(day: date, client: ClientSpec) -> datetime:
    return datetime.combine(day, client.business_start, tzinfo=zone(client.timezone))


@lru_cache(maxsize=65536)
def _step_day(offset: int, issue: date, due: date, runs: tuple[int | str, ...], country: str,
              lead: int) -> date:
    day = due + timedelta(days=offset)
    if offset < 0 and runs:
        run = cal.last_pay_run_on_or_before(list(runs), due, country)
        if run is not None:
            nudge = cal.add_business_days(run, -lead, country)
            day = max(min(day, nudge), issue)
    return cal.next_business_day(day, country)


def step_day(step: StepSpec, invoice: InvoiceSpec, client: ClientSpec) -> date:
    """planner.step_day: the business day on which ``step`` is meant to go out."""
    return _step_day(step.offset_days, invoice.issue_date, invoice.due_date,
                     client.pay_run_days, client.country, client.payrun_lead_business_days)


def send_time(day: date, now: datetime, client: ClientSpec) -> datetime:
    """planner.send_time."""
    return cal.business_moment(day, now, timezone=client.timezone, country=client.country,
                               start=client.business_start, end=client.business_end)


def _stop(invoice: InvoiceSpec) -> str | None:
    if invoice.status in ACTIVE_STATUSES and invoice.balance <= 0:
        return PAID
    if invoice.status not in ACTIVE_STATUSES:
        return invoice.status if invoice.status in _STATUS_STOPS else VOID
    return None


def next_message_day(sent: tuple[date, ...], day: date, *, policy: ContactPolicy) -> date:
    """planner.next_message_day."""
    earliest = day
    if sent:
        earliest = max(earliest, max(sent) + timedelta(days=max(policy.min_days, 1)))
        recent = sorted(d for d in sent if d > earliest - timedelta(days=30))
        if policy.per_30_days and len(recent) >= policy.per_30_days:
            earliest = max(earliest, recent[-policy.per_30_days] + timedelta(days=30))
    return earliest


def overdue_on(due_date: date, day: date, country: str) -> bool:
    return cal.next_business_day(due_date, country) < day


def stale_on(offset_days: int, due_date: date, day: date, country: str) -> bool:
    return offset_days <= 0 and overdue_on(due_date, day, country)


def resolve_channel(step: StepSpec, client: ClientSpec) -> str | None:
    if step.legal_notice:
        allowed = LEGAL_CHANNELS if step.channel == "preferred" else (step.channel,)
        return next((c for c in client.channels if c in allowed), None)
    if step.channel == "call":
        return "call"
    if step.channel == "preferred":
        return client.channels[0] if client.channels else None
    return step.channel if step.channel in client.channels else (
        client.channels[0] if client.channels else None)


def plan(invoice: InvoiceSpec, client: ClientSpec, steps: tuple[StepSpec, ...],
         now: datetime) -> Plan:
    """planner.plan: what to do for ``invoice`` at ``now``."""
    stop = _stop(invoice)
    if stop is not None:
        return Plan(stop=stop)
    today = now.astimezone(zone(client.timezone)).date()
    for until, reason in ((client.paused_until, PAUSED), (client.held_until, HELD),
                          (invoice.paused_until, PAUSED), (invoice.promised_until, PROMISED)):
        if until is not None and today <= until:
            resume = cal.next_business_day(until + timedelta(days=1), client.country)
            return Plan(stop=reason, next_action_at=local_start(resume, client))
    applicable = sorted((s for s in steps if not s.only_tags or s.only_tags & client.tags),
                        key=lambda s: (s.offset_days, s.id))
    pending = [(step_day(s, invoice, client), s) for s in applicable
               if s.id not in invoice.planned_step_ids]
    last_done = max((s.offset_days for s in applicable if s.id in invoice.planned_step_ids),
                    default=None)
    if last_done is not None:
        pending = [(d, s) for d, s in pending if s.offset_days > last_done]
    arrived = [(d, s) for d, s in pending if d <= today]
    upcoming = [(d, s) for d, s in pending if d > today]
    next_at = local_start(upcoming[0][0], client) if upcoming else None
    if not arrived:
        return Plan(next_action_at=next_at, stop=None if upcoming else CADENCE_DONE)
    fresh = [(d, s) for d, s in arrived
             if not stale_on(s.offset_days, invoice.due_date, today, client.country)]
    if not fresh:
        return Plan(next_action_at=next_at, stop=None if upcoming else CADENCE_DONE)
    day, step = fresh[-1]
    arrived = [(d, s) for d, s in arrived if s.offset_days <= step.offset_days and s is not step]
    arrived.append((day, step))
    if step.needs_notice:
        notice = _notice_first(invoice, client, applicable, arrived, step, today)
        if isinstance(notice, datetime):
            return Plan(next_action_at=notice)
        if notice is not None:
            day, step = notice
            arrived = [(d, s) for d, s in arrived if s.offset_days < step.offset_days]
            arrived.append((day, step))
            next_at = local_start(cal.next_business_day(today + timedelta(days=1),
                                                        client.country), client)
    channel = resolve_channel(step, client)
    if channel is None:
        return Plan(stop=NO_LEGAL_CHANNEL if step.legal_notice else NO_CHANNEL,
                    next_action_at=next_at)
    return Plan(due_step=step, send_at=send_time(day, now, client), channel=channel,
                skipped_step_ids=tuple(s.id for _, s in arrived[:-1]), next_action_at=next_at)


def _notice_first(invoice: InvoiceSpec, client: ClientSpec, applicable: list[StepSpec],
                  arrived: list[tuple[date, StepSpec]], step: StepSpec,
                  today: date) -> tuple[date, StepSpec] | datetime | None:
    notices = [s for s in applicable if s.legal_notice and s.offset_days < step.offset_days]
    if not notices:
        return None
    notice = notices[-1]
    if notice.id not in invoice.planned_step_ids:
        day = next((d for d, s in arrived if s.id == notice.id), today)
        return day, notice
    if invoice.notice_sent_on is None:
        return local_start(cal.next_business_day(today + timedelta(days=1), client.country),
                           client)
    runs_out = invoice.notice_sent_on + timedelta(days=step.notice_days)
    if today < runs_out:
        return local_start(cal.next_business_day(runs_out, client.country), client)
    return None


# --- The dispatcher's rules -----------------------------------------------------------------


def escalates(step: Step) -> bool:
    """dispatch.escalates: a legal notice or a step that escalates."""
    return step.legal_notice or bool(ESCALATING & set(step.actions))


def lead_step(steps: Iterable[Step]) -> Step:
    """dispatch.lead_step: the most advanced step (tone, then day)."""
    return max(steps, key=lambda s: (s.rank, s.offset_days, s.id))


def floor_voice(steps: Iterable[Step], floor: int) -> Step | None:
    """dispatch.floor_voice: the latest ordinary message step in the floor's tone."""
    found = [s for s in steps if s.sends and not s.legal_notice and s.rank == floor]
    return max(found, key=lambda s: (s.offset_days, s.id), default=None)


def speaks_at_floor(step: Step, due: date, floor: int, voice: Step | None, today: date,
                    country: str) -> bool:
    """dispatch.speaks_at_floor."""
    if step.rank >= floor:
        return True
    return voice is not None and overdue_on(due, today, country)
