"""Dispatch: send what the outbox says is due, each row exactly once.

Due rows are grouped per client (one message, a section per currency: amounts in different
currencies never add up) and claimed; a claimed group is checked again (paid, disputed,
paused, promised, plan, a hold after a personal contact), timed (the client's business hours,
the contact policy, no SMS at night), kept to the episode's tone (never a gentler one than
the client already had about what they owe) and handed to its channel
(``reminders.channels``). A transient provider error retries with backoff, a permanent
one flags the contact point and falls back to the client's next channel.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from answers import links
from answers.models import PayLink, PaymentPlan, PlanStatus
from clients.business import business
from clients.models import Client, InteractionKind
from clients.selectors import working_contact
from clients.services import interaction_record
from core import calendar as cal
from core import planner
from core import terms as termsmath
from receivables import selectors as receivables_selectors
from receivables.models import ACTIVE_STATUSES, AdjustmentKind, Invoice, InvoiceStatus
from receivables.services import adjustment_add, invoice_transition
from reminders import selectors
from reminders.channels import CHANNEL_LABEL, CHANNELS, PermanentError, TransientError
from reminders.channels.base import ChannelError, Handover
from reminders.channels.compose import render_message
from reminders.channels.fallback import fall_back
from reminders.channels.phone import hand_to_caller
from reminders.handoff import hand_off
from reminders.models import (
    FAILED_STATUSES,
    Cadence,
    CadenceStep,
    DispatchLease,
    MessageStatus,
    OutboundMessage,
    Reminder,
    ReminderStatus,
    StepAction,
)
from reminders.outbox import (
    TickReport,
    defer,
    record_sent,
    record_sent_many,
    recover,
    reminders_claim,
    set_status,
)
from reminders.rendering import TemplateError

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_BACKOFF = timedelta(minutes=15)

MAX_ATTEMPTS = 5

def due_rows(now: datetime, report: TickReport) -> QuerySet[Reminder]:
    """The rows due now, without the clients held while the payment data is stale (counted
    in ``report.held``)."""
    due = Reminder.objects.filter(status=ReminderStatus.SCHEDULED, scheduled_for__lte=now)
    feed = receivables_selectors.payment_feed(now=now)
    if feed is not None and feed.stale:
        # Never chase an invoice the client may have paid yesterday: while the accounting
        # system's payments are older than the admin's limit, clients whose books come from
        # it wait (their reminders stay due and go out on the first tick after a sync).
        held = due.filter(receivables_selectors.fed_client())
        report.held = held.values("client_id").distinct().count()
        if report.held:
            log.warning("Payment data is %s old (limit %s): reminders to %d clients held.",
                        feed.age_text, feed.limit, report.held)
        due = due.exclude(receivables_selectors.fed_client())
    return due


def due_client_chunks(now: datetime, report: TickReport, size: int) -> list[list[int]]:
    """The clients with rows due now, in chunks of ``size`` (the tick's fan-out)."""
    ids = list(due_rows(now, report).order_by("client_id").values_list(
        "client_id", flat=True).distinct())
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def reminders_dispatch(*, now: datetime, limit: int | None = None,
                       report: TickReport | None = None,
                       client_ids: Iterable[int] | None = None) -> TickReport:
    """Send what is due (to ``client_ids`` only, when given; to at most ``limit`` clients):
    per client, one message covering every invoice due for any step, in the most advanced
    step's words, within the contact policy. The due clients are taken in chunks of
    ``SETTLE_DISPATCH_CHUNK`` (``dispatch_clients``), in client order, until none is left."""
    report = report or TickReport()
    report.recovered += recover(now)
    due = due_rows(now, report)
    if client_ids is not None:
        due = due.filter(client_id__in=list(client_ids))
    size = max(1, int(settings.SETTLE_DISPATCH_CHUNK))
    after, left = 0, limit
    while left is None or left > 0:
        chunk = list(due.filter(client_id__gt=after).order_by("client_id").values_list(
            "client_id", flat=True).distinct()[:size if left is None else min(size, left)])
        if not chunk:
            break
        dispatch_clients(chunk, now, report)
        after = chunk[-1]
        left = None if left is None else left - len(chunk)
    return report


def dispatch_clients(client_ids: list[int], now: datetime, report: TickReport) -> None:
    """One chunk: lease the clients (one worker per client), then wave by wave: claim the
    due rows of a few hand-offs' worth of clients, load what the checks read once for them,
    check and compose each client's message, hand the messages to the providers as many at
    once as the hand-off allows, record the outcomes, renew the lease. A crash leaves at most
    one hand-off ``sending`` (review) and one wave ``claimed`` (back to the queue). Clients
    another worker holds are left to it (``busy_until`` says when they are free)."""
    token = uuid.uuid4().hex
    leased = lease_clients(client_ids, token)
    wave = LOAD_WAVES * max(1, int(settings.SETTLE_SEND_CONCURRENCY))
    try:
        for start in range(0, len(leased), wave):
            _dispatch_wave(leased[start:start + wave], now, report)
            renew_lease(token)
    finally:
        DispatchLease.objects.filter(token=token).update(token="", until=_EPOCH)


LOAD_WAVES = 4  # hand-offs per load: fewer statements per message, the same review risk


def _dispatch_wave(client_ids: list[int], now: datetime, report: TickReport) -> None:
    rows = claim_due(client_ids, now)
    if not rows:
        return
    groups: dict[int, list[Reminder]] = defaultdict(list)
    for row in rows:
        groups[row.client_id].append(row)
    # Templates, pay-now settings and what the messages say about each client are read once
    # for the wave (selectors.memoized), not once per message.
    with selectors.memoized():
        batch = Batch.load(rows, now)
        selectors.preload_message_context(
            (group[0].client, unique_invoices(group), group[0].client.local_today(now))
            for group in groups.values())
        try:
            for group in groups.values():
                dispatch_group(group, now, report, batch=batch)
        finally:  # what was composed goes out even when a later group failed
            batch.flush(report)


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.SETTLE_STALE_CLAIM_SECONDS)


