"""The scale benchmark (issue 7): Settle's heavy paths on a 1,000,000-invoice book, each next
to its floor (the least any implementation must spend on the same work), in the same run.

    make bench-scale                                    # the full size, under with-postgres
    scripts/with-postgres .venv/bin/python bench/scale.py --clients 500 --invoices 50000 \
        --reminders 500 --letters 25 --requests 20      # a 1/20 smoke run

PostgreSQL only (DATABASE_URL, as ``scripts/with-postgres`` sets it): a new database is
created next to the one named, migrated, filled by ``bench/scale_data.py`` (set-based SQL) and
dropped afterwards. Measured, on the same data:

1. the planning pass: ``reminders_plan`` over the whole book (every ``next_action_at`` empty,
   no outbox: the first tick after an import) vs the raw due-set SELECT, streamed into Python;
2. dispatch: ``--reminders`` due email reminders (one per client: the outbox is refilled
   after the pass) through ``reminders_dispatch`` ticks to a fake Postmark on loopback
   (``bench/scale_esp.py``, its own process) vs as many bare anymail sends of the same
   rendered messages; the fake ESP's count proves every message arrived, once;
3. ``--letters`` letters as one print batch (``printing.batch_create`` + ``batch_pdf``) vs
   WeasyPrint laying out the same HTML documents and writing them as one PDF;
4. p50/p95 over ``--requests`` requests of the dashboard, the worklist (logged in) and the
   pay-now page (a different client's link and address each time, as the rate limits
   expect) vs a bare view through the same middleware (``bench/scale_urls.py``).

Prints a markdown table (measurement | Settle | floor | ratio | notes) and the machine facts,
and writes them to ``var/bench/scale-<date>.md``.

The parts: bench/scale_run.py (the run, its rows, the fake ESP), scale_engine.py (data,
planning, dispatch), scale_letters.py, scale_pages.py; this module is the command
line and the table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.plan_pass_setup import code_version, fresh_database, setup_django  # noqa: E402
from bench.scale_engine import build_book, dispatch, planning_pass  # noqa: E402
from bench.scale_letters import letters_batch  # noqa: E402
from bench.scale_pages import pages  # noqa: E402
from bench.scale_run import FakeEsp, Run, fmt_s, say  # noqa: E402

FULL = {"clients": 10_000, "invoices": 1_000_000, "reminders": 10_000, "letters": 500,
        "requests": 200}


def business_now(today: date) -> datetime:
    """14:30 UTC on the latest day up to ``today`` that is a business day in every country of
    the book: inside local business hours from New York (09:30/10:30) to Berlin (15:30/16:30),
    so the dispatch sends at once instead of deferring."""
    from bench.scale_data import COUNTRIES
    from core import calendar as cal

    day = today
    while not all(cal.is_business_day(day, row[0]) for row in COUNTRIES):
        day -= timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=14, minute=30)


# --- Output -----------------------------------------------------------------------------------


def _facts(run: Run, db_label: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database())), "
                       "pg_size_pretty(pg_total_relation_size('receivables_invoice'))")
        size, invoices = cursor.fetchone()
    load = os.getloadavg()
    return [f"- machine: {os.cpu_count()} CPUs ({platform.machine()}), "
            f"{_mem_gb():.0f} GB RAM, load average {load[0]:.1f} / {load[1]:.1f} / "
            f"{load[2]:.1f} at the end (other work was running on the machine)",
            f"- database: {db_label} (scripts/with-postgres: fsync off, Unix socket); "
            f"database {size}, invoices table with indexes {invoices}",
            f"- Python {sys.version.split()[0]}, Django, {code_version()}",
            f"- book as of {run.now.date()}, 'now' = {run.now.isoformat()}; sizes: "
            + ", ".join(f"--{k} {getattr(run.args, k):,}" for k in FULL)]


def _mem_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def table(run: Run, db_label: str) -> str:
    lines = [f"# Scale benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
             "| measurement | Settle | floor | ratio | notes |", "|---|--:|--:|--:|---|"]
    for row in run.rows:
        lines.append(f"| {row.measurement} | {fmt_s(row.settle)} | {fmt_s(row.floor)} | "
                     f"{row.ratio} | {row.notes} |")
    return "\n".join([*lines, "", *_facts(run, db_label), *run.facts])


# --- Main -------------------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, value in FULL.items():
        parser.add_argument(f"--{name}", type=int, default=value,
                            help="default %(default)s")
    parser.add_argument("--page-budget", type=float, default=120.0,
                        help="seconds per page before its requests stop early (at least 20 "
                             "are made; default %(default)s)")
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the table (default var/bench/scale-<date>.md)")
    parser.add_argument("--skip", default="",
                        help="comma-separated parts to leave out: plan,dispatch,letters,pages")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("The scale benchmark runs on PostgreSQL: run it under "
                         "scripts/with-postgres (or `make bench-scale`).")
    # Loopback only: no proxy from the environment may carry the fake ESP's traffic away.
    os.environ.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    esp = FakeEsp()
    os.environ.update({"ESP": "postmark", "ANYMAIL_POSTMARK_SERVER_TOKEN": "x",
                       "ANYMAIL_POSTMARK_API_URL": esp.url})
    tmp = Path(tempfile.mkdtemp(prefix="settle-scale-"))
    db = fresh_database(tmp)
    try:
        setup_django(db.url, tmp)
        return _run(args, db.label, esp)
    finally:
        esp.stop()
        db.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, db_label: str, esp: FakeEsp) -> int:
    from django.utils import timezone

    run = Run(args=args, now=business_now(args.today or timezone.localdate()))
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    say(f"scale benchmark: {db_label}, now = {run.now.isoformat()}")
    started = time.perf_counter()
    bookkeeper = build_book(run)
    if "plan" not in skip:
        planning_pass(run)
    if "dispatch" not in skip:
        dispatch(run, esp)
    if "letters" not in skip:
        letters_batch(run, bookkeeper)
    if "pages" not in skip:
        pages(run, bookkeeper)
    run.facts.append(f"- whole run {time.perf_counter() - started:,.0f} s")
    text = table(run, db_label)
    print(text)
    full = all(getattr(args, k) == v for k, v in FULL.items())
    out = args.out or ROOT / "var" / "bench" / (
        f"scale-{datetime.now(UTC):%Y-%m-%d}" + ("" if full else f"-{args.invoices}") + ".md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    say(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
