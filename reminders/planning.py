"""Planning: which reminder each invoice is due for, written to the outbox in batches.

Planning reads only invoices whose ``next_action_at`` has come (or was cleared by a change):
their ids once, then batches of plain rows with a fixed number of queries each
(``reminders.planning_rows``: no model instances; a client is read once per pass), asks the
pure planner (``core.planner``) and writes each batch set-based: one multi-row INSERT of
``Reminder`` rows and one UPDATE of ``next_action_at``, each with its rows as a single JSON
parameter (``infra.bulk``). The unique (invoice, step) constraint makes a second beat or a
retried task harmless. A promise date that passed unpaid is flagged as broken here.

On PostgreSQL, outside a transaction, a batch is written by a thread with its own connection
while the next one is read and planned (``_Writer``); a batch's writes and the next batch's
reads touch different invoices, and what a pass writes is the same either way.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clients.business import business
from clients.models import Client, InteractionKind
from clients.services import interactions_record_many
from core import planner
from infra import bulk
from receivables.models import ACTIVE_STATUSES, Invoice
from reminders import planning_rows, selectors
from reminders.models import Reminder, ReminderStatus
from reminders.outbox import TickReport
from work.calls import task_no_channel
from work.models import Task, TaskKind, TaskStatus

log = logging.getLogger(__name__)

BATCH_SIZE = 2500  # bench/README: 1,000 -> 2,500 took the 1M pass from 7.5-8.4 s to 7.3-7.5 s

RECHECK_STOPPED = timedelta(days=1)  # a stopped invoice is looked at again daily

_REMINDER_COLUMNS = ("invoice", "client", "step", "instalment", "channel", "scheduled_for",
                     "status", "claim_token", "attempts", "last_error", "failed_channels",
                     "created_at", "updated_at")

# status, claim_token, attempts, last_error, failed_channels
_NEW_REMINDER: tuple[str, str, int, str, list[str]] = (
    ReminderStatus.SCHEDULED.value, "", 0, "", [])

def _plan_batch(invoices: list[planning_rows.InvoiceRow], clients: planning_rows.ClientBook,
                book: selectors.CadenceBook, now: datetime, report: TickReport,
                writer: _Writer) -> None:
    batch = planning_rows.load_rows(invoices, clients)
    new_rows: list[tuple[object, ...]] = []
    next_action: dict[int, datetime | None] = {}
    no_channel: dict[int, list[planning_rows.InvoiceRow]] = defaultdict(list)
    cannot_plan: list[tuple[planning_rows.InvoiceRow, Exception]] = []
    no_legal_channel: list[planning_rows.InvoiceRow] = []
    models = _Models()
    _flag_broken_promises(batch, now, models)
    for invoice in batch["invoices"]:
        # A client's tags, cadence and preferences are the same for each of its invoices.
        client_spec, steps = clients.spec(invoice.client_id)
        report.examined += 1
        try:
            unit = selectors.planning_unit(invoice, batch, book, steps)
            if unit.spec is None:  # a plan waits for a decision, or rides on another invoice
                next_action[invoice.id] = now + RECHECK_STOPPED
                continue
            result = planner.plan(unit.spec, client_spec, unit.steps, now)
        except Exception as exc:  # one invoice never stops the others' reminders
            cannot_plan.append((invoice, exc))
            next_action[invoice.id] = now + RECHECK_STOPPED
            continue
        if result.due_step is not None:
            new_rows.append((invoice.id, invoice.client_id, result.due_step.id,
                             unit.instalment_id, result.channel, result.send_at,
                             *_NEW_REMINDER))
        # Caught-up steps are counted, not stored: the planner never goes back to a step
        # earlier than one already planned, so the due step's row is what keeps them done.
        report.skipped += len(result.skipped_step_ids)
        if result.stop == planner.Stop.NO_CHANNEL:
            no_channel[invoice.client_id].append(invoice)
        if result.stop == planner.Stop.NO_LEGAL_CHANNEL:
            no_legal_channel.append(invoice)
        next_action[invoice.id] = result.next_action_at or (
            now + RECHECK_STOPPED if result.stop in (
                planner.Stop.NO_CHANNEL, planner.Stop.NO_LEGAL_CHANNEL, None) else None)
    stamp = (timezone.now(),) * 2
    rows = [row + stamp for row in new_rows]
    # Rare: a person has to look (the texts now, the tasks once the batch is written).
    notices: list[tuple[planning_rows.InvoiceRow, str, str]] = []
    for invoice in no_legal_channel:
        name = clients.rows[invoice.client_id].display_name
        notices.append((invoice, f"The letter of demand for {invoice.number} cannot go out",
                        "A legal notice goes only by letter or e-mail, never by SMS or a call, "
                        f"and neither reaches {name}. Add a postal address (or e-mail), or send "
                        f"the notice yourself; reminders for {invoice.number} wait until then."))
    for failed, problem in cannot_plan:
        notices.append(_report_unplannable(failed, problem, report))
    models.need([*(i for i, _, _ in notices), *(i for found in no_channel.values()
                                                  for i in found)])

    def write() -> None:
        with transaction.atomic():
            # One INSERT per batch, its rows as one JSON parameter; the unique (invoice, step)
            # constraint turns a row another beat already planned into a no-op.
            report.planned += bulk.insert_rows_json(Reminder, _REMINDER_COLUMNS, rows)
            bulk.update_column_json(Invoice, "next_action_at", next_action)
        _tell_once(notices, models, now, writer)
        for client_id, found in no_channel.items():
            task_no_channel(client=models.client(client_id),
                            invoices=[models.invoice(i.id) for i in found], now=now,
                            why="The client has no email, mobile number, address or phone "
                                "that works among their preferred channels.")

    writer.submit(write)


class _Writer:
    """Writes each planned batch (its outbox rows and next actions, then its tasks) while the
    next batch is read and planned: on PostgreSQL, outside a transaction, in a thread with a
    connection of its own, so the database writes one batch while Python plans the next (a
    batch's writes and the next batch's reads and promise updates touch different invoices).
    At most one batch waits to be written; a failed write is raised by the next ``submit`` or
    by ``close``. Elsewhere (SQLite, or inside a transaction, as in the tests) each batch is
    written as soon as it is planned. The bookkeepers' emails about new tasks are kept until
    ``close``: one email per bookkeeper per pass (``_email_owners``), however many tasks the
    pass gave them. The writer's statements go through the caller's execute wrappers
    (statement counters)."""

    def __init__(self, overlap: bool) -> None:
        threads = overlap and OVERLAP_WRITES and connection.vendor == "postgresql" \
            and not connection.in_atomic_block
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="settle-plan-write") \
            if threads else None
        self._pending: Future[None] | None = None
        self._mail: list[tuple[str, str, str]] = []

    def mail(self, messages: list[tuple[str, str, str]]) -> None:
        """Keep (email, title, text) for the bookkeepers' emails (called by the thread that
        wrote the tasks; ``close`` reads the list after that thread finished)."""
        self._mail.extend(messages)

    def submit(self, write: Callable[[], None]) -> None:
        self.wait()
        if self._pool is None:
            write()
        else:
            self._pending = self._pool.submit(_wrapped, write, list(connection.execute_wrappers))

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.submit(_close_connection).result()
                self._pool.shutdown()
            if mail := self._mail:  # once the tasks are committed: at once, or when the
                # caller's transaction commits (never, when it rolls back)
                sender = business().from_email
                transaction.on_commit(lambda: _email_owners(mail, sender))


OVERLAP_WRITES = True  # False: every batch written in line, as on SQLite


def _close_connection() -> None:
    connection.close()  # the writer thread's own (``connection`` is per thread)


def _wrapped(write: Callable[[], None], wrappers: list[Any]) -> None:
    with ExitStack() as stack:
        for wrapper in wrappers:
            stack.enter_context(connection.execute_wrapper(wrapper))
        write()


class _Models:
    """Clients and invoices of the batch as models, for the rare task or timeline entry that
    takes them: ``need`` names them, the first lookup loads all named so far (one query for
    clients, one for invoices), so a batch that needs none costs nothing."""

    def __init__(self) -> None:
        self._invoices: dict[int, Invoice] = {}
        self._clients: dict[int, Client] = {}
        self._wanted: tuple[set[int], set[int]] = (set(), set())

    def need(self, rows: Iterable[planning_rows.InvoiceRow]) -> None:
        for row in rows:
            self._wanted[0].add(row.id)
            self._wanted[1].add(row.client_id)

    def _load(self) -> None:
        invoices, clients = (self._wanted[0] - set(self._invoices),
                             self._wanted[1] - set(self._clients))
        if invoices:
            self._invoices.update(Invoice.objects.only(*_INVOICE_FIELDS).in_bulk(invoices))
        if clients:
            self._clients.update(Client.objects.select_related("owner").in_bulk(clients))
        self._wanted = (set(), set())

    def invoice(self, pk: int) -> Invoice:
        if pk not in self._invoices:
            self._load()
        return self._invoices[pk]

    def client(self, pk: int) -> Client:
        if pk not in self._clients:
            self._load()
        return self._clients[pk]


_INVOICE_FIELDS = planning_rows.INVOICE_COLUMNS


def _report_unplannable(invoice: planning_rows.InvoiceRow, exc: Exception, report: TickReport
                        ) -> tuple[planning_rows.InvoiceRow, str, str]:
    """Logged, counted in the tick's report (and so on /healthz), and a task for the client's
    bookkeeper (one open at a time per invoice: the notice returned); the invoice is looked at
    again tomorrow."""
    log.exception("Could not plan reminders for invoice %s", invoice.number, exc_info=exc)
    report.errors.append(f"Could not plan {invoice.number}: {exc}")
    return (invoice, f"Reminders could not be planned for {invoice.number}",
            f"Settle could not plan reminders for {invoice.number} (issued "
            f"{invoice.issue_date.isoformat()}, due {invoice.due_date.isoformat()}): "
            f"{exc}. Check its dates and terms; it is tried again every day and no other "
            "invoice is held up.")


def _tell_once(notices: list[tuple[planning_rows.InvoiceRow, str, str]], models: _Models,
               now: datetime, writer: _Writer) -> None:
    """A task for the client's bookkeeper per (invoice, title, text), unless the same one is
    still open, and an email to the bookkeeper: what ``answers.base.tell_owner`` does for one
    notice, for a batch's notices at once (the open tasks read in one query, the tasks and
    their invoices written in two INSERTs, the emails handed to ``writer.mail`` after the
    commit: one per bookkeeper when the pass ends)."""
    if not notices:
        return
    open_titles = set(Task.objects.filter(
        client_id__in={invoice.client_id for invoice, _, _ in notices},
        status=TaskStatus.OPEN).values_list("client_id", "title"))
    new: list[tuple[Task, Invoice]] = []
    for invoice, title, text in notices:
        if (invoice.client_id, title) in open_titles:
            continue
        open_titles.add((invoice.client_id, title))
        client = models.client(invoice.client_id)
        new.append((Task(kind=TaskKind.NOTICE, client=client, assigned_to=client.owner,
                         title=title[:300], script=text, due_at=now, created_at=now),
                    models.invoice(invoice.id)))
    if not new:
        return
    links = Task.invoices.through
    with transaction.atomic():
        tasks = Task.objects.bulk_create([task for task, _ in new])
        links.objects.bulk_create([links(task_id=task.pk, invoice_id=invoice.pk)
                                   for task, (_, invoice) in zip(tasks, new, strict=True)])
    writer.mail([(email, task.title, task.script) for task in tasks
                 if (email := getattr(task.assigned_to, "email", ""))])


DIGEST_LIMIT = 50  # tasks spelled out in one bookkeeper's email; the rest are counted


def _email_owners(mail: list[tuple[str, str, str]], sender: str) -> None:
    """The bookkeepers' emails about a pass's new tasks, over one connection: one email per
    bookkeeper, never one per task (a first pass over an imported book can give a bookkeeper
    hundreds). A single task reads as ``tell_owner``'s email; several are listed in one (the
    first ``DIGEST_LIMIT`` spelled out). A failing email never undoes a task, and never stops
    the other bookkeepers' emails."""
    by_owner: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for email, title, text in mail:
        by_owner[email].append((title, text))
    try:
        connection = get_connection()
        connection.open()
    except Exception:  # each email then opens its own, as send_mail would
        log.exception("Could not open the email connection")
        connection = None
    try:
        for email, tasks in by_owner.items():
            subject, body = _digest(tasks)
            try:
                EmailMessage(subject[:200], body, sender, [email], connection=connection).send()
            except Exception:  # the tasks are the record; the email is a courtesy
                log.exception("Could not email %s about %d new task(s)", email, len(tasks))
    finally:
        if connection is not None:
            try:
                connection.close()
            except Exception:
                log.exception("Could not close the email connection")