def lease_clients(client_ids: list[int], token: str) -> list[int]:
    """The clients of ``client_ids`` no other worker is dispatching, now leased to ``token``
    (three statements, whatever the chunk's size). The lease runs on the real clock and
    lasts ``SETTLE_STALE_CLAIM_SECONDS`` unless renewed (``renew_lease``, after each wave):
    a worker that died leaves its clients to the others once it has run out."""
    DispatchLease.objects.bulk_create(
        [DispatchLease(client_id=pk, until=_EPOCH) for pk in client_ids],
        ignore_conflicts=True)
    DispatchLease.objects.filter(client_id__in=client_ids, until__lt=timezone.now()).update(
        token=token, until=_lease_end())
    return sorted(DispatchLease.objects.filter(token=token).values_list("client_id",
                                                                        flat=True))


def renew_lease(token: str) -> None:
    DispatchLease.objects.filter(token=token).update(until=_lease_end())


def busy_until(client_ids: list[int]) -> datetime | None:
    """When what other workers hold of these clients is theirs no longer (None: nothing
    held): the end of their leases, or of the claims a dead worker left (``recover`` puts
    those back, or into review, once they are stale)."""
    wall = timezone.now()
    lease = DispatchLease.objects.filter(client_id__in=client_ids, until__gt=wall).aggregate(
        end=models.Max("until"))["end"]
    claim = Reminder.objects.filter(
        client_id__in=client_ids, status__in=[ReminderStatus.CLAIMED, ReminderStatus.SENDING]
        ).aggregate(last=models.Max("claimed_at"))["last"]
    stale = (claim + timedelta(seconds=settings.SETTLE_STALE_CLAIM_SECONDS)
             if claim is not None else None)
    return max((t for t in (lease, stale) if t is not None), default=None)


def claim_due(client_ids: list[int], now: datetime) -> list[Reminder]:
    """Claim every row due now of the (leased) clients: one UPDATE, one SELECT."""
    if not client_ids:
        return []
    ids = list(Reminder.objects.filter(client_id__in=client_ids,
                                       status=ReminderStatus.SCHEDULED,
                                       scheduled_for__lte=now).values_list("pk", flat=True))
    return reminders_claim(ids, now) if ids else []


@dataclass
class Batch:
    """What the checks of a chunk's groups read, loaded once for the chunk, and the messages
    composed and waiting for the hand-off (``flush``)."""

    plans: dict[int, set[str]]
    contacts: dict[int, datetime]
    floors: dict[int, int]
    sent: dict[int, tuple[date, ...]]
    steps: dict[int, list[CadenceStep]] = field(default_factory=dict)
    outgoing: list[Pending] = field(default_factory=list)

    @classmethod
    def load(cls, rows: list[Reminder], now: datetime) -> Batch:
        clients = list({r.client_id: r.client for r in rows}.values())
        ids = [c.pk for c in clients]
        return cls(plans=_plan_statuses(rows),
                   contacts=selectors.last_personal_contact(ids, now),
                   floors=tone_floors(ids), sent=sent_days_of(clients, now))

    def steps_of(self, cadence_id: int) -> list[CadenceStep]:
        if cadence_id not in self.steps:
            self.steps[cadence_id] = list(CadenceStep.objects.filter(cadence_id=cadence_id))
        return self.steps[cadence_id]

    def flush(self, report: TickReport) -> None:
        """Hand every composed message to its provider (several at once) and record each
        outcome in turn."""
        pending, self.outgoing = self.outgoing, []
        business()  # the sender, cached before the threads read it
        # In waves as wide as the hand-off: what a crash can leave ``sending`` (a person
        # decides: review) is at most one wave, not the whole chunk.
        wave = max(1, int(settings.SETTLE_SEND_CONCURRENCY))
        for start in range(0, len(pending), wave):
            items = _store(pending[start:start + wave])
            outcomes = hand_off(items, lambda p: p.message.channel, _provider_call)
            _record_handovers([(item, outcome) for item, outcome in zip(
                items, outcomes, strict=True) if isinstance(outcome, Handover)], report)
            for item, outcome in zip(items, outcomes, strict=True):
                if not isinstance(outcome, Handover):
                    _finish(item, outcome, report)


