"""Work for people: call tasks the cadence creates, and tasks saying no channel reaches a client.

A call task is assigned to the client's owner and due at the start of the client's business
hours; it carries the call script rendered from the step's ``call`` template. Each call
attempt records an outcome, and the outcome changes what the reminder engine does next:

- promise to pay (date and amount): the task's invoices are promised until that date, so
  reminders wait; a promise that passes unpaid is flagged as broken by the next tick, and the
  cadence resumes with wording that mentions it;
- dispute: the invoices are marked disputed (no reminders for them);
- payment plan agreed: reminders wait until the first instalment date;
- voicemail / no answer: the task stays open for the next business day;
- wrong number: the number is flagged, so neither calls nor SMS use it.

No client is called more than ``MAX_CALLS`` times in ``CALL_WINDOW``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from answers.promises import promise_record
from clients.models import Channel, Client, FlagReason, InteractionChannel, InteractionKind
from clients.selectors import business_time
from clients.services import contact_flag, interaction_record
from core.money import MoneyError, parse_amount
from receivables.models import ACTIVE_STATUSES, Invoice, InvoiceStatus
from receivables.services import invoice_transition
from work.models import CallAttempt, CallOutcome, Task, TaskKind, TaskStatus

if TYPE_CHECKING:  # the engine's model, named in signatures only (the engine calls us)
    from reminders.models import CadenceStep

MAX_CALLS = 7
CALL_WINDOW = timedelta(days=7)
REACHED = {CallOutcome.PROMISE, CallOutcome.DISPUTE, CallOutcome.PLAN}








def task_call_create(*, client: Client, invoices: Sequence[Invoice], step: CadenceStep | None,
                     now: datetime, due_at: datetime | None = None,
                     title: str = "", script: str = "") -> Task:
    """A call task for the client's owner, due in the client's business hours (or at
    ``due_at``, a time the client asked for); ``script`` is what the caller says (the engine
    renders it from the step's template: ``reminders.channels.phone``)."""
    title = (title or default_call_title(client, invoices))[:300]
    with transaction.atomic():
        task = Task.objects.create(kind=TaskKind.CALL, client=client,
                                   assigned_to=client.owner, title=title, script=script,
                                   due_at=due_at or business_time(client, now), step=step,
                                   created_at=now)
        task.invoices.set(invoices)
        interaction_record(client=client, kind=InteractionKind.CALL,
                           channel=InteractionChannel.PHONE,
                           summary=f"Call task created: {title}", occurred_at=now,
                           content={"script": script},
                           metadata={"task": task.pk, "step": step.name if step else ""},
                           invoices=invoices)
    return task


def task_call_for_step(*, client: Client, invoices: Sequence[Invoice], step: CadenceStep,
                       now: datetime, title: str, script: str) -> Task:
    """The cadence asks for a call: one open call task per client. While the engine's earlier
    call task is still open, its invoices join it (and a later step's script replaces the
    earlier one), so a client owing many invoices is called once, not once per step."""
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        task = (Task.objects.filter(client=client, kind=TaskKind.CALL, status=TaskStatus.OPEN,
                                    step__isnull=False).select_related("step")
                .order_by("-created_at", "-pk").first())
        if task is None:
            return task_call_create(client=client, invoices=invoices, step=step, now=now,
                                    title=title, script=script)
        known = set(task.invoices.values_list("pk", flat=True))
        added = [i for i in invoices if i.pk not in known]
        task.invoices.add(*added)
        if task.step is None or step.offset_days >= task.step.offset_days:
            task.step, task.title, task.script = step, title[:300], script
            task.save(update_fields=["step", "title", "script"])
        interaction_record(client=client, kind=InteractionKind.NOTE,
                           summary=f"Open call task updated ({step.name})"
                                   + (f": added {', '.join(i.number for i in added)}"
                                      if added else ""),
                           occurred_at=now, metadata={"task": task.pk, "step": step.name},
                           invoices=list(invoices))
    return task


def default_call_title(client: Client, invoices: Sequence[Invoice]) -> str:
    return f"Call {client.display_name} about {', '.join(i.number for i in invoices)}"


def task_no_channel(*, client: Client, why: str, now: datetime,
                    invoices: Sequence[Invoice] = ()) -> Task:
    """Tell a person that no channel reaches this client (one open task per client)."""
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        task = Task.objects.filter(client=client, kind=TaskKind.NO_CHANNEL,
                                   status=TaskStatus.OPEN).first()
        if task is not None:
            return task
        task = Task.objects.create(
            kind=TaskKind.NO_CHANNEL, client=client, assigned_to=client.owner,
            title=f"No working channel for {client.display_name}: update the contact details",
            script=why, due_at=now, created_at=now)
        task.invoices.set(invoices)
        interaction_record(client=client, kind=InteractionKind.ESCALATION,
                           summary=f"Reminders cannot reach the client: {why}"[:300],
                           occurred_at=now, metadata={"task": task.pk}, invoices=invoices)
    return task


def task_close(*, task: Task, actor: User | None, now: datetime | None = None,
               status: TaskStatus = TaskStatus.DONE) -> Task:
    now = now or timezone.now()
    Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=status, closed_at=now,
        closed_by=actor if getattr(actor, "pk", None) else None)
    task.refresh_from_db()
    return task


