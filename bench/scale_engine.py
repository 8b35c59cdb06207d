"""The scale benchmark's book and engine paths (bench/scale.py): the data (set-based SQL,
bench/scale_data.py), the planning pass vs the raw due-set SELECT, and dispatch to the fake
ESP vs bare anymail sends."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from bench.plan_pass_measure import Tally
from bench.scale_run import FakeEsp, Row, Run, say

# --- 0. Data ----------------------------------------------------------------------------------


def build_book(run: Run) -> Any:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from bench import scale_data
    from clients.models import ClientTag
    from infra.roles import ensure_groups
    from receivables.demo import ensure_terms

    args = run.args
    with run.timer("migrate"):
        call_command("migrate", verbosity=0, interactive=False)
    _admin_group, bookkeeper_group = ensure_groups()
    bookkeeper = get_user_model().objects.create_user(
        "bookkeeper", "bookkeeper@example.com", "settle-bench", first_name="Bea",
        last_name="Keeper", is_staff=True)
    bookkeeper.groups.add(bookkeeper_group)
    terms = ensure_terms()
    mix = [("net30", 0.45), ("net14", 0.2), ("discount", 0.15), ("yearly", 0.1),
           ("net60", 0.05), ("receipt", 0.05)]
    tag = ClientTag.objects.filter(name="high-value").first()
    started = time.perf_counter()
    generated = scale_data.generate(
        connection, clients=args.clients, invoices=args.invoices, today=run.now.date(),
        owner_id=bookkeeper.pk, terms=[(terms[k].pk, terms[k].net_days, share)
                                       for k, share in mix],
        high_value_tag_id=tag.pk if tag else None, seed=0.42, timer=run.timer)
    took = time.perf_counter() - started
    c = generated.counts
    steps = ", ".join(f"{name} {run.steps[name]:.1f} s" for name in (
        "clients", "invoice skeleton + lines (staging)", "invoices", "invoice lines",
        "payments + allocations", "vacuum analyze"))
    run.add(Row(
        "data generation (set-based SQL)", took, None,
        f"{c['clients']:,} clients, {c['invoices']:,} invoices ({c['receivable']:,} "
        f"receivable, {c['overdue']:,} overdue, {c['currencies']} currencies), "
        f"{c['lines']:,} lines, {c['payments']:,} payments with allocations; {steps}"))
    say(f"data: {c}")
    return bookkeeper


# --- 1. Planning pass -------------------------------------------------------------------------

DUE_SET_SQL = """
SELECT id, number, client_id, terms_id, issue_date, due_date, currency, status, total,
       charges_total, reductions_total, amount_paid, balance, promised_until,
       reminders_paused_until, next_action_at
FROM receivables_invoice
WHERE status IN ('open', 'partially_paid') AND balance > 0
  AND (next_action_at IS NULL OR next_action_at <= %s)
ORDER BY id
"""


def _raw_due_set(now: datetime) -> tuple[float, int]:
    from django.db import connection

    connection.ensure_connection()
    started = time.perf_counter()
    with connection.connection.cursor() as cursor:  # psycopg itself: no ORM, no planner
        cursor.execute(DUE_SET_SQL, [now])
        rows = cursor.fetchall()
    return time.perf_counter() - started, len(rows)


def planning_pass(run: Run) -> None:
    from django.db import connection

    from reminders import planning
    from reminders.planning import reminders_plan

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reminders_reminder")
        cursor.execute("UPDATE receivables_invoice SET next_action_at = NULL "
                       "WHERE next_action_at IS NOT NULL")
        cursor.execute("VACUUM ANALYZE")
    floors = [_raw_due_set(run.now) for _ in range(3)]
    floor, due_rows = statistics.median(f for f, _ in floors), floors[0][1]
    say(f"raw due-set SELECT: {floor:.2f} s, {due_rows:,} rows")
    kinds: Counter[str] = Counter()
    say("planning pass ...")
    with connection.execute_wrapper(Tally(kinds)):
        started = time.perf_counter()
        report = reminders_plan(now=run.now)
        took = time.perf_counter() - started
    batches = -(-report.examined // planning.BATCH_SIZE)
    written = ("each batch written by a second connection while the next is planned"
               if planning.OVERLAP_WRITES else "each batch written in line")
    run.add(Row(
        "planning pass: `reminders_plan` over the whole book", took, floor,
        f"{report.examined:,} invoices examined, {report.planned:,} reminders planned, "
        f"{sum(kinds.values()):,} statements ({batches:,} batches of "
        f"{planning.BATCH_SIZE:,} as plain rows, {written}); floor: the due-set SELECT by "
        f"hand ({due_rows:,} rows, 16 columns) fetched by psycopg, median of 3"))


# --- 2. Dispatch ------------------------------------------------------------------------------

DISPATCH_SET_SQL = """
INSERT INTO reminders_reminder (channel, scheduled_for, status, claim_token, attempts,
    last_error, failed_channels, created_at, updated_at, client_id, invoice_id, step_id)
