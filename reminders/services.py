"""The scheduler tick: plan in batches, then dispatch due outbox rows exactly once.

Planning reads only invoices whose ``next_action_at`` has come (or was cleared by a change),
in batches with a fixed number of queries each, and inserts ``Reminder`` rows; the unique
(invoice, step) constraint makes a second beat or a retried task harmless.

Dispatch moves each outbox row along scheduled → claimed → sending → sent | failed | cancelled
with conditional UPDATEs that name the state they expect, so two workers never both own a row.
A row found in ``claimed`` after a crash goes back to ``scheduled`` (nothing left yet); one found
in ``sending`` goes to ``review`` (the provider may have it; a person decides).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from clients.models import Client, ContactFlag, InteractionChannel, InteractionKind
from clients.selectors import working_contact
from clients.services import interaction_record, interactions_record_many
from config import bulk
from core import calendar as cal
from core import terms as termsmath
from core.sms import gsm_friendly
from receivables import selectors as receivables_selectors
from receivables.models import ACTIVE_STATUSES as _ACTIVE
from receivables.models import AdjustmentKind, Invoice, InvoiceStatus
from receivables.services import adjustment_add, invoice_transition, invoices_set_next_action
from reminders import calls, delivery, links, planner, selectors
from reminders.channels import CHANNELS, PermanentError, TransientError
from reminders.models import (
    FAILED_STATUSES,
    CadenceStep,
    MessageStatus,
    MessageTemplate,
    OutboundMessage,
    PaymentPlan,
    PlanStatus,
    Reminder,
    ReminderStatus,
    SchedulerState,
    StepAction,
)
from reminders.rendering import Rendered, TemplateError, render

log = logging.getLogger(__name__)
BATCH_SIZE = 1000
RECHECK_STOPPED = timedelta(days=1)  # a stopped invoice is looked at again daily
RETRY_BACKOFF = timedelta(minutes=15)
MAX_ATTEMPTS = 5


def scheduler_heartbeat() -> SchedulerState:
    """Record that a scheduler tick ran (one conditional UPDATE, so two beats never race)."""
    with transaction.atomic():
        state, _ = SchedulerState.objects.get_or_create(singleton=True)
        SchedulerState.objects.filter(pk=state.pk).update(last_tick_at=timezone.now(),
                                                          ticks=F("ticks") + 1)
    state.refresh_from_db()
    return state


@dataclass
class TickReport:
    planned: int = 0
    skipped: int = 0
    examined: int = 0
    sent: int = 0
    cancelled: int = 0
    deferred: int = 0
    failed: int = 0
    recovered: int = 0
    fallbacks: int = 0
    held: int = 0  # clients whose due reminders wait for fresh payment data
    errors: list[str] = field(default_factory=list)


# --- Planning -------------------------------------------------------------------------------

def _due_invoice_ids(now: datetime, after_id: int, limit: int) -> list[int]:
    return list(Invoice.objects.filter(status__in=_ACTIVE, balance__gt=0)
                .filter(Q(next_action_at__isnull=True) | Q(next_action_at__lte=now))
                .filter(pk__gt=after_id).order_by("pk").values_list("pk", flat=True)[:limit])


_REMINDER_COLUMNS = ("invoice", "client", "step", "instalment", "channel", "scheduled_for",
                     "status", "claim_token", "attempts", "last_error", "failed_channels",
                     "created_at", "updated_at")
# status, claim_token, attempts, last_error, failed_channels
_NEW_REMINDER: tuple[str, str, int, str, list[str]] = (
    ReminderStatus.SCHEDULED.value, "", 0, "", [])


def _plan_batch(ids: list[int], book: selectors.CadenceBook, now: datetime,
                report: TickReport) -> None:
    batch = selectors.load_planning_batch(ids)
    new_rows: list[tuple[object, ...]] = []
    next_action: dict[int, datetime | None] = {}
    # A client's tags, cadence and preferences are the same for each of its invoices.
    per_client: dict[int, tuple[planner.ClientSpec, tuple[planner.StepSpec, ...]]] = {}
    no_channel: dict[int, list[Invoice]] = defaultdict(list)
    _flag_broken_promises(batch, now)
    for invoice in batch["invoices"]:
        if (known := per_client.get(invoice.client_id)) is None:
            client = batch["clients"][invoice.client_id]
            tags = frozenset(t.name for t in client.tags.all())
            cadence = book.cadence_for(client.pk, tags)
            known = per_client[client.pk] = (selectors.client_spec(client, tags),
                                             book.steps.get(cadence.pk, ()) if cadence else ())
        client_spec, steps = known
        report.examined += 1
        unit = selectors.planning_unit(invoice, batch, book, steps)
        if unit.spec is None:  # a plan waits for a decision, or rides on another invoice
            next_action[invoice.pk] = now + RECHECK_STOPPED
            continue
        result = planner.plan(unit.spec, client_spec, unit.steps, now)
        if result.due_step is not None:
            new_rows.append((invoice.pk, invoice.client_id, result.due_step.id,
                             unit.instalment_id, result.channel, result.send_at,
                             *_NEW_REMINDER))
        # Caught-up steps are counted, not stored: the planner never goes back to a step
        # earlier than one already planned, so the due step's row is what keeps them done.
        report.skipped += len(result.skipped_step_ids)
        if result.stop == planner.Stop.NO_CHANNEL:
            no_channel[invoice.client_id].append(invoice)
        next_action[invoice.pk] = result.next_action_at or (
            now + RECHECK_STOPPED if result.stop in (planner.Stop.NO_CHANNEL, None) else None)
    stamp = (timezone.now(),) * 2
    with transaction.atomic():
        # One INSERT per batch; the unique (invoice, step) constraint turns a row another
        # beat already planned into a no-op.
        report.planned += bulk.insert_rows(Reminder, _REMINDER_COLUMNS,
                                           [row + stamp for row in new_rows])
        invoices_set_next_action(next_action)
    for client_id, invoices in no_channel.items():  # rare: a person has to look
        calls.task_no_channel(client=batch["clients"][client_id], invoices=invoices, now=now,
                              why="The client has no email, mobile number, address or phone "
                                  "that works among their preferred channels.")


def _flag_broken_promises(batch: dict[str, Any], now: datetime) -> None:
    """A promise date that passed with the invoice still owed: the timeline flags it as
    broken (the next message says so) and the cadence resumes. A handful of statements per
    batch however many promises lapsed."""
    broken = []
    for invoice in batch["invoices"]:
        until = invoice.promised_until
        if until is None or invoice.status not in _ACTIVE or invoice.balance <= 0:
            continue
        client = batch["clients"][invoice.client_id]
        if until < now.astimezone(ZoneInfo(client.timezone)).date():
            broken.append((invoice, client, until))
    if not broken:
        return
    with transaction.atomic():
        still = set(Invoice.objects.filter(
            pk__in=[i.pk for i, _, _ in broken], promised_until__isnull=False).values_list(
            "pk", flat=True))
        Invoice.objects.filter(pk__in=still).update(promised_until=None)
        interactions_record_many([
            (client, InteractionKind.ESCALATION,
             f"Broken promise: {invoice.number} was promised by {until.isoformat()} and is "
             "still unpaid; reminders resume.", {"broken_promise": until.isoformat()},
             [invoice]) for invoice, client, until in broken if invoice.pk in still],
            occurred_at=now)
    for invoice, _, _ in broken:
        invoice.promised_until = None

def reminders_plan(*, now: datetime, batch_size: int = BATCH_SIZE,
                   report: TickReport | None = None) -> TickReport:
    """Plan every invoice whose time has come, ``batch_size`` at a time."""
    report = report or TickReport()
    book = selectors.CadenceBook()
    last_id = 0
    while ids := _due_invoice_ids(now, last_id, batch_size):
        _plan_batch(ids, book, now, report)
        last_id = ids[-1]
    return report


# --- Dispatch -------------------------------------------------------------------------------

def _recover(now: datetime) -> int:
    """Rows a crashed worker left behind: claimed → scheduled, sending → review."""
    stale = now - timedelta(seconds=settings.SETTLE_STALE_CLAIM_SECONDS)
    back = Reminder.objects.filter(status=ReminderStatus.CLAIMED, claimed_at__lt=stale).update(
        status=ReminderStatus.SCHEDULED, claimed_at=None)
    review = Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=stale).update(
        status=ReminderStatus.REVIEW,
        last_error="Outcome unknown after a crash: check with the provider before resending.")
    return back + review


def reminders_claim(ids: list[int], now: datetime) -> list[Reminder]:
    """Take the rows still scheduled; rows another worker took are simply not ours."""
    token = uuid.uuid4().hex
    Reminder.objects.filter(pk__in=ids, status=ReminderStatus.SCHEDULED).update(
        status=ReminderStatus.CLAIMED, claimed_at=now, claim_token=token)
    # The client's open contact flags come along: every channel check of the send reads
    # them (one query here instead of one per check; a fallback re-reads them fresh).
    return list(Reminder.objects.filter(pk__in=ids, status=ReminderStatus.CLAIMED,
                                        claim_token=token)
                .select_related("invoice__terms", "client", "step", "instalment__plan")
                .prefetch_related(Prefetch("client__contact_flags",
                                           ContactFlag.objects.filter(cleared_at__isnull=True))))


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
    if invoice.status not in _ACTIVE or invoice.balance <= 0:
        return f"invoice is {invoice.get_status_display().lower()}"
    if PlanStatus.ACCEPTED in plans:
        return "replaced by the payment plan's reminders"
    return None


def _wait_until(reminder: Reminder, today: date, plans: set[str]) -> date | None:
    """The last day of a pause, a pending promise, or a payment plan the bookkeeper has not
    decided on yet: the reminder waits, it is not dropped."""
    ends = [d for d in (reminder.client.reminders_paused_until, reminder.invoice.promised_until,
                        reminder.invoice.reminders_paused_until)
            if d is not None and today <= d]
    if PlanStatus.PROPOSED in plans and reminder.instalment is None:
        ends.append(today)  # looked at again tomorrow
    return max(ends) if ends else None


def _sent_today(client: Client, now: datetime) -> bool:
    zone = ZoneInfo(client.timezone)
    start = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
    # A message that bounced or failed did not reach the client: its fallback may go today.
    return OutboundMessage.objects.filter(client=client, sent_at__gte=start).exclude(
        status__in=FAILED_STATUSES).exists()


def _set(rows: list[Reminder], expected: str, **changes: object) -> int:
    return Reminder.objects.filter(pk__in=[r.pk for r in rows], status=expected).update(
        **changes)


def reminders_dispatch(*, now: datetime, limit: int = 500,
                       report: TickReport | None = None) -> TickReport:
    """Send what is due: one consolidated message per client and step, at most one a day."""
    report = report or TickReport()
    report.recovered += _recover(now)
    due_rows = Reminder.objects.filter(status=ReminderStatus.SCHEDULED, scheduled_for__lte=now)
    feed = receivables_selectors.payment_feed(now=now)
    if feed is not None and feed.stale:
        # Never chase an invoice the client may have paid yesterday: while the accounting
        # system's payments are older than the admin's limit, clients whose books come from
        # it wait (their reminders stay due and go out on the first tick after a sync).
        held = due_rows.filter(receivables_selectors.fed_client())
        report.held = held.values("client_id").distinct().count()
        if report.held:
            log.warning("Payment data is %s old (limit %s): reminders to %d clients held.",
                           feed.age_text, feed.limit, report.held)
        due_rows = due_rows.exclude(receivables_selectors.fed_client())
    due = list(due_rows.order_by("client_id", "scheduled_for", "pk")
               .values_list("pk", "client_id", "step_id", "invoice__currency")[:limit])
    # One message per client, step and currency: amounts in different currencies never add up.
    groups: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for pk, client_id, step_id, currency in due:
        groups[(client_id, step_id, currency)].append(pk)
    done_clients: set[int] = set()
    for (client_id, _, _), ids in groups.items():
        if client_id in done_clients:
            continue  # one message per client per tick; the rest waits for tomorrow's window
        rows = reminders_claim(ids, now)
        if rows and _dispatch_group(rows, now, report):
            done_clients.add(client_id)
    return report


def _defer(rows: list[Reminder], until: datetime) -> int:
    return _set(rows, ReminderStatus.CLAIMED, status=ReminderStatus.SCHEDULED,
                scheduled_for=until, claimed_at=None)


def _live_rows(rows: list[Reminder], now: datetime, report: TickReport) -> list[Reminder]:
    """Cancel what must never go out; push back what waits for a pause or a promise."""
    client = rows[0].client
    spec = selectors.client_spec(client, frozenset())
    today = now.astimezone(ZoneInfo(client.timezone)).date()
    live = []
    plans = _plan_statuses(rows)
    for row in rows:
        reason = _stop_reason(row, plans[row.invoice_id])
        wait = _wait_until(row, today, plans[row.invoice_id])
        if reason:
            _set([row], ReminderStatus.CLAIMED, status=ReminderStatus.CANCELLED,
                 last_error=f"Not sent: {reason}.")
            report.cancelled += 1
        elif wait is not None:
            resume = cal.next_business_day(wait + timedelta(days=1), client.country)
            report.deferred += _defer([row], planner.send_time(resume, now, spec))
        else:
            live.append(row)
    return live


def _dispatch_group(rows: list[Reminder], now: datetime, report: TickReport) -> bool:
    live = _live_rows(rows, now, report)
    if not live:
        return False
    client, step = live[0].client, live[0].step
    spec = selectors.client_spec(client, frozenset())
    today = now.astimezone(ZoneInfo(client.timezone)).date()
    window = planner.send_time(today, now, spec)  # never outside local business hours
    if window > now:
        report.deferred += _defer(live, window)
        return False
    if StepAction.SEND_MESSAGE in step.actions and _sent_today(client, now):
        following = cal.next_business_day(today + timedelta(days=1), client.country)
        report.deferred += _defer(live, planner.send_time(following, now, spec))
        return False
    if StepAction.SEND_MESSAGE not in step.actions:
        _run_actions(live, step, now)
        _set(live, ReminderStatus.CLAIMED, status=ReminderStatus.SENT, sent_at=now)
        return False
    return step_send(live, step, now, report)


def _run_actions(rows: list[Reminder], step: CadenceStep, now: datetime) -> None:
    invoices = [r.invoice for r in rows]
    client = rows[0].client
    if StepAction.CREATE_CALL_TASK in step.actions:
        calls.task_call_create(client=client, invoices=invoices, step=step, now=now)
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
    sent = _send(rows, step, now, report)
    if sent:
        _run_actions(rows, step, now)
    return sent


def _apply_late_fee(invoice: Invoice, now: datetime) -> None:
    """Charge the terms' late fee once, if the terms have one and it applies by today."""
    if invoice.adjustments.filter(kind=AdjustmentKind.LATE_FEE).exists():
        return
    today = now.astimezone(ZoneInfo(invoice.client.timezone)).date()
    fee = termsmath.late_fee_due(invoice.terms.as_rule(), principal=invoice.balance,
                                 currency=invoice.currency, due_date=invoice.due_date, on=today)
    if fee > 0:
        adjustment_add(invoice=invoice, kind=AdjustmentKind.LATE_FEE, amount=fee, on=today,
                       memo=f"Late fee per terms ({invoice.terms.name})")
        invoice.refresh_from_db()