def calls_left(client: Client, now: datetime) -> tuple[int, datetime | None]:
    """How many more calls the limit allows now, and when the next one frees up if none."""
    recent = list(CallAttempt.objects.filter(client=client, called_at__gt=now - CALL_WINDOW)
                  .order_by("called_at").values_list("called_at", flat=True))
    left = MAX_CALLS - len(recent)
    return max(left, 0), (recent[-MAX_CALLS] + CALL_WINDOW if left <= 0 else None)


def _clean_promise(outcome: str, promised_on: date | None,
                   promised_amount: Decimal | str | None, today: date,
                   currency: str) -> Decimal | None:
    errors: dict[str, str] = {}
    amount = None
    if outcome in (CallOutcome.PROMISE, CallOutcome.PLAN):
        if promised_on is None:
            errors["promised_on"] = ("Enter the date the client promised to pay." if
                                     outcome == CallOutcome.PROMISE else
                                     "Enter the date of the first instalment.")
        elif promised_on < today:
            errors["promised_on"] = "The date must be today or later."
        elif promised_on > today + timedelta(days=365):
            errors["promised_on"] = "The date must be within a year."
    if outcome == CallOutcome.PROMISE:
        if promised_amount in (None, ""):
            errors["promised_amount"] = "Enter the amount the client promised to pay."
        else:
            try:
                amount = parse_amount(promised_amount, currency)
            except MoneyError as exc:
                errors["promised_amount"] = str(exc)
            else:
                if amount <= 0:
                    errors["promised_amount"] = "The amount must be more than zero."
    if errors:
        raise ValidationError(errors)
    return amount


def call_record(*, task: Task, number: str, outcome: CallOutcome | str,
                actor: User, note: str = "", promised_on: date | None = None,
                promised_amount: Decimal | str | None = None,
                now: datetime | None = None,
                invoice_ids: Sequence[int] | None = None) -> CallAttempt:
    """Record one call attempt and do what its outcome means (see the module docstring).
    ``invoice_ids``: the invoices the call was about (a promise, a dispute), chosen by the
    person who called; by default the task's own."""
    now = now or timezone.now()
    client = task.client
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": f"Choose an outcome: {', '.join(CallOutcome.values)}."})
    outcome = CallOutcome(outcome)
    numbers = {n for n in (client.phone, client.mobile_phone) if n}
    if number not in numbers:
        raise ValidationError({"number": "Choose one of the client's numbers."})
    invoices = [i for i in task.invoices.all() if i.status in ACTIVE_STATUSES]
    if invoice_ids is not None:
        invoices = _chosen_invoices(client, invoice_ids, outcome)
    elif not invoices and outcome in (CallOutcome.PROMISE, CallOutcome.PLAN):
        # A call about nothing still open (a call-back, a hand-over call): what the client
        # promises is about what they owe now, so every open invoice carries the promise.
        invoices = list(client.invoices.filter(status__in=ACTIVE_STATUSES, balance__gt=0)
                        .order_by("due_date", "pk"))
    currency = invoices[0].currency if invoices else client.default_currency
    today = client.local_today(now)
    amount = _clean_promise(outcome, promised_on, promised_amount, today, currency)
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.status != TaskStatus.OPEN:
            raise ValidationError("This task is already closed.")
        left, free_at = calls_left(client, now)
        if left == 0:
            raise ValidationError(
                f"{client.display_name} has been called {MAX_CALLS} times in the last "
                f"{CALL_WINDOW.days} days; the next call is possible from "
                f"{(free_at or now).astimezone(ZoneInfo(client.timezone)):%Y-%m-%d %H:%M} "
                f"({client.timezone}).")
        attempt = CallAttempt.objects.create(
            task=task, client=client, number=number, outcome=outcome, note=note[:5000],
            promised_on=promised_on, promised_amount=amount, called_at=now, called_by=actor)
        summary = f"Call to {number}: {outcome.label}" + (f" — {note}" if note else "")
        interaction_record(client=client, kind=InteractionKind.CALL,
                           channel=InteractionChannel.PHONE, summary=summary[:300],
                           actor=actor, occurred_at=now, content={"note": note},
                           metadata={"task": task.pk, "outcome": outcome.value,
                                     "number": number}, invoices=invoices)
        _apply_outcome(task, attempt, invoices, actor, now)
    return attempt


