"""The reminder planner: a pure function from an invoice's state, its client's preferences, the
cadence and "now" to the step that is due (if any), when it should go out, and when the invoice
next needs looking at.

No database, no Django, no providers (an import-linter contract keeps it so): the scheduler
loads plain values in batches, calls ``plan`` for each open invoice, and writes the results.

Rules, in the order they apply:

1. **Stops.** Nothing is planned for an invoice that is paid, void, written off, disputed or in
   collections, whose client has paused reminders, was in personal contact within the hold
   (a call, a note, a reply: people first), or promised to pay by a date not yet passed,
   or that has no usable channel. Pauses and promises still give a ``next_action_at`` (the day
   after they end) so the invoice is looked at again exactly then.
2. **Step dates.** A step's day is the due date plus its offset. A pre-due step moves earlier to
   ``payrun_lead_business_days`` business days before the client's last pay run on or before the
   due date (so the nudge lands before the run that will pay the invoice), never before the
   issue date. Every day moves forward to the client's next business day (weekends and public
   holidays of the client's country).
3. **Send time.** The start of the client's business hours on that day, in the client's time
   zone (DST-safe: local wall-clock times are converted with zoneinfo); a step whose day is
   today goes out now if now is inside business hours, otherwise at the next business-day start.
4. **Catch-up.** Of all steps whose day has come and that were never planned, only the latest
   one is due; the earlier ones are reported as skipped, so an invoice imported 40 days overdue
   gets the +30 letter, not five messages at once. A pre-due or due-today step is never caught
   up once the invoice is overdue (its words would be untrue).
5. **Legal steps keep their channel.** A legal notice (the letter of demand) goes only by its
   own channel — by letter or e-mail when the step says "preferred" — never by SMS or a call;
   when that channel cannot reach the client nothing is sent and a person gets a task
   (``Stop.NO_LEGAL_CHANNEL``).
6. **Escalation needs its notice.** A step that needs notice (hand-over to collections) happens
   only after the cadence's legal notice went out for this invoice and its notice period
   passed. A catch-up that arrives at such a step sends the notice instead (never skips it),
   then waits the notice period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from core import calendar as cal

ACTIVE_STATUSES = frozenset({"open", "partially_paid"})
QUIET_START = time(21, 0)  # never send between 21:00 and 08:00 local time
QUIET_END = time(8, 0)


class Stop(StrEnum):
    PAID = "paid"
    VOID = "void"
    WRITTEN_OFF = "written_off"
    DISPUTED = "disputed"
    IN_COLLECTIONS = "in_collections"
    DRAFT = "draft"
    PAUSED = "paused"
    HELD = "held_after_a_personal_contact"
    PROMISED = "promise_to_pay"
    NO_CHANNEL = "no_usable_channel"
    NO_LEGAL_CHANNEL = "no_channel_for_the_legal_notice"
    CADENCE_DONE = "cadence_complete"


@dataclass(frozen=True)
class StepSpec:
    id: int
    offset_days: int
    channel: str = "preferred"  # or email | sms | letter | call
    only_tags: frozenset[str] = frozenset()  # empty = every client
    legal_notice: bool = False  # the letter of demand: its own channel or none
    needs_notice: bool = False  # after the legal notice and its notice period only
    notice_days: int = 14  # the cadence's notice period


@dataclass(frozen=True)
class ClientSpec:
    timezone: str
    country: str
    channels: tuple[str, ...]  # usable channels in preference order
    pay_run_days: tuple[int | str, ...] = ()
    paused_until: date | None = None
    held_until: date | None = None  # a person spoke with the client: automated messages wait
    tags: frozenset[str] = frozenset()
    business_start: time = time(9, 0)
    business_end: time = time(17, 0)
    payrun_lead_business_days: int = 2

    def __post_init__(self) -> None:
        if not QUIET_END <= self.business_start < self.business_end <= QUIET_START:
            raise ValueError("Business hours must lie between 08:00 and 21:00 and start "
                             "before they end.")


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
    notice_sent_on: date | None = None  # the client's local day the legal notice went out


@dataclass(frozen=True)
class Plan:
    due_step: StepSpec | None = None
    send_at: datetime | None = None
    channel: str | None = None
    skipped_step_ids: tuple[int, ...] = ()
    next_action_at: datetime | None = None
    stop: Stop | None = None
    notes: tuple[str, ...] = field(default=())


def _local_start(day: date, client: ClientSpec) -> datetime:
    return datetime.combine(day, client.business_start, tzinfo=ZoneInfo(client.timezone))


def step_day(step: StepSpec, invoice: InvoiceSpec, client: ClientSpec) -> date:
    """The business day on which ``step`` is meant to go out."""
    if step.offset_days < 0 and client.pay_run_days:
        return _step_day(step.offset_days, invoice.due_date, invoice.issue_date,
                         client.pay_run_days, client.payrun_lead_business_days, client.country)
    return _step_day(step.offset_days, invoice.due_date, None, (), 0, client.country)


# A planning pass asks for the same few hundred due dates and offsets per country over and
# over: the answers (pure functions of their arguments) are kept.
_MEMO_SIZE = 1 << 16


@lru_cache(maxsize=_MEMO_SIZE)
def _step_day(offset_days: int, due_date: date, issue_date: date | None,
              pay_run_days: tuple[int | str, ...], lead: int, country: str) -> date:
    day = due_date + timedelta(days=offset_days)
    if issue_date is not None:  # a pre-due step of a client with a pay run
        run = cal.last_pay_run_on_or_before(list(pay_run_days), due_date, country)
        if run is not None:
            nudge = cal.add_business_days(run, -lead, country)
            day = max(min(day, nudge), issue_date)
    return cal.next_business_day(day, country)


@lru_cache(maxsize=_MEMO_SIZE)
def _next_business_day(day: date, country: str) -> date:
    return cal.next_business_day(day, country)


def send_time(day: date, now: datetime, client: ClientSpec) -> datetime:
    """When a step meant for ``day`` goes out: that day's business-hours start, or now when
    the day has come and we are inside business hours, else the next business-day start."""
    return cal.business_moment(day, now, timezone=client.timezone, country=client.country,
                               start=client.business_start, end=client.business_end)


def quiet_hours(now: datetime, timezone: str) -> datetime | None:
    """None when ``now`` is inside 08:00-21:00 in ``timezone`` (when an SMS may go out),
    else the moment the quiet hours end there."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() + timedelta(days=1) if local.time() >= QUIET_START else local.date()
    return datetime.combine(day, QUIET_END, tzinfo=zone)