@dataclass
class Pending:
    """A composed message whose rows are ``sending``: what its outcome is recorded with."""

    rows: list[Reminder]
    step: CadenceStep
    message: OutboundMessage  # saved by ``_store`` (with the chunk's others) before it goes
    token: str  # its pay link's
    now: datetime
    reply_to: str = ""  # read before the hand-off: the threads never touch the database
    after: Callable[[], None] | None = None
    link: PayLink | None = None


def _provider_call(item: Pending) -> Handover:
    return CHANNELS[item.message.channel].send(item.message, reply_to=item.reply_to)


def _plan_statuses(rows: list[Reminder]) -> dict[int, set[str]]:
    """Invoice id → statuses of the live payment plans covering it, for a group, in one query."""
    found: dict[int, set[str]] = defaultdict(set)
    for invoice_id, status in PaymentPlan.invoices.through.objects.filter(
            invoice_id__in={r.invoice_id for r in rows},
            paymentplan__status__in=[PlanStatus.PROPOSED, PlanStatus.ACCEPTED]).values_list(
            "invoice_id", "paymentplan__status"):
        found[invoice_id].add(status)
    return found

def _stop_reason(reminder: Reminder, plans: set[str]) -> str | None:
    """Why this reminder must not go out at all any more (paid, disputed, void, replaced by a
    payment plan, or its instalment paid or its plan ended)."""
    if reminder.instalment is not None:
        plan = reminder.instalment.plan
        if plan.status != PlanStatus.ACCEPTED:
            return f"the payment plan is {plan.get_status_display().lower()}"
        state = next(s for s in selectors.plan_progress(plan)
                     if s.number == reminder.instalment.number)
        return "the instalment is paid" if state.settled else None
    invoice = reminder.invoice
    if invoice.status not in ACTIVE_STATUSES or invoice.balance <= 0:
        return f"invoice is {invoice.get_status_display().lower()}"
    if PlanStatus.ACCEPTED in plans:
        return "replaced by the payment plan's reminders"
    return None

def _wait_until(reminder: Reminder, today: date, plans: set[str],
                held: date | None = None) -> date | None:
    """The last day of a pause, a pending promise, a hold after a personal contact, or a
    payment plan the bookkeeper has not decided on yet: the reminder waits, it is not
    dropped."""
    ends = [d for d in (reminder.client.reminders_paused_until, reminder.invoice.promised_until,
                        reminder.invoice.reminders_paused_until, held)
            if d is not None and today <= d]
    if PlanStatus.PROPOSED in plans and reminder.instalment is None:
        ends.append(today)  # looked at again tomorrow
    return max(ends) if ends else None


def _live_rows(rows: list[Reminder], now: datetime, report: TickReport, batch: Batch, *,
               hold: bool = True) -> list[Reminder]:
    """Cancel what must never go out; push back what waits for a pause or a promise."""
    client = rows[0].client
    spec = selectors.timing_spec(client)
    today = client.local_today(now)
    live = []
    plans = batch.plans
    # People first: a call, a note or a reply since planning holds the automated messages.
    held = selectors.hold_until(client, rows[0].step.cadence,
                                batch.contacts.get(client.pk)) if hold else None
    for row in rows:
        reason = _stop_reason(row, plans[row.invoice_id])
        wait = _wait_until(row, today, plans[row.invoice_id], held)
        if reason:
            set_status([row], ReminderStatus.CLAIMED, status=ReminderStatus.CANCELLED,
                 last_error=f"Not sent: {reason}.")
            report.cancelled += 1
        elif wait is not None:
            resume = cal.next_business_day(wait + timedelta(days=1), client.country)
            report.deferred += defer([row], planner.send_time(resume, now, spec))
        else:
            live.append(row)
    return live

def dispatch_group(rows: list[Reminder], now: datetime, report: TickReport, *,
                   hold: bool = True, batch: Batch | None = None) -> bool:
    """Check, time and send one claimed group; ``hold=False`` when a person asked for it now
    (their own contact with the client does not hold it back). Given a chunk's ``batch``,
    the checks read its preloads and the message waits in it for the hand-off; without
    one (a person's "send now"), the group is loaded and sent on its own."""
    alone = batch is None
    batch = batch or Batch.load(rows, now)
    try:
        return _dispatch_group(rows, now, report, hold=hold, batch=batch)
    finally:
        if alone:
            batch.flush(report)


