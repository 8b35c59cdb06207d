"""What the planning-pass benchmark measures with: peak resident memory, SQL statements by
kind (also used by bench/scale.py), the query log, time per step of a pass, and a pass's
result."""

from __future__ import annotations

import math
import re
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def proc_status_mb(key: str) -> float | None:
    """VmRSS (resident now) or VmHWM (peak resident) of this process, Linux only."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def statement_kind(sql: str) -> str:
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
        self.kinds[statement_kind(sql)] += 1
        return execute(sql, params, many, context)


@contextmanager
def captured_queries(connection: Any) -> Iterator[list[dict[str, str]]]:
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
    ("due", "planning_rows.due_ids + due_rows (the due ids once, each batch's rows)"),
    ("load", "planning_rows.load_rows (new clients, planned steps, plans)"),
    ("plan", "planner.plan (pure Python, per invoice)"),
    ("insert", "infra.bulk.insert_rows_json (Reminder rows)"),
    ("update", "planning._set_next_action (bulk.update_column_json)"),
)


@contextmanager
def phase_timers(connection: Any) -> Iterator[tuple[Counter[str], Counter[str]]]:
    """Wall time and database time (inside cursor.execute) per step of a pass, by wrapping
    the functions reminders_plan calls; what is left is the loop body of _plan_batch."""
    from core import planner
    from infra import bulk
    from reminders import planning, planning_rows, selectors

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

    targets = [(selectors, "CadenceBook", "cadence"), (planning_rows, "due_ids", "due"),
               (planning_rows, "due_rows", "due"), (planning_rows, "load_rows", "load"),
               (planner, "plan", "plan"), (bulk, "insert_rows_json", "insert"),
               (planning, "_set_next_action", "update")]
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
