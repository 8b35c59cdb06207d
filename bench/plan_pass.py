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

The parts: bench/plan_pass_setup.py (the database), plan_pass_measure.py (what is
measured with), plan_pass_runs.py (the passes), plan_pass_report.py (tables and
verdict); this module is the command line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.plan_pass_measure import maxrss_mb  # noqa: E402
from bench.plan_pass_report import per_batch_table, results_table, verdict_lines  # noqa: E402
from bench.plan_pass_runs import Bench  # noqa: E402
from bench.plan_pass_setup import Database, code_version, fresh_database, setup_django  # noqa: E402

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
          f"process max RSS so far {maxrss_mb():,.0f} MB")
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
    print(results_table(db.label, c["invoices"], results))
    print()
    print(per_batch_table(results, fixed))
    print(f"\nfixed cost per pass: {fixed} queries (cadence book + the due ids); "
          f"reminders skipped (catch-up) per pass: {results[0].skipped:,}; "
          f"process max RSS {maxrss_mb():,.0f} MB (includes seeding)")
    met, verdict = verdict_lines(results, fixed)
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