def _dispatch_group(rows: list[Reminder], now: datetime, report: TickReport, *,
                    hold: bool, batch: Batch) -> bool:
    live = _live_rows(rows, now, report, batch, hold=hold)
    if not live:
        return False
    client = live[0].client
    spec = selectors.timing_spec(client)
    today = client.local_today(now)
    window = planner.send_time(today, now, spec)  # never outside local business hours
    if window > now:
        report.deferred += defer(live, window)
        return False
    live = _one_escalation(live, today, now, report)
    messages = [r for r in live if StepAction.SEND_MESSAGE in r.step.actions]
    for step, rows in _by_step([r for r in live if r not in messages]).items():
        _run_actions(rows, step, now)  # a call task, a hand-over: no message, no policy
        set_status(rows, ReminderStatus.CLAIMED, status=ReminderStatus.SENT, sent_at=now)
    if not messages:
        return False
    messages = _fresh(messages, today, report, "Not sent: the invoice is overdue now, so "
                      "this step's words no longer hold.")
    allowed = _next_message_day(messages, today, batch.sent.get(client.pk, ()),
                                hold) if messages else today
    if allowed > today:
        day = cal.next_business_day(allowed, client.country)
        messages = _fresh(messages, day, report, "Not sent: the contact policy holds messages "
                          f"until {day:%d %b %Y}, when the invoice is overdue and this step's "
                          "words no longer hold.")
        report.deferred += defer(messages, planner.send_time(day, now, spec))
        return False
    if not messages:
        return False
    floor = batch.floors.get(client.pk, 0)
    voice = floor_voice(batch.steps_of(messages[0].step.cadence_id), floor)
    quiet = [r for r in messages if not speaks_at_floor(
        r.step, _due_date(r), floor, voice, today, client.country)]
    for step, rows in _by_step(quiet).items():
        _run_actions(rows, step, now)  # its late fee still applies; the next message says so
        report.cancelled += set_status(
            rows, ReminderStatus.CLAIMED, status=ReminderStatus.SKIPPED,
            last_error="Not sent: the client has already had a firmer message about what "
                       "they owe; a gentler one now would step back.")
    messages = [r for r in messages if r not in quiet]
    if not messages:
        return False
    lead = lead_step(r.step for r in messages)
    if lead.legal_notice:  # a legal notice names only what is overdue
        early = [r for r in messages if not planner.overdue_on(_due_date(r), today,
                                                                client.country)]
        report.cancelled += set_status(
            early, ReminderStatus.CLAIMED, status=ReminderStatus.SKIPPED,
            last_error="Not sent: a letter of demand goes out today, and it names only "
                       "overdue invoices.")
        messages = [r for r in messages if r not in early]
    words = voice if voice is not None and _rank(voice) > _rank(lead) else lead
    return _send_merged(messages, now, report, words=words, batch=batch)


ESCALATING = frozenset({StepAction.HAND_TO_COLLECTIONS, StepAction.MARK_ESCALATED})


def escalates(step: CadenceStep) -> bool:
    """A legal notice or a step that escalates (hand-over, marked escalated)."""
    return step.legal_notice or bool(ESCALATING & set(step.actions))


def _one_escalation(rows: list[Reminder], today: date, now: datetime,
                    report: TickReport) -> list[Reminder]:
    """At most one escalation (a legal notice, a hand-over) per client per tick: the most
    advanced step goes now, for every invoice at it; other escalating steps wait for the next
    business day (a catch-up after downtime climbs one rung at a time)."""
    steps = {r.step for r in rows if escalates(r.step)}
    if len(steps) < 2:
        return rows
    top = max(steps, key=lambda s: (s.offset_days, s.pk))
    later = [r for r in rows if escalates(r.step) and r.step != top]
    client = rows[0].client
    day = cal.next_business_day(today + timedelta(days=1), client.country)
    report.deferred += defer(later, planner.send_time(day, now, selectors.timing_spec(client)))
    return [r for r in rows if r not in later]


def _fresh(rows: list[Reminder], day: date, report: TickReport, why: str) -> list[Reminder]:
    """The rows whose words still hold on ``day``; a pre-due step is dropped once its invoice
    is overdue (``planner.stale_on``)."""
    country = rows[0].client.country if rows else ""
    stale = [r for r in rows if planner.stale_on(r.step.offset_days, _due_date(r), day,
                                                 country)]
    report.cancelled += set_status(stale, ReminderStatus.CLAIMED,
                                   status=ReminderStatus.SKIPPED, last_error=why)
    return [r for r in rows if r not in stale]


def _due_date(row: Reminder) -> date:
    """The date the row's step counts from: its instalment's, else its invoice's."""
    return row.instalment.due_date if row.instalment is not None else row.invoice.due_date


def _rank(step: CadenceStep) -> int:
    return planner.TONE_RANK.get(step.tone, 0)


OWED_STATUSES = (*ACTIVE_STATUSES, InvoiceStatus.IN_COLLECTIONS)


def tone_floors(client_ids: Iterable[int]) -> dict[int, int]:
    """Client → the rank of the firmest tone a message took with them about an invoice they
    still owe: the episode's floor (an episode ends when everything it chased is paid)."""
    floors: dict[int, int] = {}
    for client_id, tone, step_tone in OutboundMessage.objects.filter(
            client_id__in=list(client_ids), sent_at__isnull=False,
            reminders__invoice__status__in=OWED_STATUSES,
            reminders__invoice__balance__gt=0).exclude(
            status__in=FAILED_STATUSES).values_list("client_id", "tone", "reminders__step__tone"):
        rank = planner.TONE_RANK.get(tone or step_tone, 0)
        floors[client_id] = max(floors.get(client_id, 0), rank)
    return floors