def _stop(invoice: InvoiceSpec) -> Stop | None:
    if invoice.status in ACTIVE_STATUSES and invoice.balance <= 0:
        return Stop.PAID
    if invoice.status not in ACTIVE_STATUSES:
        return Stop(invoice.status) if invoice.status in Stop._value2member_map_ else Stop.VOID
    return None


LEGAL_CHANNELS = ("letter", "email")  # a legal notice never goes by SMS or a call


TONE_RANK = {"friendly": 0, "firm": 1, "final": 2}


@dataclass(frozen=True)
class ContactPolicy:
    """One considerate voice per client: at most one automated message per ``min_days`` and
    at most ``per_30_days`` in any 30 days."""

    min_days: int = 7
    per_30_days: int = 4


def next_message_day(sent: tuple[date, ...], day: date, *, policy: ContactPolicy) -> date:
    """The first day on or after ``day`` that a message may go out, given the local days
    earlier automated messages went out on."""
    earliest = day
    if sent:
        earliest = max(earliest, max(sent) + timedelta(days=max(policy.min_days, 1)))
        recent = sorted(d for d in sent if d > earliest - timedelta(days=30))
        if policy.per_30_days and len(recent) >= policy.per_30_days:
            earliest = max(earliest, recent[-policy.per_30_days] + timedelta(days=30))
    return earliest


def overdue_on(due_date: date, day: date, country: str) -> bool:
    """Whether an invoice is overdue on ``day``: past its due date moved to a business day
    (an invoice due on a Sunday is payable on the Monday)."""
    return _next_business_day(due_date, country) < day


def stale_on(offset_days: int, due_date: date, day: date, country: str) -> bool:
    """A step before or on the due date ("due in three days", "due today") says something
    untrue once the invoice is overdue: held back past that, it is dropped, not sent late."""
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


# The steps that apply to clients with these tags, in cadence order, per steps tuple (a pass
# plans every invoice of a cadence against the same tuple): kept by identity, with the tuple
# itself, so an entry is never taken for another tuple.
_APPLICABLE: dict[tuple[int, frozenset[str]],
                  tuple[tuple[StepSpec, ...], tuple[StepSpec, ...]]] = {}


def _applicable(steps: Sequence[StepSpec], tags: frozenset[str]) -> tuple[StepSpec, ...]:
    kept = type(steps) is tuple and type(tags) is frozenset  # immutable: kept as they are
    key = (id(steps), tags)
    if kept and (found := _APPLICABLE.get(key)) is not None and found[0] is steps:
        return found[1]
    applicable = tuple(sorted((s for s in steps if not s.only_tags or s.only_tags & tags),
                              key=lambda s: (s.offset_days, s.id)))
    if kept:
        if len(_APPLICABLE) >= 1024:
            _APPLICABLE.clear()
        _APPLICABLE[key] = (tuple(steps), applicable)
    return applicable


