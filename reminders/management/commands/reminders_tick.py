"""`manage.py reminders_tick [--now ISO8601]`: one plan + dispatch pass (for cron users too)."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reminders.tick import reminders_tick


def parse_now(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--now '{text}' is not an ISO 8601 date-time.") from None
    if value.tzinfo is None:
        raise CommandError("--now needs a UTC offset, e.g. 2026-11-23T09:30:00+01:00.")
    return value


class Command(BaseCommand):
    help = "Run one scheduler pass: plan due reminders, then send what is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="Pretend it is this moment (ISO 8601 with offset).")

    def handle(self, *args: Any, **options: Any) -> None:
        report = reminders_tick(now=parse_now(options["now"]))
        self.stdout.write(
            f"Examined {report.examined} invoices: planned {report.planned}, caught up "
            f"{report.skipped}; sent {report.sent}, deferred {report.deferred}, cancelled "
            f"{report.cancelled}, failed {report.failed}, recovered {report.recovered}.")
        for error in report.errors[:10]:
            self.stderr.write(error)