def _template(step: CadenceStep, channel: str, language: str) -> MessageTemplate:
    """The step's template for the channel; a letter without its own template prints the
    email's HTML body."""
    template = selectors.template_for(step.template_key, channel, language)
    if template is None and channel == "letter":
        template = selectors.template_for(step.template_key, "email", language)
    if template is None:
        raise TemplateError(f"No '{step.template_key}' {channel} template.")
    return template


def _render_message(rows: list[Reminder], step: CadenceStep, channel: str,
                    now: datetime, pay_url: str) -> tuple[MessageTemplate, Rendered]:
    client = rows[0].client
    invoices = [r.invoice for r in rows]
    template = _template(step, channel, client.language)
    today = now.astimezone(ZoneInfo(client.timezone)).date()
    context = selectors.message_context(
        client=client, invoices=invoices, today=today, pay_url=pay_url,
        tone=step.tone, language=template.language, instalment=rows[0].instalment)
    rendered = render(subject=template.subject, text=template.text if channel != "letter"
                      else "", html=template.html if channel in ("email", "letter") else "",
                      context=context)
    if channel == "sms":
        rendered = Rendered(subject="", text=gsm_friendly(rendered.text).strip(), html="")
    if channel == "letter":  # the body goes into the letter layout: address, table, QR code
        from reminders.letters import letter_html

        rendered = Rendered(subject=rendered.subject, text="", html=letter_html(
            client=client, invoices=invoices, today=today, subject=rendered.subject,
            body_html=rendered.html, pay_url=context["pay_url"],
            payment_instructions=context["payment_instructions"],
            language=template.language))
    return template, rendered