def floor_voice(steps: Iterable[CadenceStep], floor: int) -> CadenceStep | None:
    """The words for an overdue invoice whose own step is gentler than the episode's floor:
    the cadence's latest ordinary message step in the floor's tone (a legal notice is an act,
    not a tone: never borrowed), or None when the cadence has none."""
    found = [s for s in steps if StepAction.SEND_MESSAGE in s.actions and not s.legal_notice
             and planner.TONE_RANK.get(s.tone, 0) == floor]
    return max(found, key=lambda s: (s.offset_days, s.pk), default=None)


def speaks_at_floor(step: CadenceStep, due: date, floor: int, voice: CadenceStep | None,
                    today: date, country: str) -> bool:
    """Whether an invoice's step still goes out in an episode whose tone reached ``floor``:
    at or above it; below it only for an overdue invoice, in the floor's words. A pre-due or
    due-today nudge amid a firmer conversation is not sent (never a tone that steps back)."""
    if planner.TONE_RANK.get(step.tone, 0) >= floor:
        return True
    return voice is not None and planner.overdue_on(due, today, country)


def _by_step(rows: list[Reminder]) -> dict[CadenceStep, list[Reminder]]:
    grouped: dict[CadenceStep, list[Reminder]] = defaultdict(list)
    for row in rows:
        grouped[row.step].append(row)
    return grouped


def lead_step(steps: Iterable[CadenceStep]) -> CadenceStep:
    """The most advanced of the steps a message covers: its tone, then its day, lead."""
    return max(steps, key=lambda s: (planner.TONE_RANK.get(s.tone, 0), s.offset_days, s.pk))


def sent_days(client: Client, now: datetime) -> tuple[date, ...]:
    """The client's local days automated messages reached (or were posted to) them on, in the
    last 30 days (a bounced or failed message did not reach them)."""
    return sent_days_of([client], now).get(client.pk, ())


def sent_days_of(clients: Iterable[Client], now: datetime) -> dict[int, tuple[date, ...]]:
    """``sent_days`` for many clients in two queries (the forecast's batch path): the days a
    message reached them, and the days a person was asked to call instead of a message (a
    client who prefers the phone)."""
    zones = {c.pk: ZoneInfo(c.timezone) for c in clients}
    since = now - timedelta(days=30)
    days: dict[int, set[date]] = defaultdict(set)
    for client_id, at in OutboundMessage.objects.filter(
            client_id__in=list(zones), sent_at__gte=since, sent_at__lte=now,
            reminders__isnull=False).exclude(status__in=FAILED_STATUSES).values_list(
            "client_id", "sent_at"):
        if at is not None:
            days[client_id].add(at.astimezone(zones[client_id]).date())
    for client_id, at, actions in Reminder.objects.filter(
            client_id__in=list(zones), status=ReminderStatus.SENT, message__isnull=True,
            channel__in=("phone", "call"), sent_at__gte=since, sent_at__lte=now).values_list(
            "client_id", "sent_at", "step__actions"):
        if at is not None and StepAction.SEND_MESSAGE in actions:
            days[client_id].add(at.astimezone(zones[client_id]).date())
    return {pk: tuple(sorted(found)) for pk, found in days.items()}


def _next_message_day(rows: list[Reminder], today: date, sent: tuple[date, ...],
                      policy_on: bool) -> date:
    """The contact policy of the client's cadence; a bookkeeper's "send now" bypasses it but
    for one message a day."""
    policy = (contact_policy(lead_step(r.step for r in rows).cadence) if policy_on
              else planner.ContactPolicy(min_days=1, per_30_days=0))
    return planner.next_message_day(sent, today, policy=policy)


def contact_policy(cadence: Cadence) -> planner.ContactPolicy:
    return planner.ContactPolicy(min_days=cadence.min_days_between_messages,
                                 per_30_days=cadence.max_messages_per_30_days)


def _send_merged(rows: list[Reminder], now: datetime, report: TickReport, *,
                 words: CadenceStep, batch: Batch) -> bool:
    """One message for every row, in ``words``' step (the lead's, or the episode's floor);
    each row's own step still charges its late fee before and does its other actions after
    (once: a retry repeats none)."""
    lead = lead_step(r.step for r in rows)
    rows = sorted(rows, key=lambda r: r.step != lead)  # the lead's channel and instalment
    for row in rows:
        if StepAction.APPLY_LATE_FEE in row.step.actions:
            _apply_late_fee(row.invoice, now)
    def after() -> None:
        for step, group in _by_step(rows).items():
            _run_actions(group, step, now)

    return _send(rows, words, now, report, batch=batch, after=after)


