"""Planning: which reminder each invoice is due for, written to the outbox in batches.

Planning reads only invoices whose ``next_action_at`` has come (or was cleared by a change),
in batches with a fixed number of queries each, asks the pure planner (``reminders.planner``)
and inserts ``Reminder`` rows; the unique (invoice, step) constraint makes a second beat or a
retried task harmless. A promise date that passed unpaid is flagged as broken here.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from answers.base import tell_owner
from clients.models import Client, InteractionKind
from clients.services import interactions_record_many
from infra import bulk
from receivables.models import ACTIVE_STATUSES, Invoice
from receivables.services import invoices_set_next_action
from reminders import planner, selectors
from reminders.models import Reminder, ReminderStatus
from reminders.outbox import TickReport
from work.calls import task_no_channel
from work.models import Task, TaskKind, TaskStatus

log = logging.getLogger(__name__)

BATCH_SIZE = 1000

RECHECK_STOPPED = timedelta(days=1)  # a stopped invoice is looked at again daily

def due_invoice_ids(now: datetime, after_id: int, limit: int) -> list[int]:
    return list(Invoice.objects.filter(status__in=ACTIVE_STATUSES, balance__gt=0)
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
    cannot_plan: list[tuple[Invoice, Exception]] = []
    contacts = selectors.last_personal_contact(batch["clients"], now)
    no_legal_channel: list[Invoice] = []
    _flag_broken_promises(batch, now)
    for invoice in batch["invoices"]:
        if (known := per_client.get(invoice.client_id)) is None:
            client = batch["clients"][invoice.client_id]
            tags = frozenset(t.name for t in client.tags.all())
            cadence = book.cadence_for(client.pk, tags)
            held = selectors.hold_until(client, cadence, contacts.get(client.pk))
            known = per_client[client.pk] = (selectors.client_spec(client, tags, held),
                                             book.steps.get(cadence.pk, ()) if cadence else ())
        client_spec, steps = known
        report.examined += 1
        try:
            unit = selectors.planning_unit(invoice, batch, book, steps)
            if unit.spec is None:  # a plan waits for a decision, or rides on another invoice
                next_action[invoice.pk] = now + RECHECK_STOPPED
                continue
            result = planner.plan(unit.spec, client_spec, unit.steps, now)
        except Exception as exc:  # one invoice never stops the others' reminders
            cannot_plan.append((invoice, exc))
            next_action[invoice.pk] = now + RECHECK_STOPPED
            continue
        if result.due_step is not None:
            new_rows.append((invoice.pk, invoice.client_id, result.due_step.id,
                             unit.instalment_id, result.channel, result.send_at,
                             *_NEW_REMINDER))
        # Caught-up steps are counted, not stored: the planner never goes back to a step
        # earlier than one already planned, so the due step's row is what keeps them done.
        report.skipped += len(result.skipped_step_ids)
        if result.stop == planner.Stop.NO_CHANNEL:
            no_channel[invoice.client_id].append(invoice)
        if result.stop == planner.Stop.NO_LEGAL_CHANNEL:
            no_legal_channel.append(invoice)
        next_action[invoice.pk] = result.next_action_at or (
            now + RECHECK_STOPPED if result.stop in (
                planner.Stop.NO_CHANNEL, planner.Stop.NO_LEGAL_CHANNEL, None) else None)
    stamp = (timezone.now(),) * 2
    with transaction.atomic():
        # One INSERT per batch; the unique (invoice, step) constraint turns a row another
        # beat already planned into a no-op.
        report.planned += bulk.insert_rows(Reminder, _REMINDER_COLUMNS,
                                           [row + stamp for row in new_rows])
        invoices_set_next_action(next_action)
    for invoice in no_legal_channel:
        _tell_once(batch["clients"][invoice.client_id], invoice, now,
                   f"The letter of demand for {invoice.number} cannot go out",
                   "A legal notice goes only by letter or e-mail, never by SMS or a call, and "
                   f"neither reaches {batch['clients'][invoice.client_id].display_name}. Add a "
                   "postal address (or e-mail), or send the notice yourself; reminders for "
                   f"{invoice.number} wait until then.")
    for failed, problem in cannot_plan:
        _report_unplannable(failed, problem, batch["clients"][failed.client_id], now, report)
    for client_id, invoices in no_channel.items():  # rare: a person has to look
        task_no_channel(client=batch["clients"][client_id], invoices=invoices, now=now,
                              why="The client has no email, mobile number, address or phone "
                                  "that works among their preferred channels.")

def _report_unplannable(invoice: Invoice, exc: Exception, client: Client, now: datetime,
                        report: TickReport) -> None:
    """Logged, counted in the tick's report (and so on /healthz), and a task for the client's
    bookkeeper (one open at a time per invoice); the invoice is looked at again tomorrow."""
    log.exception("Could not plan reminders for invoice %s", invoice.number, exc_info=exc)
    report.errors.append(f"Could not plan {invoice.number}: {exc}")
    _tell_once(client, invoice, now, f"Reminders could not be planned for {invoice.number}",
               f"Settle could not plan reminders for {invoice.number} (issued "
               f"{invoice.issue_date.isoformat()}, due {invoice.due_date.isoformat()}): "
               f"{exc}. Check its dates and terms; it is tried again every day and no other "
               "invoice is held up.")


def _tell_once(client: Client, invoice: Invoice, now: datetime, title: str, text: str) -> None:
    """A task for the client's bookkeeper, unless the same one is still open."""
    if Task.objects.filter(client=client, title=title, status=TaskStatus.OPEN).exists():
        return
    tell_owner(client=client, title=title, now=now, invoices=[invoice], kind=TaskKind.NOTICE,
               text=text)


def _flag_broken_promises(batch: dict[str, Any], now: datetime) -> None:
    """A promise date that passed with the invoice still owed: the timeline flags it as
    broken (the next message says so) and the cadence resumes. A handful of statements per
    batch however many promises lapsed."""
    broken = []
    for invoice in batch["invoices"]:
        until = invoice.promised_until
        if until is None or invoice.status not in ACTIVE_STATUSES or invoice.balance <= 0:
            continue
        client = batch["clients"][invoice.client_id]
        if until < client.local_today(now):
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
    while ids := due_invoice_ids(now, last_id, batch_size):
        _plan_batch(ids, book, now, report)
        last_id = ids[-1]
    return report
