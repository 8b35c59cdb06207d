"""Benchmark: one reminder-planning pass over a demo book, on SQLite or PostgreSQL.

    .venv/bin/python bench/plan_pass.py [--clients 10000] [--invoices 100000] [--batch 1000]
    scripts/with-postgres .venv/bin/python bench/plan_pass.py      # the same on PostgreSQL
    bench/run                                                      # both, one after the other

Builds a fresh database (a temp SQLite file, or a new ``settle_bench_<pid>`` database next to
the one DATABASE_URL names, dropped afterwards), migrates it and seeds the demo book with
``receivables.demo.seed_demo_book``. Before every pass it clears every
``Invoice.next_action_at`` and deletes every ``Reminder``, so each pass plans the whole book
from scratch (the worst tick there is: after an import, or the first tick of a new install),
then runs ``reminders.planning.reminders_plan`` once. For the main batch size and each
``--compare`` size, on identical starting data:

* the timed run (``--repeat`` times, median shown): wall time (``time.perf_counter``), SQL
  statements counted by kind with a light ``execute_wrapper`` (no query log, no debug
  cursor), and the growth of the process's peak resident memory (Linux VmHWM);
* the memory run: the ``tracemalloc`` peak of Python allocations during the pass
  (tracemalloc slows Python down severalfold, so it never shares a run with the stopwatch).

Then, at the main batch size: one pass under ``django.test.utils.CaptureQueriesContext``
(its count must match the timed run's; on SQLite its debug cursor costs time, which is why
the timed run does without it), a steady-state tick 5 minutes after a full pass, and a pass
with each step timed (wall time, and time inside ``cursor.execute``). ``--profile FILE``
adds a cProfile of one more pass. ``--check`` exits 1 when a target is missed: under 20 s
per pass, and statements per batch the same at every batch size.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import os
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 20.0
MB = 1024 * 1024


# --- Database set-up (before Django reads its settings) -------------------------------------


@dataclass
class Database:
    label: str
    url: str
    cleanup: Callable[[], None]


def fresh_database(tmp: Path) -> Database:
    """A new, empty database: a temp SQLite file, or a new PostgreSQL database created next to
    the one DATABASE_URL names (dropped by ``cleanup``)."""
    given = os.environ.get("DATABASE_URL", "")
    if not given:
        return Database("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None)
    parts = urlsplit(given)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"DATABASE_URL must be PostgreSQL (or unset for SQLite), not "
                         f"{parts.scheme}://")
    import psycopg

    name = f"settle_bench_{os.getpid()}"
    with psycopg.connect(given, autocommit=True) as admin:
        version = admin.execute("SHOW server_version").fetchone()[0]
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(given, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return Database(f"PostgreSQL {version.split()[0]}",
                    urlunsplit(parts._replace(path=f"/{name}")), drop)


def setup_django(url: str, tmp: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["SETTLE_VAR_DIR"] = str(tmp)  # never the working var/ directory
    os.environ["DATABASE_URL"] = url
    # DEBUG would keep every query in memory during seeding; the timed run captures its own.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def code_version() -> str:
    """The commit measured, and the app files changed since (a benchmark of a moving tree)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "clients", "config",
             "core", "receivables", "reminders"],
            capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return f"code in {ROOT} (not a git checkout)"
    changed = [line[3:] for line in dirty if line.strip()]
    return f"code at {head}" + (f" + uncommitted changes to {', '.join(changed)}"
                                if changed else "")


# --- Measuring ------------------------------------------------------------------------------


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _proc_status_mb(key: str) -> float | None:
    """VmRSS (resident now) or VmHWM (peak resident) of this process, Linux only."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def _kind(sql: str) -> str:
    """'SELECT receivables_invoice', 'INSERT reminders_reminder', 'BEGIN', ..."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    table = _TABLE.search(sql)
    return f"{verb} {table.group(1)}" if table and verb != "BEGIN" else verb


class Tally:
    """execute_wrapper counting statements by kind: no SQL text kept, no debug cursor."""

    def __init__(self, kinds: Counter[str]) -> None:
        self.kinds = kinds

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: Any) -> Any:
        self.kinds[_kind(sql)] += 1
        return execute(sql, params, many, context)