def unique_invoices(rows: list[Reminder]) -> list[Invoice]:
    """The rows' invoices, each once (one invoice may have rows at several steps)."""
    return list({r.invoice_id: r.invoice for r in rows}.values())


def _run_actions(rows: list[Reminder], step: CadenceStep, now: datetime) -> None:
    invoices = unique_invoices(rows)
    client = rows[0].client
    if StepAction.CREATE_CALL_TASK in step.actions:
        hand_to_caller(client=client, invoices=invoices, step=step, now=now)
    if StepAction.APPLY_LATE_FEE in step.actions:
        for invoice in invoices:
            _apply_late_fee(invoice, now)  # charged once: it checks for an earlier fee
    if StepAction.START_INTEREST in step.actions:
        interaction_record(client=client, kind=InteractionKind.ESCALATION,
                           summary="Interest accrues from now on, per the terms: "
                                   + invoices[0].terms.summary(), invoices=invoices)
    if StepAction.MARK_ESCALATED in step.actions:
        interaction_record(client=client, kind=InteractionKind.ESCALATION,
                           summary=f"Escalated: {step.name}", invoices=invoices)
    if StepAction.HAND_TO_COLLECTIONS in step.actions:
        for invoice in invoices:
            invoice_transition(invoice=invoice, to=InvoiceStatus.IN_COLLECTIONS,
                               reason=f"cadence step '{step.name}'")

def step_send(rows: list[Reminder], step: CadenceStep, now: datetime,
              report: TickReport) -> bool:
    """Send a claimed group now, as the dispatcher does once its timing checks pass: the late
    fee first (the message shows it), the message, then the step's other actions once (a
    retried send does not repeat them)."""
    if StepAction.APPLY_LATE_FEE in step.actions:
        for invoice in {r.invoice_id: r.invoice for r in rows}.values():
            _apply_late_fee(invoice, now)
    batch = Batch.load(rows, now)
    sent = _send(rows, step, now, report, batch=batch,
                 after=lambda: _run_actions(rows, step, now))
    batch.flush(report)
    return sent

def _apply_late_fee(invoice: Invoice, now: datetime) -> None:
    """Charge the terms' late fee once, if the terms have one and it applies by today."""
    if invoice.adjustments.filter(kind=AdjustmentKind.LATE_FEE).exists():
        return
    today = invoice.client.local_today(now)
    fee = termsmath.late_fee_due(invoice.terms.as_rule(), principal=invoice.balance,
                                 currency=invoice.currency, due_date=invoice.due_date, on=today)
    if fee > 0:
        adjustment_add(invoice=invoice, kind=AdjustmentKind.LATE_FEE, amount=fee, on=today,
                       memo=f"Late fee per terms ({invoice.terms.name})")
        invoice.refresh_from_db()

def _call_instead(rows: list[Reminder], step: CadenceStep, now: datetime,
                  report: TickReport) -> bool:
    """The client prefers the phone: a person calls, with this step's message as script."""
    hand_to_caller(client=rows[0].client, invoices=unique_invoices(rows),
                           step=step, now=now)
    report.sent += set_status(rows, ReminderStatus.CLAIMED, status=ReminderStatus.SENT, sent_at=now)
    return True

def _send(rows: list[Reminder], step: CadenceStep, now: datetime, report: TickReport, *,
          batch: Batch, after: Callable[[], None] | None = None) -> bool:
    """Compose a claimed group's message and leave it in ``batch`` for the hand-off (its
    rows ``sending``); True when a message is on its way (``after`` runs once it went)."""
    client = rows[0].client
    channel_name = rows[0].channel
    if channel_name in ("phone", "call"):
        sent = _call_instead(rows, step, now, report)
        if after is not None:
            after()
        return sent
    if channel_name not in CHANNELS or not working_contact(client, channel_name):
        # The contact point went away (or was flagged) since planning: next channel.
        fall_back(rows=rows, expected=ReminderStatus.CLAIMED, now=now,
                  failed_channel=channel_name,
                  why=f"No working {channel_name} contact for the client.")
        report.fallbacks += 1
        return False
    if channel_name == "sms" and (quiet_end := planner.quiet_hours(now, client.timezone)):
        report.deferred += defer(rows, quiet_end)  # never an SMS 21:00-08:00 local time
        return False
    composed = _compose(rows, step, now, report)
    if composed is None:
        return False
    item = Pending(rows=rows, step=step, message=composed[0], token=composed[1], now=now,
                   reply_to=reply_address(client), after=after)
    if not getattr(CHANNELS[channel_name], "concurrent", False):
        if _store([item]):  # a letter: in order, on this connection
            _finish(item, _outcome(item), report)
        return True
    batch.outgoing.append(item)
    return True