SELECT 'email', %(due)s, 'scheduled', '', 0, '', '[]', now(), now(), client_id, id, %(step)s
FROM (SELECT DISTINCT ON (i.client_id) i.client_id, i.id
      FROM receivables_invoice i JOIN clients_client c ON c.id = i.client_id
      WHERE i.status IN ('open', 'partially_paid') AND i.balance > 0
        AND i.promised_until IS NULL AND i.reminders_paused_until IS NULL
        AND c.reminders_paused_until IS NULL AND c.is_active AND c.email <> ''
      ORDER BY i.client_id, i.due_date DESC, i.id) d
ORDER BY client_id
LIMIT %(limit)s
"""


def dispatch(run: Run, esp: FakeEsp) -> None:
    from django.core.mail import EmailMultiAlternatives
    from django.db import connection

    from clients.business import business
    from reminders.dispatch import reminders_dispatch
    from reminders.models import CadenceStep, OutboundMessage
    from reminders.outbox import TickReport

    step = CadenceStep.objects.get(cadence__is_default=True, name="Polite follow-up")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reminders_reminder")
        cursor.execute(DISPATCH_SET_SQL, {"due": run.now - timedelta(minutes=1),
                                          "step": step.pk, "limit": run.args.reminders})
        due = cursor.rowcount
        cursor.execute("ANALYZE reminders_reminder")
    if due < run.args.reminders:
        say(f"WARNING: only {due:,} clients have an open invoice to remind about")
    esp.reset()
    report, ticks = TickReport(), 0
    kinds: Counter[str] = Counter()
    say(f"dispatching {due:,} reminders ...")
    with connection.execute_wrapper(Tally(kinds)):
        started = time.perf_counter()
        while True:
            before = (report.sent, report.cancelled, report.deferred, report.failed,
                      report.fallbacks)
            reminders_dispatch(now=run.now, report=report)  # one scheduler tick's dispatch
            ticks += 1
            if (report.sent, report.cancelled, report.deferred, report.failed,
                    report.fallbacks) == before:
                break
        took = time.perf_counter() - started
    arrived = esp.count()
    say(f"dispatch: {took:.1f} s, {report.sent:,} sent, ESP received {arrived}")

    messages = list(OutboundMessage.objects.filter(channel="email", provider="postmark")
                    .values_list("to", "subject", "text", "html"))
    sender = business().from_email
    esp.reset()
    say(f"{len(messages):,} bare anymail sends ...")
    started = time.perf_counter()
    for to, subject, text, html in messages:
        email = EmailMultiAlternatives(subject=subject, body=text, from_email=sender, to=[to])
        email.attach_alternative(html, "text/html")
        email.send(fail_silently=False)
    floor = time.perf_counter() - started
    bare = esp.count()
    exact = arrived["received"] == arrived["messages"] == report.sent == due
    run.add(Row(
        f"dispatch of {due:,} due email reminders to a local fake Postmark", took, floor,
        f"{ticks} dispatch ticks (500 rows each), {report.sent:,} sent, "
        f"{report.deferred + report.cancelled + report.failed + report.fallbacks:,} not sent; "
        f"fake ESP received {arrived['received']:,} ({arrived['messages']:,} distinct) "
        f"{'= exactly ' + format(due, ',') if exact else '≠ ' + format(due, ',') + ' MISMATCH'}"
        f"; {sum(kinds.values()):,} statements "
        f"({sum(kinds.values()) / max(report.sent, 1):.1f} per message); floor: "
        f"{len(messages):,} `EmailMultiAlternatives(...).send()` of the same rendered messages "
        f"(text + HTML), same backend and server, which received {bare['received']:,}"))
    if not exact or bare["received"] != len(messages):
        run.facts.append("**Dispatch count mismatch**: see the dispatch row.")
