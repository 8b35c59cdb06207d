"""The planning-pass benchmark's runs on one book: the timed and tracemalloc passes, the
steady-state tick, the CaptureQueriesContext cross-check, time per step and cProfile."""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.plan_pass_measure import (
    PHASES,
    PassResult,
    Tally,
    captured_queries,
    phase_timers,
    proc_status_mb,
    reset_peak_rss,
    statement_kind,
)

MB = 1024 * 1024


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
        """Queries a pass makes whatever the book: the cadence book, the due ids."""
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
            rss_ok = reset_peak_rss()
            before = proc_status_mb("VmRSS") if rss_ok else None
            with self.connection.execute_wrapper(Tally(kinds)):
                started = time.perf_counter()
                report = reminders_plan(now=self.now, batch_size=batch)
                result.walls.append(time.perf_counter() - started)
            peak = proc_status_mb("VmHWM") if rss_ok else None
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
        does without it. The batches are written in line: the query log is the caller's
        connection's, where a writer thread's statements would not appear."""
        from reminders import planning

        self.reset()
        overlap, planning.OVERLAP_WRITES = planning.OVERLAP_WRITES, False
        try:
            with captured_queries(self.connection) as queries:
                started = time.perf_counter()
                report = planning.reminders_plan(now=self.now, batch_size=timed.batch)
                wall = time.perf_counter() - started
        finally:
            planning.OVERLAP_WRITES = overlap
        self._same(self._as_report(timed), report, "CaptureQueriesContext")
        kinds = Counter(statement_kind(q["sql"]) for q in queries)
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
        """Where one pass's wall time goes, and how much of it is spent in the database. The
        batches are written in line (no writer thread), so the steps add up to the pass."""
        from reminders import planning

        self.reset()
        overlap, planning.OVERLAP_WRITES = planning.OVERLAP_WRITES, False
        try:
            with phase_timers(self.connection) as (wall, db):
                started = time.perf_counter()
                planning.reminders_plan(now=self.now, batch_size=batch)
                total = time.perf_counter() - started
        finally:
            planning.OVERLAP_WRITES = overlap
        rows = [f"Where the time goes, one pass at batch {batch:,} ({total:.2f} s, each batch "
                "written in line; 'in DB' is time inside cursor.execute):", "",
                "| step | wall s | share | in DB s |", "|---|--:|--:|--:|"]
        for key, label in (*PHASES, ("other", "rest of _plan_batch (client specs, planning "
                                              "units, outbox rows, transaction)")):
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