def _store(items: list[Pending]) -> list[Pending]:
    """Write composed messages with their pay links, attach them to their rows and mark the
    rows ``sending`` (the at-most-once mark, before any provider call): five statements for
    the whole wave. Returns the items whose rows are still ours and now ``sending``; a row
    that went back to the queue meanwhile (its claim ran out) is another worker's now, and
    its message is not sent by this one."""
    OutboundMessage.objects.bulk_create([item.message for item in items])
    stored = links.links_store_many([(item.rows[0].client, item.token, item.message, item.now)
                                     for item in items])
    for item, link in zip(items, stored, strict=True):
        item.link = link
    rows = [row for item in items for row in item.rows]
    Reminder.objects.filter(pk__in=[r.pk for r in rows]).update(message_id=Case(
        *[When(pk=row.pk, then=Value(item.message.pk)) for item in items for row in item.rows],
        output_field=models.BigIntegerField()))
    tokens = {row.claim_token for row in rows}
    Reminder.objects.filter(pk__in=[r.pk for r in rows], status=ReminderStatus.CLAIMED,
                            claim_token__in=tokens).update(status=ReminderStatus.SENDING)
    ours = set(Reminder.objects.filter(pk__in=[r.pk for r in rows],
                                       status=ReminderStatus.SENDING,
                                       claim_token__in=tokens).values_list("pk", flat=True))
    kept = [item for item in items if all(row.pk in ours for row in item.rows)]
    for item in items:
        if item not in kept:  # never handed over: not kept, its link never works
            if item.link is not None:
                links.link_revoke(item.link, item.now)
            set_status([r for r in item.rows if r.pk in ours], ReminderStatus.SENDING,
                       status=ReminderStatus.SCHEDULED, claimed_at=None)
            OutboundMessage.objects.filter(pk=item.message.pk).update(
                status=MessageStatus.FAILED,
                status_detail="Not sent: its reminders went back to the queue meanwhile.")
    return kept


def _outcome(item: Pending) -> Handover | ChannelError:
    try:
        return _provider_call(item)
    except ChannelError as exc:
        return exc


def _finish(item: Pending, outcome: Handover | ChannelError, report: TickReport) -> None:
    """Record what the provider said: sent (the timeline, the step's actions), retried
    later, or the contact point failed (flagged, next channel)."""
    if isinstance(outcome, Handover):
        _record_handovers([(item, outcome)], report)
    elif isinstance(outcome, TransientError):
        _retry_later(item.rows, item.message, item.link, outcome, item.now, report)
    elif isinstance(outcome, PermanentError):
        _fail_channel(item.rows, item.message, outcome, item.now, report)
    else:
        raise outcome


def _record_handovers(handed: list[tuple[Pending, Handover]], report: TickReport) -> None:
    """The messages the providers took: their ids and states, their rows ``sent``, their
    timeline entries, in a constant number of statements; then each one's step actions
    (and a legal letter's e-mail copy)."""
    if not handed:
        return
    for item, outcome in handed:
        message = item.message
        message.provider, message.provider_message_id, message.sent_at = (
            outcome.provider, outcome.provider_id, item.now)
        message.status, message.segments = outcome.status, outcome.segments
    by_time: dict[datetime, list[Reminder]] = defaultdict(list)
    for item, _ in handed:
        by_time[item.now] += item.rows

    def write() -> int:
        OutboundMessage.objects.bulk_update(
            [item.message for item, _ in handed],
            ["provider", "provider_message_id", "sent_at", "status", "segments"])
        # Rows a crash check moved to review meanwhile are ours and sent: we know it.
        sent = sum(Reminder.objects.filter(
            pk__in=[r.pk for r in rows], status__in=[ReminderStatus.SENDING,
                                                     ReminderStatus.REVIEW],
            claim_token__in={r.claim_token for r in rows}).update(
            status=ReminderStatus.SENT, sent_at=when, last_error="")
            for when, rows in by_time.items())
        record_sent_many([(item.message, item.step, unique_invoices(item.rows), item.now)
                          for item, outcome in handed if outcome.reached_client])
        return sent

    report.sent += durably(write)
    for item, _ in handed:
        client = item.rows[0].client
        if (item.message.channel == "letter" and item.step.legal_notice
                and working_contact(client, "email")):
            _email_copy(item.rows, item.step, item.now, report)
        if item.after is not None:
            item.after()


def durably(write: Callable[[], T]) -> T:
    """Record what a provider said, through a database outage: the messages went out, so the
    record (one transaction: a retry never doubles it) is tried again for up to
    ``SETTLE_RECORD_RETRY_SECONDS`` before the rows are left to a person (review)."""
    deadline = time.monotonic() + settings.SETTLE_RECORD_RETRY_SECONDS
    pause = 0.5
    while True:
        try:
            with transaction.atomic():
                return write()
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            log.warning("The database is unreachable: recording what the provider took "
                        "again in %.1f s.", pause)
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 10.0)


def reply_address(client: Client) -> str:
    """Where a client's reply goes: the ESP's inbound address when one is set (the reply
    comes back to Settle: the timeline, a reply to read, the hold), else the owner's
    mailbox."""
    return settings.SETTLE_REPLY_TO or getattr(client.owner, "email", "") or ""


