"""`manage.py reminders_forecast --days N [--now ISO8601] [--format json]`: what would go out,
sending nothing."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from reminders.forecast import forecast
from reminders.management.commands.reminders_tick import parse_now


class Command(BaseCommand):
    help = "Show the reminders and tasks the cadence would produce in the next N days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--now", help="Start at this moment (ISO 8601 with offset).")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        now = parse_now(options["now"]) or timezone.now()
        entries = forecast(now=now, days=max(0, options["days"]))
        if options["format"] == "json":
            self.stdout.write(json.dumps(entries, ensure_ascii=False, indent=2))
            return
        for e in entries:
            self.stdout.write(f"{e['send_at'][:16]}  {e['channel']:<6} {e['language']}  "
                              f"{e['step']:<24} {e['client']} ({', '.join(e['invoices'])})"
                              + (f"  [{e['why']}]" if e["why"] else ""))
        self.stdout.write(f"{len(entries)} messages and tasks in the next {options['days']} days.")