def _digest(tasks: list[tuple[str, str]]) -> tuple[str, str]:
    """Subject and text of one bookkeeper's email about ``tasks`` (title, text)."""
    if len(tasks) == 1:
        title, text = tasks[0]
        return f"[Settle] {title}", text
    shown = tasks[:DIGEST_LIMIT]
    parts = [f"Planning the reminders found {len(tasks)} things that need a person. Each is a "
             "task on your dashboard:"]
    parts += [f"- {title}\n  {text}" for title, text in shown]
    if len(tasks) > len(shown):
        parts.append(f"... and {len(tasks) - len(shown)} more tasks on your dashboard.")
    parts.append(f"Your open tasks: {settings.SITE_URL}{reverse('reminders:tasks')}")
    return f"[Settle] {len(tasks)} new tasks need you", "\n\n".join(parts)


def _flag_broken_promises(batch: dict[str, Any], now: datetime, models: _Models) -> None:
    """A promise date that passed with the invoice still owed: the timeline flags it as
    broken (the next message says so) and the cadence resumes. A handful of statements per
    batch however many promises lapsed. The batch's rows are replaced by rows without the
    promise, so the planner resumes the cadence at once."""
    invoices: list[planning_rows.InvoiceRow] = batch["invoices"]
    broken = []
    for index, invoice in enumerate(invoices):
        until = invoice.promised_until
        if until is None or invoice.status not in ACTIVE_STATUSES or invoice.balance <= 0:
            continue
        if until < batch["clients"][invoice.client_id].local_today(now):
            broken.append((index, invoice, until))
    if not broken:
        return
    models.need(invoice for _, invoice, _ in broken)
    with transaction.atomic():
        still = set(Invoice.objects.filter(
            pk__in=[i.id for _, i, _ in broken], promised_until__isnull=False).values_list(
            "pk", flat=True))
        Invoice.objects.filter(pk__in=still).update(promised_until=None)
        interactions_record_many([
            (models.client(invoice.client_id), InteractionKind.ESCALATION,
             f"Broken promise: {invoice.number} was promised by {until.isoformat()} and is "
             "still unpaid; reminders resume.", {"broken_promise": until.isoformat()},
             [models.invoice(invoice.id)]) for _, invoice, until in broken
            if invoice.id in still], occurred_at=now)
    for index, invoice, _ in broken:
        invoices[index] = invoice._replace(promised_until=None)


def reminders_plan(*, now: datetime, batch_size: int = BATCH_SIZE,
                   report: TickReport | None = None) -> TickReport:
    """Plan every invoice whose time has come, ``batch_size`` at a time: the due ids are read
    once, then each batch's rows (``planning_rows.due_rows``) and what the planner needs."""
    report = report or TickReport()
    book = selectors.CadenceBook()
    clients = planning_rows.ClientBook(book, now, (business().start, business().end))
    due = planning_rows.due_ids(now)
    writer = _Writer(overlap=len(due) > batch_size)
    try:
        for start in range(0, len(due), batch_size):
            if invoices := planning_rows.due_rows(now, due[start:start + batch_size]):
                _plan_batch(invoices, clients, book, now, report, writer)
    finally:
        writer.close()
    return report