def plan(invoice: InvoiceSpec, client: ClientSpec, steps: tuple[StepSpec, ...],
         now: datetime) -> Plan:
    """What to do for ``invoice`` at ``now``. See the module docstring for the rules."""
    stop = _stop(invoice)
    if stop is not None:
        return Plan(stop=stop)
    today = now.astimezone(ZoneInfo(client.timezone)).date()
    for until, reason in ((client.paused_until, Stop.PAUSED),
                          (client.held_until, Stop.HELD),
                          (invoice.paused_until, Stop.PAUSED),
                          (invoice.promised_until, Stop.PROMISED)):
        if until is not None and today <= until:
            resume = cal.next_business_day(until + timedelta(days=1), client.country)
            return Plan(stop=reason, next_action_at=_local_start(resume, client))
    applicable = _applicable(steps, client.tags)
    planned = invoice.planned_step_ids
    if client.pay_run_days:
        pending = [(step_day(s, invoice, client), s) for s in applicable if s.id not in planned]
    else:  # step_day without a pay run, inline: this runs for every step of every invoice
        due, country = invoice.due_date, client.country
        pending = [(_step_day(s.offset_days, due, None, (), 0, country), s)
                   for s in applicable if s.id not in planned]
    if planned:
        # Never go back to an earlier step once a later one was planned.
        last_done = max((s.offset_days for s in applicable if s.id in planned), default=None)
        if last_done is not None:
            pending = [(d, s) for d, s in pending if s.offset_days > last_done]
    arrived: list[tuple[date, StepSpec]] = []
    upcoming: date | None = None  # the day of the first step still to come
    for d, s in pending:
        if d <= today:
            arrived.append((d, s))
        elif upcoming is None:
            upcoming = d
    next_at = _local_start(upcoming, client) if upcoming is not None else None
    if not arrived:
        return Plan(next_action_at=next_at,
                    stop=None if upcoming is not None else Stop.CADENCE_DONE)
    # A pre-due step whose day passed while the invoice fell overdue is not caught up: its
    # words ("due in three days", "due today") are no longer true.
    fresh = [(d, s) for d, s in arrived
             if not stale_on(s.offset_days, invoice.due_date, today, client.country)]
    if not fresh:
        return Plan(next_action_at=next_at,
                    stop=None if upcoming is not None else Stop.CADENCE_DONE)
    day, step = fresh[-1]
    arrived = [(d, s) for d, s in arrived if s.offset_days <= step.offset_days and s is not step]
    arrived.append((day, step))
    if step.needs_notice:
        notice = _notice_first(invoice, client, applicable, arrived, step, today)
        if isinstance(notice, datetime):  # the notice went out or waits: not yet
            return Plan(next_action_at=notice)
        if notice is not None:
            day, step = notice
            arrived = [(d, s) for d, s in arrived if s.offset_days < step.offset_days]
            arrived.append((day, step))
            # Looked at again the next business day: the notice is out, then it runs.
            next_at = _local_start(cal.next_business_day(today + timedelta(days=1),
                                                         client.country), client)
    channel = resolve_channel(step, client)
    if channel is None:
        return Plan(stop=Stop.NO_LEGAL_CHANNEL if step.legal_notice else Stop.NO_CHANNEL,
                    next_action_at=next_at)
    return Plan(due_step=step, send_at=send_time(day, now, client), channel=channel,
                skipped_step_ids=tuple(s.id for _, s in arrived[:-1]), next_action_at=next_at)


def _notice_first(invoice: InvoiceSpec, client: ClientSpec, applicable: Sequence[StepSpec],
                  arrived: list[tuple[date, StepSpec]], step: StepSpec,
                  today: date) -> tuple[date, StepSpec] | datetime | None:
    """For a step that needs notice: the legal notice to send first (its day and step), the
    moment to look again while the notice is on its way or running, or None to go ahead (the
    notice period passed, or the cadence has no legal notice to wait for)."""
    notices = [s for s in applicable if s.legal_notice and s.offset_days < step.offset_days]
    if not notices:
        return None
    notice = notices[-1]
    if notice.id not in invoice.planned_step_ids:
        day = next((d for d, s in arrived if s.id == notice.id), today)
        return day, notice
    if invoice.notice_sent_on is None:  # planned, not yet out: look again tomorrow
        return _local_start(cal.next_business_day(today + timedelta(days=1), client.country),
                            client)
    runs_out = invoice.notice_sent_on + timedelta(days=step.notice_days)
    if today < runs_out:
        return _local_start(cal.next_business_day(runs_out, client.country), client)
    return None