@contextmanager
def _captured(connection: Any) -> Iterator[list[dict[str, str]]]:
    """The queries run inside, via CaptureQueriesContext, with a query log big enough for any
    pass (Django's keeps the last 9000). The list is filled on exit."""
    from collections import deque

    from django.test.utils import CaptureQueriesContext

    queries: list[dict[str, str]] = []
    connection.queries_log = deque(maxlen=10_000_000)
    try:
        with CaptureQueriesContext(connection) as ctx:
            yield queries
        queries.extend(ctx.captured_queries)
    finally:
        connection.queries_log = deque(maxlen=connection.queries_limit)


PHASES = (
    ("cadence", "CadenceBook() (once per pass)"),
    ("due", "planning.due_invoice_ids (page of due ids)"),
    ("load", "selectors.load_planning_batch (invoices, clients+tags, reminders)"),
    ("plan", "planner.plan (pure Python, per invoice)"),
    ("insert", "infra.bulk.insert_rows (Reminder rows)"),
    ("update", "receivables.services.invoices_set_next_action"),
)


@contextmanager
def _phase_timers(connection: Any) -> Iterator[tuple[Counter[str], Counter[str]]]:
    """Wall time and database time (inside cursor.execute) per step of a pass, by wrapping
    the functions reminders_plan calls; what is left is the loop body of _plan_batch."""
    from infra import bulk
    from reminders import planner, planning, selectors

    wall: Counter[str] = Counter()
    db: Counter[str] = Counter()
    current = ["other"]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outer, current[0] = current[0], name
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                wall[name] += time.perf_counter() - started
                current[0] = outer
        return wrapper

    def in_db(execute: Callable[..., Any], sql: str, params: Any, many: bool,
              context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db[current[0]] += time.perf_counter() - started

    targets = [(selectors, "CadenceBook", "cadence"), (planning, "due_invoice_ids", "due"),
               (selectors, "load_planning_batch", "load"), (planner, "plan", "plan"),
               (bulk, "insert_rows", "insert"),
               (planning, "invoices_set_next_action", "update")]
    saved = [(owner, attr, owner.__dict__.get(attr)) for owner, attr, _ in targets]
    for owner, attr, name in targets:
        setattr(owner, attr, timed(name, getattr(owner, attr)))
    try:
        with connection.execute_wrapper(in_db):
            yield wall, db
    finally:
        for owner, attr, original in saved:
            if original is None:
                delattr(owner, attr)  # a manager method lives on the class
            else:
                setattr(owner, attr, original)


@dataclass
class PassResult:
    batch: int
    examined: int = 0
    planned: int = 0
    skipped: int = 0
    wall: float = 0.0  # the median of the timed runs
    walls: list[float] = field(default_factory=list)
    queries: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    rss_before_mb: float | None = None
    rss_peak_mb: float | None = None
    traced_peak_mb: float | None = None
    traced_wall: float | None = None

    @property
    def rss_growth_mb(self) -> float | None:
        if self.rss_peak_mb is None or self.rss_before_mb is None:
            return None
        return max(0.0, self.rss_peak_mb - self.rss_before_mb)  # freed seeding memory reused

    @property
    def batches(self) -> int:
        return math.ceil(self.examined / self.batch) if self.examined else 0

    def per_1000(self) -> float:
        return self.queries * 1000 / self.examined if self.examined else float("nan")


class Bench:
    def __init__(self, now: datetime, analyze: bool) -> None:
        from django.db import connection

        self.connection = connection
        self.now = now
        self.analyze = analyze and connection.vendor == "postgresql"

    def reset(self) -> None:
        """Every invoice unplanned, no reminders: the pass has the whole book to do."""
        from django.db import transaction

        from receivables.models import Invoice
        from reminders.models import Reminder

        with transaction.atomic():
            Reminder.objects.all().delete()
            Invoice.objects.update(next_action_at=None)
        if self.analyze:  # the state autovacuum keeps a live PostgreSQL in
            with self.connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        gc.collect()

    def fixed_queries(self) -> int:
        """Queries a pass makes whatever the book: the cadence book, the last (empty) page."""
        from reminders.selectors import CadenceBook

        kinds: Counter[str] = Counter()
        with self.connection.execute_wrapper(Tally(kinds)):
            CadenceBook()
        return sum(kinds.values()) + 1

    def run(self, batch: int, memory: bool, repeat: int = 1) -> PassResult:
        """The timed run (``repeat`` times; statements counted by a light execute_wrapper, no
        query log), then, on the same starting data, the tracemalloc run."""
        from reminders.planning import reminders_plan

        result = PassResult(batch=batch)
        for _ in range(repeat):
            self.reset()
            kinds: Counter[str] = Counter()
            rss_ok = _reset_peak_rss()
            before = _proc_status_mb("VmRSS") if rss_ok else None
            with self.connection.execute_wrapper(Tally(kinds)):
                started = time.perf_counter()
                report = reminders_plan(now=self.now, batch_size=batch)
                result.walls.append(time.perf_counter() - started)
            peak = _proc_status_mb("VmHWM") if rss_ok else None
            if result.rss_growth_mb is None or (
                    peak is not None and before is not None
                    and peak - before > result.rss_growth_mb):
                result.rss_before_mb, result.rss_peak_mb = before, peak
            if result.kinds and kinds != result.kinds:
                print(f"WARNING: batch {batch}: the statements differ between repeats",
                      file=sys.stderr)
            result.kinds = kinds
        result.wall = statistics.median(result.walls)
        result.queries = sum(result.kinds.values())
        result.examined, result.planned = report.examined, report.planned
        result.skipped = report.skipped
        if memory:
            self.reset()
            tracemalloc.start()
            started = time.perf_counter()
            again = reminders_plan(now=self.now, batch_size=batch)
            result.traced_wall = time.perf_counter() - started
            result.traced_peak_mb = tracemalloc.get_traced_memory()[1] / MB
            tracemalloc.stop()
            self._same(report, again, "tracemalloc")
        return result

    def follow_up(self, batch: int, after: timedelta) -> str:
        """A tick ``after`` a full pass: what the scheduler does in steady state."""
        from reminders.planning import reminders_plan

        self.reset()
        reminders_plan(now=self.now, batch_size=batch)
        kinds: Counter[str] = Counter()
        with self.connection.execute_wrapper(Tally(kinds)):
            started = time.perf_counter()
            report = reminders_plan(now=self.now + after, batch_size=batch)
            wall = time.perf_counter() - started
        return (f"steady state: a tick {after.total_seconds() / 60:g} min after a full pass "
                f"examined {report.examined:,} "
                f"invoices and planned {report.planned:,} in {wall:.2f} s with "
                f"{sum(kinds.values()):,} statements")

    def captured(self, timed: PassResult) -> str:
        """One more pass under django.test.utils.CaptureQueriesContext: its count must match
        the timed run's (plus the COMMITs Django logs), and its cost shows why the timed run
        does without it."""
        from reminders.planning import reminders_plan

        self.reset()
        with _captured(self.connection) as queries:
            started = time.perf_counter()
            report = reminders_plan(now=self.now, batch_size=timed.batch)
            wall = time.perf_counter() - started
        self._same(self._as_report(timed), report, "CaptureQueriesContext")
        kinds = Counter(_kind(q["sql"]) for q in queries)
        extra, missing = kinds - timed.kinds, timed.kinds - kinds
        control = {k: n for k, n in extra.items() if k in ("BEGIN", "COMMIT", "ROLLBACK")}
        agree = ("the same statements as the timed run"
                 if not missing and set(extra) == set(control) else
                 f"DIFFERENT statements from the timed run (extra {dict(extra)}, "
                 f"missing {dict(missing)})")
        logged = " + ".join(f"{n:,} {k}" for k, n in sorted(control.items()))
        return (f"CaptureQueriesContext, batch {timed.batch:,}: {len(queries):,} entries: "
                f"{agree} ({timed.queries:,})"
                + (f" + {logged} that Django logs for transactions (the driver runs "
                   "them, not cursor.execute)" if logged else "")
                + f"; that pass took {wall:.2f} s ({wall / timed.wall - 1:+.0%} against the "
                  "timed run: the debug cursor)")

    @staticmethod
    def _as_report(result: PassResult) -> Any:
        from reminders.outbox import TickReport

        return TickReport(examined=result.examined, planned=result.planned)

    @staticmethod
    def _same(first: Any, second: Any, what: str) -> None:
        if (first.examined, first.planned) != (second.examined, second.planned):
            print(f"WARNING: the {what} run planned {second.planned}/{second.examined}, "
                  f"the timed run {first.planned}/{first.examined}", file=sys.stderr)

    def phases(self, batch: int) -> str:
        """Where one pass's wall time goes, and how much of it is spent in the database."""
        from reminders.planning import reminders_plan

        self.reset()
        with _phase_timers(self.connection) as (wall, db):
            started = time.perf_counter()
            reminders_plan(now=self.now, batch_size=batch)
            total = time.perf_counter() - started
        rows = [f"Where the time goes, one pass at batch {batch:,} ({total:.2f} s; "
                "'in DB' is time inside cursor.execute):", "",
                "| step | wall s | share | in DB s |", "|---|--:|--:|--:|"]
        for key, label in (*PHASES, ("other", "rest of _plan_batch (tags, cadence, specs, "
                                              "Reminder objects, transaction)")):
            spent = total - sum(wall.values()) if key == "other" else wall[key]
            rows.append(f"| {label} | {spent:.2f} | {spent / total:.0%} | {db[key]:.2f} |")
        rows.append(f"| **total** | {total:.2f} | 100% | {sum(db.values()):.2f} |")
        return "\n".join(rows)

    def profile(self, batch: int, path: Path, top: int) -> str:
        from reminders.planning import reminders_plan

        self.reset()
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(reminders_plan, now=self.now, batch_size=batch)
        wall = time.perf_counter() - started
        profiler.dump_stats(path)
        out = io.StringIO()
        out.write(f"cProfile of one pass at batch {batch}: {wall:.1f} s under the profiler, "
                  f"stats in {path}\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        return out.getvalue()


# --- Output ---------------------------------------------------------------------------------


def _fmt(value: float | None, places: int = 1) -> str:
    return "–" if value is None or value != value else f"{value:,.{places}f}"


def _results_table(db: str, book_invoices: int, results: list[PassResult]) -> str:
    head = ("| database | invoices | examined | batch size | wall s | peak MB (tracemalloc) "
            "| RSS growth MB | queries | queries/1000 invoices examined | reminders planned |")
    rows = [head, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        rows.append(f"| {db} | {book_invoices:,} | {r.examined:,} | {r.batch:,} | "
                    f"{_fmt(r.wall, 2)} | {_fmt(r.traced_peak_mb)} | {_fmt(r.rss_growth_mb)} | "
                    f"{r.queries:,} | {_fmt(r.per_1000(), 2)} | {r.planned:,} |")
    return "\n".join(rows)


def _per_batch_table(results: list[PassResult], fixed: int) -> str:
    kinds = sorted({k for r in results for k in r.kinds})
    head = "| queries per batch | " + " | ".join(f"batch {r.batch:,}" for r in results) + " |"
    rows = [head, "|---|" + "--:|" * len(results)]
    for kind in kinds:
        rows.append(f"| {kind} | " + " | ".join(
            _fmt(r.kinds[kind] / r.batches if r.batches else None, 2) for r in results) + " |")
    rows.append("| **all, fixed cost removed** | " + " | ".join(
        _fmt((r.queries - fixed) / r.batches if r.batches else None, 2) for r in results)
        + " |")
    rows.append("| batches | " + " | ".join(f"{r.batches:,}" for r in results) + " |")
    return "\n".join(rows)


def _verdict(results: list[PassResult], fixed: int) -> tuple[bool, list[str]]:
    lines = []
    slow = [r for r in results if r.wall >= TARGET_SECONDS]
    constant = True
    lines.append(f"- wall time under {TARGET_SECONDS:.0f} s per pass: "
                 + ("yes" if not slow else "NO (" + ", ".join(
                     f"batch {r.batch}: {r.wall:.1f} s" for r in slow) + ")"))
    per_batch = [(r.batch, (r.queries - fixed) / r.batches) for r in results if r.batches]
    if len(per_batch) > 1:
        values = [v for _, v in per_batch]
        constant = max(values) <= min(values) * 1.05
        lines.append("- queries per batch independent of the batch size: "
                     + ("yes" if constant else "NO") + " ("
                     + ", ".join(f"{b:,}/batch → {v:.1f}" for b, v in per_batch) + ")")
    return not slow and constant, lines


# --- Main -----------------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000,
                        help="batch size of the main pass (default %(default)s, the service's)")
    parser.add_argument("--compare", default="500,2000",
                        help="more batch sizes to run on the same book, comma-separated "
                             "(default %(default)s; '' for none)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="build the book as of this day (default: today)")
    parser.add_argument("--now", type=datetime.fromisoformat, default=None,
                        help="the pass's 'now' (default: --today at 10:00 UTC)")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the tracemalloc runs (halves the run time)")
    parser.add_argument("--no-analyze", action="store_true",
                        help="PostgreSQL: no VACUUM ANALYZE before each pass")
    parser.add_argument("--repeat", type=int, default=1,
                        help="timed runs per batch size; the table shows their median")
    parser.add_argument("--no-follow-up", action="store_true",
                        help="skip the steady-state tick 5 minutes after a full pass")
    parser.add_argument("--no-capture", action="store_true",
                        help="skip the CaptureQueriesContext cross-check pass")
    parser.add_argument("--no-phases", action="store_true",
                        help="skip the extra pass that times each step of the pass")
    parser.add_argument("--profile", type=Path, default=None,
                        help="also cProfile one pass at --batch into this file")
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp directory (and its SQLite file)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    sizes = [args.batch] + [int(s) for s in args.compare.split(",") if s.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="settle-bench-"))
    db = fresh_database(tmp)
    try:
        setup_django(db.url, tmp)
        return _run(args, db, sorted(set(sizes), key=sizes.index))
    finally:
        db.cleanup()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, db: Database, sizes: list[int]) -> int:
    from django.core.management import call_command
    from django.utils import timezone

    from receivables.demo import DemoOptions, seed_demo_book
    from receivables.models import Invoice

    today = args.today or timezone.localdate()
    now = args.now or datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(hour=10)
    if timezone.is_naive(now):
        now = now.replace(tzinfo=UTC)
    print(f"# Planning pass benchmark: {db.label}, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}, {code_version()}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter() - started
    started = time.perf_counter()
    demo = seed_demo_book(DemoOptions(clients=args.clients, invoices=args.invoices,
                                      seed=args.seed, today=today))
    seeded = time.perf_counter() - started
    if not demo.created:
        raise SystemExit(f"The demo book was not created: {demo.message}")
    receivable = Invoice.objects.receivable().count()
    c = demo.counts
    print(f"\nmigrate {migrated:.1f} s; seed_demo_book {seeded:.1f} s: {c['clients']:,} clients, "
          f"{c['invoices']:,} invoices ({receivable:,} receivable), {c['lines']:,} lines, "
          f"{c['payments']:,} payments, {c['interactions']:,} timeline entries; "
          f"process max RSS so far {_maxrss_mb():,.0f} MB")
    print(f"pass 'now' = {now.isoformat()}, book as of {today}")

    bench = Bench(now, analyze=not args.no_analyze)
    fixed = bench.fixed_queries()
    results = []
    for size in sizes:
        result = bench.run(size, memory=not args.no_memory, repeat=args.repeat)
        results.append(result)
        spread = (f" (runs: {', '.join(f'{w:.2f}' for w in result.walls)})"
                  if len(result.walls) > 1 else "")
        print(f"  batch {size:>5}: {result.wall:6.2f} s{spread}, {result.queries:,} queries, "
              f"{result.examined:,} examined, {result.planned:,} planned"
              + (f" (tracemalloc run {result.traced_wall:.1f} s)" if result.traced_wall
                 else ""), flush=True)

    print()
    print(_results_table(db.label, c["invoices"], results))
    print()
    print(_per_batch_table(results, fixed))
    print(f"\nfixed cost per pass: {fixed} queries (cadence book + the last, empty page); "
          f"reminders skipped (catch-up) per pass: {results[0].skipped:,}; "
          f"process max RSS {_maxrss_mb():,.0f} MB (includes seeding)")
    met, verdict = _verdict(results, fixed)
    print("\n".join(verdict))
    if not args.no_capture:
        print(bench.captured(results[0]))
    if not args.no_follow_up:
        print(bench.follow_up(args.batch, timedelta(minutes=5)))
    if not args.no_phases:
        print()
        print(bench.phases(args.batch))
    if args.profile:
        print()
        print(bench.profile(args.batch, args.profile, args.profile_top))
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