def _call_instead(rows: list[Reminder], step: CadenceStep, now: datetime,
                  report: TickReport) -> bool:
    """The client prefers the phone: a person calls, with this step's message as script."""
    calls.task_call_create(client=rows[0].client, invoices=[r.invoice for r in rows],
                           step=step, now=now)
    report.sent += _set(rows, ReminderStatus.CLAIMED, status=ReminderStatus.SENT, sent_at=now)
    return True


def _send(rows: list[Reminder], step: CadenceStep, now: datetime, report: TickReport) -> bool:
    client = rows[0].client
    channel_name = rows[0].channel
    if channel_name in ("phone", "call"):
        return _call_instead(rows, step, now, report)
    if channel_name not in CHANNELS or not working_contact(client, channel_name):
        # The contact point went away (or was flagged) since planning: next channel.
        delivery.fall_back(rows=rows, expected=ReminderStatus.CLAIMED, now=now,
                           failed_channel=channel_name,
                           why=f"No working {channel_name} contact for the client.")
        report.fallbacks += 1
        return False
    if channel_name == "sms" and (quiet_end := planner.quiet_hours(now, client.timezone)):
        report.deferred += _defer(rows, quiet_end)  # never an SMS 21:00-08:00 local time
        return False
    invoices = [r.invoice for r in rows]
    token = links.new_token()  # every message carries a fresh link, stored with the message
    try:
        template, rendered = _render_message(rows, step, channel_name, now,
                                             links.link_url(token))
    except TemplateError as exc:
        _set(rows, ReminderStatus.CLAIMED, status=ReminderStatus.FAILED, last_error=str(exc))
        report.failed += len(rows)
        report.errors.append(str(exc))
        return False
    message = OutboundMessage.objects.create(
        client=client, channel=channel_name, language=template.language,
        to=client.contact_for(channel_name), subject=rendered.subject, text=rendered.text,
        html=rendered.html)
    Reminder.objects.filter(pk__in=[r.pk for r in rows]).update(message=message)
    link = links.link_store(client=client, token=token, message=message, now=now)
    _set(rows, ReminderStatus.CLAIMED, status=ReminderStatus.SENDING)
    try:
        handover = CHANNELS[channel_name].send(message, reply_to=getattr(
            client.owner, "email", "") or "")
    except TransientError as exc:
        # Nothing went out: the message is not kept, the retry renders it afresh.
        links.link_revoke(link, now)
        Reminder.objects.filter(message=message).update(message=None)
        message.delete()
        report.errors.append(str(exc))
        if rows[0].attempts + 1 >= MAX_ATTEMPTS:
            report.failed += _set(rows, ReminderStatus.SENDING, status=ReminderStatus.FAILED,
                                  attempts=F("attempts") + 1,
                                  last_error=f"Gave up after {MAX_ATTEMPTS} attempts: {exc}")
            return False
        backoff = RETRY_BACKOFF * 2 ** rows[0].attempts  # 15 min, 30, 1 h, 2 h
        _set(rows, ReminderStatus.SENDING, status=ReminderStatus.SCHEDULED,
             scheduled_for=now + backoff, claimed_at=None, last_error=str(exc),
             attempts=F("attempts") + 1)
        return False
    except PermanentError as exc:
        message.status, message.status_detail = MessageStatus.FAILED, str(exc)[:300]
        message.save(update_fields=["status", "status_detail"])
        report.errors.append(str(exc))
        report.fallbacks += 1
        delivery.fall_back(rows=rows, expected=ReminderStatus.SENDING, now=now,
                           failed_channel=channel_name, flag=exc.reason, flag_value=message.to,
                           why=f"{delivery.CHANNEL_LABEL[channel_name]} to {message.to} "
                               f"failed: {exc}")
        return False
    message.provider, message.provider_message_id, message.sent_at = (
        handover.provider, handover.provider_id, now)
    message.status, message.segments = handover.status, handover.segments
    message.save(update_fields=["provider", "provider_message_id", "sent_at", "status",
                                "segments"])
    report.sent += _set(rows, ReminderStatus.SENDING, status=ReminderStatus.SENT, sent_at=now)
    if handover.reached_client:
        record_sent(message, step, invoices, now)
    return True


