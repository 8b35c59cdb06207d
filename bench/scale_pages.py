"""The scale benchmark's pages (bench/scale.py): p50/p95 of the dashboard, the worklist and the
pay-now page vs a bare view through the same middleware (bench/scale_urls.py); the dashboard
also against a read of its snapshot (the same queries the view makes against the snapshot,
without the page), and the snapshot refresh the tick runs."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.plan_pass_measure import Tally
from bench.scale_run import Row, Run, say

# --- 4. Pages ---------------------------------------------------------------------------------


@dataclass
class Timing:
    times: list[float]
    statements: int

    def pct(self, p: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _time_page(get: Callable[[int], Any], n: int, budget: float) -> Timing:
    """``n`` requests (fewer if ``budget`` seconds run out after at least 20), after one
    warm-up; a further request counts the SQL statements."""
    from django.db import connection

    response = get(-1)
    if response.status_code != 200:
        raise SystemExit(f"warm-up request answered {response.status_code}")
    times: list[float] = []
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        response = get(i)
        times.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"request {i} answered {response.status_code}")
        if time.perf_counter() - started > budget and len(times) >= 20:
            break
    kinds: Counter[str] = Counter()
    with connection.execute_wrapper(Tally(kinds)):
        get(n)
    return Timing(times, sum(kinds.values()))


def _time_call(call: Callable[[], Any], n: int, budget: float) -> Timing:
    """``_time_page`` for a plain function: ``n`` calls after a warm-up, then one counted."""
    from django.db import connection

    call()
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - started > budget and len(times) >= 20:
            break
    kinds: Counter[str] = Counter()
    with connection.execute_wrapper(Tally(kinds)):
        call()
    return Timing(times, sum(kinds.values()))


def snapshot_refresh_row(run: Run) -> None:
    """What the tick adds for the dashboard: one ``snapshot_refresh`` (measure the whole book
    with a few aggregates, store it in one transaction), median of 3; its floor is the
    measuring alone (``book_measure``: the aggregates the dashboard used to run per request)."""
    from django.utils import timezone

    from receivables.snapshot import book_day, book_measure, snapshot_refresh

    say("snapshot: refresh ...")
    refresh = _time_call(lambda: snapshot_refresh(now=timezone.now()), 3, 60.0)
    measure = _time_call(lambda: book_measure(today=book_day(timezone.now())), 3, 60.0)
    run.add(Row("book snapshot refresh (each tick)", refresh.pct(50), measure.pct(50),
                f"`receivables.snapshot.snapshot_refresh`, median of {len(refresh.times)}; "
                f"{refresh.statements} statements (aggregates, then one transaction: header, "
                f"currency rows, cash rows, pruning); floor: `book_measure` alone, the "
                f"aggregates over every invoice ({measure.statements} statements)"))
    _history(days=35)
    snapshot_refresh(now=timezone.now())  # the newest again, after the history


def _history(days: int) -> None:
    """A month of history, as the ticks would have left it: the newest snapshot's rows copied
    to each of the ``days`` days before (the summary cards read them)."""
    from datetime import timedelta

    from receivables.models import BookSnapshot, SnapshotCash, SnapshotCurrency
    from receivables.snapshot import snapshot_latest

    latest = snapshot_latest()
    assert latest is not None
    for back in range(days, 0, -1):
        header = BookSnapshot.objects.create(on=latest.on - timedelta(days=back),
                                             taken_at=latest.taken_at - timedelta(days=back))
        SnapshotCurrency.objects.bulk_create([SnapshotCurrency(**{
            f.attname: getattr(row, f.attname) for f in SnapshotCurrency._meta.concrete_fields
            if f.attname not in ("id", "snapshot_id")}, snapshot=header)
            for row in latest.currencies])
        SnapshotCash.objects.bulk_create([SnapshotCash(
            snapshot=header, currency=c.currency, day=c.day - timedelta(days=back),
            amount=c.amount) for c in latest.cash])


def _read_snapshot() -> Any:
    """The queries the dashboard view makes against the snapshot, without the page: the newest
    snapshot with its rows, and the history the summary cards compare with (four queries)."""
    from desk import selectors
    from receivables.snapshot import snapshot_latest

    snapshot = snapshot_latest()
    assert snapshot is not None
    return selectors.card_history(snapshot)


def _ip(i: int) -> str:
    i += 2
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def pages(run: Run, bookkeeper: Any) -> None:
    from django.db.models import Count, Q
    from django.test import Client as Browser
    from django.test.utils import override_settings

    from answers import links
    from clients.models import Client

    n, budget = run.args.requests, run.args.page_budget
    clients = list(Client.objects.annotate(open=Count("invoices", filter=Q(
        invoices__status__in=("open", "partially_paid"), invoices__balance__gt=0)))
        .filter(open__gt=0).order_by("?")[: n + 2])
    tokens = [links.link_issue(client=c).token for c in clients]
    open_counts = sorted(c.open for c in clients)
    desk = Browser(HTTP_HOST="127.0.0.1")
    desk.force_login(bookkeeper)
    anonymous = Browser(HTTP_HOST="127.0.0.1")

    def paynow(path: Callable[[int], str]) -> Callable[[int], Any]:
        return lambda i: anonymous.get(path(i), REMOTE_ADDR=_ip(i + 1))

    def dashboard_first_view(i: int) -> Any:
        """The dashboard as the first view of a new snapshot: its fragments not cached yet."""
        from django.http import HttpRequest

        from desk.views.dashboard import forget_fragments
        from infra.http import viewer_locale
        from receivables.snapshot import snapshot_header

        header = snapshot_header()
        assert header is not None
        forget_fragments(header, viewer_locale(HttpRequest()))
        return desk.get("/desk/")

    snapshot_refresh_row(run)  # the dashboard reads the snapshot this takes
    with override_settings(ROOT_URLCONF="bench.scale_urls"):
        measured = {}
        for name, get in (
                ("bare view, logged in", lambda i: desk.get("/bench/bare/")),
                ("dashboard", lambda i: desk.get("/desk/")),
                ("dashboard, first view of a snapshot", dashboard_first_view),
                ("worklist", lambda i: desk.get("/desk/worklist/")),
                ("bare view, anonymous", paynow(lambda i: "/bench/bare/")),
                ("pay-now page", paynow(lambda i: f"/p/{tokens[i % len(tokens)]}/"))):
            if name == "dashboard":  # its floor, measured just before it
                say("snapshot: a read of the dashboard's snapshot ...")
                measured["snapshot read"] = _time_call(_read_snapshot, n, budget)
            say(f"page: {name} ...")
            measured[name] = _time_page(get, n, budget)
    snap, bare = measured["snapshot read"], measured["bare view, logged in"]
    for name, what in (
            ("dashboard", "`/desk/` (what the snapshot renders to comes from the cache after "
                          "the first view of each snapshot)"),
            ("dashboard, first view of a snapshot", "`/desk/` with the snapshot's rendered "
                                                    "fragments dropped before each request")):
        for p in (50, 95):
            page = measured[name]
            run.add(Row(
                f"{name} p{p} vs a read of its snapshot", page.pct(p), snap.pct(p),
                f"{what} against the same queries on the snapshot without the page "
                "(`snapshot_latest` + `card_history`: the newest snapshot, its rows, 35 days "
                "of history)"
                + (f"; {len(page.times):,} requests, {page.statements} statements; the read: "
                   f"{len(snap.times):,} reads, {snap.statements} statements; bare view p95 "
                   f"{bare.pct(95) * 1000:,.1f} ms" if p == 95 else "")))
    for name, floor_name, what in (
            ("dashboard", "bare view, logged in", "`/desk/`, logged in as a bookkeeper"),
            ("worklist", "bare view, logged in", "`/desk/worklist/`, first page"),
            ("pay-now page", "bare view, anonymous",
             f"`/p/<token>/`, {len(tokens):,} clients' links in turn (open invoices: median "
             f"{open_counts[len(open_counts) // 2]:,}, max {open_counts[-1]:,}), each from "
             "its own address")):
        page, floor = measured[name], measured[floor_name]
        for p in (50, 95):
            run.add(Row(
                f"{name} p{p}", page.pct(p), floor.pct(p),
                f"{what}; {len(page.times):,} requests, {page.statements} statements; floor: "
                f"{floor_name} ({len(floor.times):,} requests, {floor.statements} statements)"
                if p == 95 else f"{what}"))
