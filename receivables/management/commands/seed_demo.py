"""`manage.py seed_demo`: fill an empty install with a realistic demo book.

The generator lives in ``receivables.demo`` (benchmarks import it); this is only the CLI.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.models import Client
from receivables.demo import (
    DEFAULT_PASSWORD,
    HISTORY_DAYS,
    HISTORY_MAX_INVOICES,
    DemoBookError,
    DemoOptions,
    DemoReport,
    seed_demo_book,
)
from receivables.selectors import AGING_BUCKETS


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today '{text}' is not a date: use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = ("Create demo clients, terms, invoices, payments and timelines, with 90 days of "
            "reminder history (and the admin and bookkeeper logins). Does nothing when demo "
            "clients exist already.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=DemoOptions.clients,
                            help="Number of demo clients (default %(default)s).")
        parser.add_argument("--invoices", type=int, default=DemoOptions.invoices,
                            help="Number of demo invoices (default %(default)s).")
        parser.add_argument("--seed", type=int, default=DemoOptions.seed,
                            help="Random seed; the same seed and day give the same book.")
        parser.add_argument("--today", type=str, default=None,
                            help="Build the book as of this day (YYYY-MM-DD); default today.")
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help="Password for admin and bookkeeper when they are created.")
        parser.add_argument("--history-days", type=int, default=None,
                            help="Days of reminder history before --today (sent reminders, "
                                 "deliveries, opens, clicks, calls, promises); 0 for none. "
                                 f"Default: {HISTORY_DAYS}, none for books of more than "
                                 f"{HISTORY_MAX_INVOICES:,} invoices.")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing, silently, when any client exists (for make run).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Client.objects.exists():
            return
        demo = DemoOptions(clients=options["clients"], invoices=options["invoices"],
                           seed=options["seed"], password=options["password"],
                           history_days=options["history_days"],
                           today=_day(options["today"]) if options["today"] else None)
        started = time.monotonic()
        try:
            report = seed_demo_book(demo)
        except (ValueError, DemoBookError) as exc:
            raise CommandError(str(exc)) from exc
        if not report.created:
            self.stdout.write(report.message)
            return
        self._summary(report, time.monotonic() - started, demo.password)

    def _summary(self, report: DemoReport, seconds: float, password: str) -> None:
        c = report.counts
        self.stdout.write(self.style.SUCCESS(
            f"Demo book created in {seconds:.1f} s: {c['clients']} clients, "
            f"{c['invoices']} invoices ({c['lines']} lines), {c['payments']} payments, "
            f"{c['adjustments']} adjustments, {c['interactions']} timeline entries."))
        if report.history:
            h = report.history
            self.stdout.write(
                f"Reminder history: {h.get('messages', 0)} messages "
                f"({h.get('reminders sent', 0)} reminders sent, "
                f"{h.get('reminders skipped', 0)} skipped), {h.get('clicks', 0)} clicks, "
                f"{h.get('bounces', 0)} bounces, {h.get('opt-outs', 0)} opt-outs, "
                f"{h.get('call tasks', 0)} call tasks, {h.get('handed over', 0)} handed to "
                f"collections, promises {h.get('promises kept', 0)} kept / "
                f"{h.get('promises broken', 0)} broken.")
        self.stdout.write("Owed by age: " + " · ".join(
            f"{b.label} {report.buckets.get(b.key, 0)}" for b in AGING_BUCKETS))
        bookkeeper = self._login("bookkeeper", report, password)
        admin = self._login("admin", report, password)
        self.stdout.write(f"Logins: {bookkeeper} (admin: {admin})")

    @staticmethod
    def _login(username: str, report: DemoReport, password: str) -> str:
        if report.users.get(username):
            return f"{username} / {password}"
        return f"{username} (existing user, password unchanged)"
