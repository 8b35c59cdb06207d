"""The entry point: ``seed_demo_book`` builds the whole book in one transaction, round by
round, and checks it before it commits.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from django.db import transaction
from django.utils import timezone

from clients.models import Client
from receivables.demo.bookkeeping import Ledger
from receivables.demo.checks import receivable_buckets, verify_book
from receivables.demo.clients import create_clients
from receivables.demo.ensure import Users, ensure_terms, ensure_users
from receivables.demo.history import History
from receivables.demo.options import DEMO_PREFIX, DemoBookError, DemoOptions, DemoReport
from receivables.demo.plan import chunks, plan_invoices
from receivables.demo.rounds import Round, client_entries, play, send_transfers
from receivables.demo.rows import EntryRow
from receivables.demo.writer import Writer, insert, no_cyclic_gc, sqlite_cache
from receivables.models import Invoice


def demo_clients_count() -> int:
    return Client.objects.filter(reference__startswith=DEMO_PREFIX).count()


def _demo_present() -> str:
    """Why the demo book is not created again ("" when it can be)."""
    existing = demo_clients_count()
    if existing:
        return f"Demo data already present ({existing} demo clients): nothing changed."
    if Invoice.objects.filter(number__startswith=DEMO_PREFIX).exists():
        # Demo clients renamed by hand: their invoice numbers would collide.
        return "Demo invoices already present: nothing changed."
    return ""


def seed_demo_book(options: DemoOptions) -> DemoReport:
    """Create the demo book unless demo clients exist already; all or nothing."""
    if options.clients < 1 or options.invoices < 0:
        raise ValueError("Need at least one client and a non-negative number of invoices.")
    if options.clients > 99_999:
        raise ValueError("At most 99,999 demo clients (references are DEMO-00001..DEMO-99999).")
    today = options.today or timezone.localdate()
    # The existence check runs inside the transaction: on SQLite (IMMEDIATE transactions)
    # two concurrent runs queue here instead of both seeding; elsewhere the unique client
    # reference makes the second one fail and roll back.
    with transaction.atomic():
        present = _demo_present()
        if present:
            return DemoReport(created=False, message=present)
        users = ensure_users(options.password)
        with sqlite_cache(), no_cyclic_gc():
            report = _build_book(options, today, users)
        problems = verify_book()
        if problems:
            raise DemoBookError("; ".join(problems))
    report.buckets = receivable_buckets(today)
    return report


def _build_book(options: DemoOptions, today: date, users: Users) -> DemoReport:
    rng = random.Random(options.seed)  # noqa: S311 - reproducible demo data, not secrets
    now = timezone.now()
    writer = Writer(now)
    profiles = create_clients(rng, options, today, users, ensure_terms(), writer)
    plans = plan_invoices(rng, profiles, options.invoices, today)
    by_client = {id(p.client): p for p in profiles}
    counts: dict[str, int] = defaultdict(int)
    counter: dict[str, int] = defaultdict(int)
    client_ledger = Ledger(now=now)
    for profile in profiles:
        client_entries(client_ledger, rng, profile, today)
    insert(writer, client_ledger)
    counts["interactions"] += len(client_ledger.entries)
    # The reminder history has its own random stream: the book is the same with or without.
    history = History(options, today, now)
    own_entries: dict[int, list[EntryRow]] = defaultdict(list)
    for entry in client_ledger.entries:
        own_entries[id(entry.client)].append(entry)
    for chunk in chunks(plans):
        rnd = Round(rng=rng, today=today, ledger=Ledger(now=now), counter=counter)
        for plan in chunk:
            play(rnd, plan, profiles[plan.client])
        send_transfers(rnd, by_client)
        if history.enabled:
            history.play(rnd.ledger, [profiles[i] for i in sorted({p.client for p in chunk})],
                         own_entries)
            history.write_before(writer)
        insert(writer, rnd.ledger)
        if history.enabled:
            history.write_after(writer)
        for name in ("invoices", "lines", "payments", "allocations", "adjustments", "entries"):
            counts["interactions" if name == "entries" else name] += len(
                getattr(rnd.ledger, name))
    counts["clients"] = len(profiles)
    return DemoReport(created=True, counts=dict(counts), users=users.created,
                      history=dict(history.counts) if history.enabled else {})
