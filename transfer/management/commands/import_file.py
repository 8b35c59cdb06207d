"""``manage.py import_file PATH --kind invoices [--commit]``: the page's import, scripted.

A dry run unless ``--commit``; either way every row error is printed (line, column, value,
reason) and the exit status is 1 when there is any, so a script can stop on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from transfer.importing import run
from transfer.models import ImportKind
from transfer.reading import ENCODINGS
from transfer.services import import_prepare
from transfer.values import DATE_FORMATS, Options


class Command(BaseCommand):
    help = "Import clients, invoices or payments from a CSV or XLSX file (dry run by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--kind", choices=ImportKind.values,
                            help="What the file holds (detected from the columns if omitted).")
        parser.add_argument("--commit", action="store_true",
                            help="Write the rows (only when no row has an error).")
        parser.add_argument("--date-format", default="YYYY-MM-DD", choices=list(DATE_FORMATS))
        parser.add_argument("--decimal", default="point",
                            help="point (1,234.56), comma (1.234,56) or a locale like de_CH.")
        parser.add_argument("--encoding", default="utf-8", choices=list(ENCODINGS),
                            help="Of a CSV file without a byte-order mark (default utf-8).")
        parser.add_argument("--user", help="Username recorded as the actor on the timeline.")

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["path"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        try:
            options = Options.from_dict({"date_format": opts["date_format"],
                                         "decimal": opts["decimal"],
                                         "encoding": opts["encoding"]})
            prepared = import_prepare(content=content, filename=path.name, kind=opts["kind"],
                                      encoding=options.encoding)
        except (ValueError, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        actor = None
        if opts["user"]:
            actor = get_user_model().objects.filter(username=opts["user"]).first()
            if actor is None:
                raise CommandError(f"No user {opts['user']!r}.")
        report = run(prepared, options=options, actor=actor, commit=opts["commit"])
        for error in report.errors:
            self.stdout.write(f"line {error.line}\t{error.column or '-'}\t{error.value!r}\t"
                              f"{error.reason}")
        if report.unknown_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.unknown_columns)}")
        verb = "imported" if opts["commit"] and report.ok else "dry run, nothing written"
        self.stdout.write(f"{report.kind.label}: {report.rows_total} rows, {report.created} "
                          f"created, {report.updated} updated, {report.unchanged} unchanged, "
                          f"{len(report.errors)} errors ({verb}).")
        if report.errors:
            raise CommandError(f"{len(report.errors)} row(s) have errors; nothing was written.",
                               returncode=1)
