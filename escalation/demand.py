"""A letter of demand issued by hand: the cadence's "Letter of demand" step sent now through
the dispatcher's send path (template, letter layout, pay link, print queue), so the cadence
counts the step as done and never sends a second one."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.models import (
    Client,
    Interaction,
    InteractionChannel,
    InteractionKind,
)
from clients.selectors import working_contact
from clients.services import actor_label_for, interaction_record
from escalation.checks import amounts, live_plans, locked, plan_problem
from infra import pdf
from receivables.models import ACTIVE_STATUSES, Invoice
from reminders import selectors
from reminders.dispatch import step_send
from reminders.models import CadenceStep, OutboundMessage, Reminder, ReminderStatus
from reminders.outbox import TickReport, reminders_claim

logger = logging.getLogger(__name__)


DEMAND_TEMPLATE = "demand_30"  # the seeded cadence's "Letter of demand" step

def _demand_step(client: Client) -> CadenceStep:
    """The client's cadence's letter-of-demand step, else the default cadence's, else any
    cadence's: the step whose template, tone and actions the letter follows."""
    book = selectors.CadenceBook()
    cadence = book.cadence_for(client.pk, frozenset(client.tags.values_list("name", flat=True)))
    steps = [s for s in book.step_rows.values() if s.template_key == DEMAND_TEMPLATE]
    mine = [s for s in steps if cadence is not None and s.cadence_id == cadence.pk]
    default = [s for s in steps if book.default is not None and s.cadence_id == book.default.pk]
    found = mine or default or sorted(steps, key=lambda s: s.pk)
    if not found:
        raise ValidationError(f"No cadence has a step with the '{DEMAND_TEMPLATE}' letter "
                              "template: add a letter-of-demand step to a cadence first.")
    return found[0]

def _demand_problem(invoice: Invoice, client: Client) -> str:
    if invoice.client_id != client.pk:
        return f"Invoice {invoice.number} belongs to {invoice.client.display_name}."
    if invoice.status not in ACTIVE_STATUSES or invoice.balance <= 0:
        return (f"Invoice {invoice.number} is {invoice.get_status_display().lower()}: a letter "
                "of demand is only for an open invoice with money owed.")
    return ""

def _demand_problems(client: Client, invoices: list[Invoice]) -> list[str]:
    """Why these invoices cannot get a letter of demand now (nothing: they can)."""
    plans = live_plans([i.pk for i in invoices])
    problems = [p for i in invoices for p in (_demand_problem(i, client), plan_problem(i, plans))
                if p]
    if not working_contact(client, "letter"):
        problems.append(f"{client.display_name} has no usable postal address: add the street "
                        "and city first.")
    return problems

# Outbox rows for the step that a person may send again; the others say why not.
_RESENDABLE = (ReminderStatus.SCHEDULED, ReminderStatus.FAILED, ReminderStatus.CANCELLED,
               ReminderStatus.SKIPPED)

def _row_problem(row: Reminder | None, number: str) -> str:
    if row is None or row.status in _RESENDABLE:
        return ""
    if row.status == ReminderStatus.SENT:
        when = f" on {row.sent_at.date().isoformat()}" if row.sent_at else ""
        return f"The letter of demand for {number} already went out{when}."
    if row.status == ReminderStatus.REVIEW:
        return (f"The letter of demand for {number} needs review in the outbox first: it may "
                "have gone out.")
    return f"The letter of demand for {number} is being sent right now."

def _demand_rows(invoices: list[Invoice], step: CadenceStep, now: datetime) -> list[Reminder]:
    """The step's outbox row for each invoice, due now on the letter channel and claimed for
    this send: a new one, or the one waiting (or failed, cancelled, skipped) for it."""
    existing = {r.invoice_id: r for r in Reminder.objects.filter(
        invoice__in=invoices, step=step, instalment__isnull=True)}
    problems = [p for i in invoices if (p := _row_problem(existing.get(i.pk), i.number))]
    if problems:
        raise ValidationError(problems)
    ids = []
    for invoice in invoices:
        row = existing.get(invoice.pk)
        if row is None:
            row = Reminder.objects.create(invoice=invoice, client=invoice.client, step=step,
                                          channel="letter", scheduled_for=now)
        elif not Reminder.objects.filter(pk=row.pk, status=row.status).update(
                status=ReminderStatus.SCHEDULED, channel="letter", scheduled_for=now,
                claimed_at=None, failed_channels=[], last_error=""):
            raise ValidationError(f"The letter of demand for {invoice.number} changed "
                                  "meanwhile; try again.")
        ids.append(row.pk)
    rows = reminders_claim(ids, now)
    if len(rows) != len(ids):
        raise ValidationError("The scheduler is sending these reminders right now; try again "
                              "in a minute.")
    return rows

def _send_step(rows: list[Reminder], step: CadenceStep, now: datetime) -> None:
    """The dispatcher's send path for a group of rows, as ``_dispatch_group`` runs it once
    its timing checks pass: late fee first if the step charges one, send, then the step's
    other actions. Raises ``ValidationError`` when nothing went out."""
    report = TickReport()
    if not step_send(rows, step, now, report):
        raise ValidationError(report.errors[-1] if report.errors
                              else "The letter of demand could not be issued.")

def letter_of_demand_issue(*, client: Client, invoices: Iterable[Invoice],
                           actor: User | None, now: datetime) -> OutboundMessage:
    """Issue the cadence's letter of demand now for ``invoices`` (a table per currency):
    rendered from the "demand_30" letter template into the letter layout, its PDF waiting in
    the print queue. The step's outbox rows record it as sent, so the cadence does not send it
    again; the timeline says who issued it (and, once the batch is posted, that it went out)."""
    try:
        with transaction.atomic():
            chosen = locked(invoices)
            if problems := _demand_problems(client, chosen):
                raise ValidationError(problems)
            step = _demand_step(client)
            rows = _demand_rows(chosen, step, now)
            _send_step(rows, step, now)
            letter = OutboundMessage.objects.get(reminders__pk=rows[0].pk)
            _record_demand(letter, step, chosen, actor, now)
    except IntegrityError:  # the planner wrote the step's row between our read and insert
        raise ValidationError("The cadence planned this letter meanwhile; try again.") from None
    except pdf.PdfRenderError as exc:
        raise ValidationError(f"The letter could not be laid out: {exc}") from None
    return letter

def _record_demand(letter: OutboundMessage, step: CadenceStep, invoices: list[Invoice],
                   actor: User | None, now: datetime) -> Interaction:
    numbers = ", ".join(i.number for i in invoices)
    return interaction_record(
        client=letter.client, kind=InteractionKind.ESCALATION, channel=InteractionChannel.LETTER,
        actor=actor, occurred_at=now, invoices=invoices,
        summary=f"Letter of demand issued by {actor_label_for(actor)} for {numbers} "
                f"({amounts(invoices)}): waiting in the print queue",
        metadata={"letter_of_demand": True, "message_id": letter.pk, "step": step.name,
                  "template_key": step.template_key})
