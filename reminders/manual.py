"""What a bookkeeper does to one invoice's reminders by hand: see the next step, preview it
exactly as it will be rendered, send it now, or skip it.

The cadence stays the source of truth: "the next step" is the first step the planner has not
planned yet (never one before a step already planned), sending now writes that step's outbox row
due now and dispatches it through the normal path (stop conditions, business hours and the
one-message-a-day rule still apply), and skipping writes the row as skipped so the planner
moves past it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.models import InteractionKind
from clients.services import actor_label_for, interaction_record
from core import planner
from receivables.models import ACTIVE_STATUSES, Invoice
from reminders import selectors
from reminders.channels.compose import render_message
from reminders.channels.phone import call_script
from reminders.dispatch import dispatch_group
from reminders.models import CadenceStep, Reminder, ReminderStatus, StepAction
from reminders.outbox import TickReport, reminders_claim
from reminders.rendering import Rendered, TemplateError

PREVIEW_LINK = "https://pay.example/p/(a-fresh-link-when-it-is-sent)/"


@dataclass(frozen=True)
class NextStep:
    step: CadenceStep
    channel: str
    send_at: datetime  # when the cadence would send it


def next_step(invoice: Invoice, now: datetime) -> NextStep | None:
    """The invoice's next cadence step and when it would go out, or None (cadence done, or a
    payment plan's reminders apply, or nothing is owed)."""
    return next_steps([invoice], now)[invoice.pk]


def next_steps(invoices: list[Invoice], now: datetime) -> dict[int, NextStep | None]:
    """``next_step`` for several invoices with one planning batch (a client page's list)."""
    result: dict[int, NextStep | None] = {i.pk: None for i in invoices}
    live = [i.pk for i in invoices if i.status in ACTIVE_STATUSES and i.balance > 0]
    if not live:
        return result
    book = selectors.CadenceBook()
    batch = selectors.load_planning_batch(live)
    for inv_row in batch["invoices"]:
        client = batch["clients"][inv_row.client_id]
        tags = frozenset(t.name for t in client.tags.all())
        cadence = book.cadence_for(client.pk, tags)
        if cadence is None or batch["plan_of"].get(inv_row.pk) is not None:
            continue
        spec = selectors.client_spec(client, tags)
        result[inv_row.pk] = _next(selectors.invoice_spec(inv_row, batch["planned"][inv_row.pk]),
                                   spec, book, book.steps.get(cadence.pk, ()), now)
    return result


def _next(inv: planner.InvoiceSpec, spec: planner.ClientSpec, book: selectors.CadenceBook,
          steps: tuple[planner.StepSpec, ...], now: datetime) -> NextStep | None:
    applicable = sorted((s for s in steps if not s.only_tags or s.only_tags & spec.tags),
                        key=lambda s: (s.offset_days, s.id))
    last = max((s.offset_days for s in applicable if s.id in inv.planned_step_ids), default=None)
    pending = [s for s in applicable if s.id not in inv.planned_step_ids
               and (last is None or s.offset_days > last)]
    if not pending:
        return None
    today = now.astimezone(ZoneInfo(spec.timezone)).date()
    dated = [(planner.step_day(s, inv, spec), s) for s in pending]
    arrived = [(d, s) for d, s in dated if d <= today
               and not planner.stale_on(s.offset_days, inv.due_date, today, spec.country)]
    upcoming = [(d, s) for d, s in dated if d > today]
    if not arrived and not upcoming:
        return None
    # As the planner would: the latest step whose day has come (catch-up), else the next one.
    day, chosen = arrived[-1] if arrived else upcoming[0]
    channel = planner.resolve_channel(chosen, spec) or "email"
    return NextStep(step=book.step_rows[chosen.id], channel=channel,
                    send_at=planner.send_time(day, now, spec))


_CHANNEL_WORDS = {"email": "an e-mail", "sms": "an SMS", "letter": "a letter (to the print queue)",
                  "call": "a call task", "phone": "a call task"}