def _chosen_invoices(client: Client, invoice_ids: Sequence[int],
                     outcome: CallOutcome) -> list[Invoice]:
    """The client's open invoices among ``invoice_ids``; a promise or plan names at least one,
    all in one currency (amounts in different currencies never add up)."""
    wanted = set(invoice_ids)
    invoices = list(client.invoices.filter(pk__in=wanted, status__in=ACTIVE_STATUSES,
                                           balance__gt=0).order_by("due_date", "pk"))
    if len(invoices) != len(wanted):
        raise ValidationError({"invoices": "Choose among the client's open invoices."})
    if outcome in (CallOutcome.PROMISE, CallOutcome.PLAN, CallOutcome.DISPUTE) and not invoices:
        raise ValidationError({"invoices": "Tick the invoices the client talked about."})
    if outcome in (CallOutcome.PROMISE, CallOutcome.PLAN) and len(
            {i.currency for i in invoices}) > 1:
        raise ValidationError({"invoices": "A promise covers invoices in one currency: record "
                                           "one call per currency."})
    return invoices


def _apply_outcome(task: Task, attempt: CallAttempt, invoices: list[Invoice],
                   actor: User, now: datetime) -> None:
    client, outcome = task.client, attempt.outcome
    if outcome in (CallOutcome.PROMISE, CallOutcome.PLAN):
        assert attempt.promised_on is not None
        promise_record(
            client=client, invoices=invoices, promised_on=attempt.promised_on,
            amount=attempt.promised_amount, channel=InteractionChannel.PHONE, now=now,
            actor=actor, metadata={"call": attempt.pk, "plan": outcome == CallOutcome.PLAN},
            summary="" if outcome == CallOutcome.PROMISE else
            f"Payment plan agreed, first instalment on {attempt.promised_on.isoformat()}")
    elif outcome == CallOutcome.DISPUTE:
        for invoice in invoices:
            invoice_transition(invoice=invoice, to=InvoiceStatus.DISPUTED, actor=actor,
                               reason=f"disputed on a call: {attempt.note or 'no details'}")
    elif outcome == CallOutcome.WRONG_NUMBER:
        # The number called is flagged for calls even when the landline is the phone
        # channel's number today; the mobile is flagged for SMS too.
        for channel in (Channel.PHONE, Channel.SMS):
            if channel == Channel.PHONE or client.contact_for(channel) == attempt.number:
                contact_flag(client=client, channel=channel, value=attempt.number,
                             reason=FlagReason.WRONG_NUMBER, actor=actor, when=now,
                             detail=attempt.note)
    if outcome in REACHED:
        task_close(task=task, actor=actor, now=now)
        return
    others = {n for n in (client.phone, client.mobile_phone) if n} - {attempt.number}
    if outcome == CallOutcome.WRONG_NUMBER and not others:
        task_close(task=task, actor=actor, now=now)
        task_no_channel(client=client, now=now, invoices=invoices,
                        why=f"{attempt.number} is a wrong number and there is no other.")
        return
    Task.objects.filter(pk=task.pk).update(due_at=business_time(client, now, next_day=True))


def call_log(*, client: Client, invoices: Sequence[Invoice], number: str,
             outcome: CallOutcome | str, actor: User, note: str = "",
             promised_on: date | None = None, promised_amount: Decimal | str | None = None,
             now: datetime | None = None) -> CallAttempt:
    """A call made outside a task (the bookkeeper phoned, or the client rang): a call task is
    opened and the attempt recorded on it, so its outcome drives the reminders exactly as a
    planned call's would; nothing is left open for a call that already happened."""
    now = now or timezone.now()
    with transaction.atomic():
        task = task_call_create(client=client, invoices=invoices, step=None, now=now,
                                title=f"Call to {client.display_name} (logged)")
        attempt = call_record(task=task, number=number, outcome=outcome, actor=actor,
                              note=note, promised_on=promised_on,
                              promised_amount=promised_amount, now=now)
        task_close(task=task, actor=actor, now=now)
    return attempt