_SENT_KIND = {"email": (InteractionKind.EMAIL_REMINDER, InteractionChannel.EMAIL),
              "sms": (InteractionKind.SMS_REMINDER, InteractionChannel.SMS),
              "letter": (InteractionKind.LETTER_REMINDER, InteractionChannel.LETTER)}


def record_sent(message: OutboundMessage, step: CadenceStep | None, invoices: list[Invoice],
                 when: datetime) -> None:
    """The timeline entry for a message that reached (or was posted to) the client."""
    kind, channel = _SENT_KIND[message.channel]
    headline = message.subject or message.text[:120]
    interaction_record(
        client=message.client, kind=kind, channel=channel, occurred_at=when,
        summary=f"{step.name + ': ' if step else ''}{headline}"[:300],
        content={"to": message.to, "subject": message.subject, "text": message.text,
                 "html": message.html},
        metadata={"message_id": message.pk, "provider": message.provider,
                  "provider_message_id": message.provider_message_id,
                  "step": step.name if step else "", "tone": step.tone if step else "",
                  "segments": message.segments}, invoices=invoices)


def reminders_tick(*, now: datetime | None = None) -> TickReport:
    """One scheduler pass: heartbeat, plan, dispatch."""
    now = now or timezone.now()
    scheduler_heartbeat()
    report = reminders_plan(now=now)
    return reminders_dispatch(now=now, report=report)