_COPY_NOTE = {
    "en": "This is a copy of the letter we are sending you by post today.",
    "de": "Dies ist eine Kopie des Schreibens, das wir Ihnen heute per Post senden.",
    "fr": "Ceci est une copie du courrier que nous vous envoyons aujourd'hui par la poste.",
    "es": "Esta es una copia de la carta que le enviamos hoy por correo postal.",
}


def _email_copy(rows: list[Reminder], step: CadenceStep, now: datetime,
                report: TickReport) -> None:
    """A legal notice goes by letter; where the client has a working e-mail address, a copy
    goes there too (the letter stays the notice: a copy that fails is logged, nothing else)."""
    client = rows[0].client
    token = links.new_token()
    try:
        template, rendered = render_message(rows, step, "email", now, links.link_url(token))
    except TemplateError as exc:
        report.errors.append(f"E-mail copy of the letter not sent: {exc}")
        return
    note = _COPY_NOTE.get(template.language, _COPY_NOTE["en"])
    copy = OutboundMessage.objects.create(
        client=client, channel="email", language=template.language,
        to=client.contact_for("email"), subject=rendered.subject,
        text=f"{note}\n\n{rendered.text}",
        html=f"<p><em>{note}</em></p>{rendered.html}" if rendered.html else "", tone=step.tone)
    links.link_store(client=client, token=token, message=copy, now=now)
    try:
        handover = CHANNELS["email"].send(copy, reply_to=reply_address(client))
    except (TransientError, PermanentError) as exc:
        copy.status, copy.status_detail = MessageStatus.FAILED, str(exc)[:300]
        copy.save(update_fields=["status", "status_detail"])
        report.errors.append(f"E-mail copy of the letter not sent: {exc}")
        return
    copy.provider, copy.provider_message_id, copy.sent_at = (
        handover.provider, handover.provider_id, now)
    copy.status = handover.status
    copy.save(update_fields=["provider", "provider_message_id", "sent_at", "status"])
    record_sent(copy, step, unique_invoices(rows), now)


def _compose(rows: list[Reminder], step: CadenceStep, now: datetime, report: TickReport
             ) -> tuple[OutboundMessage, str] | None:
    """The message (not saved yet) and its fresh pay link's token (every message carries its
    own), or None when its template cannot be rendered (the rows fail with the reason)."""
    client, channel_name = rows[0].client, rows[0].channel
    token = links.new_token()
    try:
        template, rendered = render_message(rows, step, channel_name, now,
                                            links.link_url(token))
    except TemplateError as exc:
        set_status(rows, ReminderStatus.CLAIMED, status=ReminderStatus.FAILED,
                   last_error=str(exc))
        report.failed += len(rows)
        report.errors.append(str(exc))
        return None
    return OutboundMessage(
        client=client, channel=channel_name, language=template.language,
        to=client.contact_for(channel_name), subject=rendered.subject, text=rendered.text,
        html=rendered.html, tone=step.tone), token


def _retry_later(rows: list[Reminder], message: OutboundMessage, link: PayLink | None,
                 exc: TransientError, now: datetime, report: TickReport) -> None:
    """Nothing went out: the message is not kept, the retry renders it afresh, with backoff;
    after ``MAX_ATTEMPTS`` the rows fail."""
    if link is not None:
        links.link_revoke(link, now)
    Reminder.objects.filter(message=message).update(message=None)
    message.delete()
    report.errors.append(str(exc))
    if exc.retry_after:  # the provider said when: not a failed attempt
        set_status(rows, ReminderStatus.SENDING, status=ReminderStatus.SCHEDULED,
                   scheduled_for=now + timedelta(seconds=exc.retry_after), claimed_at=None,
                   last_error=str(exc))
        report.deferred += len(rows)
        return
    if rows[0].attempts + 1 >= MAX_ATTEMPTS:
        report.failed += set_status(rows, ReminderStatus.SENDING, status=ReminderStatus.FAILED,
                                    attempts=F("attempts") + 1,
                                    last_error=f"Gave up after {MAX_ATTEMPTS} attempts: {exc}")
        return
    backoff = RETRY_BACKOFF * 2 ** rows[0].attempts  # 15 min, 30, 1 h, 2 h
    set_status(rows, ReminderStatus.SENDING, status=ReminderStatus.SCHEDULED,
               scheduled_for=now + backoff, claimed_at=None, last_error=str(exc),
               attempts=F("attempts") + 1)


def _fail_channel(rows: list[Reminder], message: OutboundMessage, exc: PermanentError,
                  now: datetime, report: TickReport) -> None:
    """This contact point does not work: the message failed, the point is flagged and the
    rows fall back to the client's next channel."""
    message.status, message.status_detail = MessageStatus.FAILED, str(exc)[:300]
    message.save(update_fields=["status", "status_detail"])
    report.errors.append(str(exc))
    report.fallbacks += 1
    fall_back(rows=rows, expected=ReminderStatus.SENDING, now=now,
              failed_channel=message.channel, flag=exc.reason, flag_value=message.to,
              why=f"{CHANNEL_LABEL[message.channel]} to {message.to} failed: {exc}")