def consequences(invoice: Invoice, found: NextStep) -> list[str]:
    """What sending ``found`` now does, in the bookkeeper's words: asked before it is done."""
    step, said = found.step, []
    if StepAction.SEND_MESSAGE in step.actions:
        said.append(f"Sends {_CHANNEL_WORDS.get(found.channel, found.channel)} to "
                    f"{invoice.client.display_name}: \u201c{step.name}\u201d.")
    if StepAction.APPLY_LATE_FEE in step.actions and invoice.terms.as_rule().has_late_fee:
        said.append("Charges the late fee of the payment terms (once).")
    if StepAction.START_INTEREST in step.actions and invoice.terms.as_rule().has_interest:
        said.append("Interest starts to accrue, per the payment terms.")
    if StepAction.MARK_ESCALATED in step.actions:
        said.append("Marks the invoice as escalated in the timeline.")
    if StepAction.CREATE_CALL_TASK in step.actions:
        said.append(f"Creates a call task for {invoice.client.display_name}'s owner.")
    if StepAction.HAND_TO_COLLECTIONS in step.actions:
        said.append(f"Hands {invoice.number} to collections: its status becomes \u201cIn "
                    "collections\u201d and automated reminders stop.")
    if step.legal_notice:
        said.append("This is the legal notice: the hand-over to collections can follow once "
                    "its notice period has run.")
    return said


def _require_next(invoice: Invoice, now: datetime) -> NextStep:
    found = next_step(invoice, now)
    if found is None:
        raise ValidationError(f"Invoice {invoice.number} has no next reminder step (paid, "
                              "disputed, in a payment plan, or its cadence is complete).")
    return found


def preview(invoice: Invoice, now: datetime) -> tuple[NextStep, Rendered]:
    """The next step's message exactly as it would be rendered now (the pay link aside: every
    message gets its own when it is sent)."""
    found = _require_next(invoice, now)
    if found.channel in ("call", "phone"):  # a person calls: the script they will read
        title, script = call_script(client=invoice.client, invoices=[invoice], step=found.step,
                                    now=now, pay_url=PREVIEW_LINK)
        return found, Rendered(subject=title, text=script, html="")
    channel = found.channel if found.channel in ("email", "sms", "letter") else "email"
    row = Reminder(invoice=invoice, client=invoice.client, step=found.step, channel=channel)
    try:
        _, rendered = render_message([row], found.step, channel, now, PREVIEW_LINK)
    except TemplateError as exc:
        raise ValidationError(f"The step's template cannot be rendered: {exc}") from None
    return found, rendered


def send_now(*, invoices: list[Invoice], actor: User | None,
             now: datetime) -> TickReport:
    """Put each invoice's next step in the outbox, due now, and dispatch it: one message per
    client, as the tick would (a person asked: no hold, no contact policy)."""
    report = TickReport()
    rows = []
    with transaction.atomic():
        for invoice in invoices:
            found = _require_next(invoice, now)
            rows.append(Reminder.objects.create(
                invoice=invoice, client=invoice.client, step=found.step,
                channel=found.channel if found.channel != "call" else "call",
                scheduled_for=now))
            interaction_record(client=invoice.client, kind=InteractionKind.NOTE, actor=actor,
                               invoices=[invoice], occurred_at=now,
                               summary=f"{found.step.name} sent now by "
                                       f"{actor_label_for(actor)} instead of on "
                                       f"{found.send_at.astimezone(ZoneInfo(invoice.client.timezone)):%Y-%m-%d}")
    groups: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        groups[row.client_id].append(row.pk)
    for ids in groups.values():
        claimed = reminders_claim(ids, now)
        if claimed:
            dispatch_group(claimed, now, report, hold=False)
    return report


def skip(*, invoice: Invoice, actor: User | None, now: datetime,
         reason: str = "") -> CadenceStep:
    """Mark the invoice's next step as done without sending it."""
    found = _require_next(invoice, now)
    try:
        with transaction.atomic():
            Reminder.objects.create(invoice=invoice, client=invoice.client, step=found.step,
                                    channel=found.channel, scheduled_for=now,
                                    status=ReminderStatus.SKIPPED,
                                    last_error=f"Skipped by {actor_label_for(actor)}"
                                               + (f": {reason}" if reason else ""))
            Invoice.objects.filter(pk=invoice.pk).update(next_action_at=None)
            interaction_record(client=invoice.client, kind=InteractionKind.NOTE, actor=actor,
                               invoices=[invoice], occurred_at=now,
                               summary=f"Skipped the step '{found.step.name}' for "
                                       f"{invoice.number}" + (f": {reason}" if reason else ""))
    except IntegrityError:
        raise ValidationError("That step was planned meanwhile; reload the page.") from None
    return found.step
