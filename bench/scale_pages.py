"""The scale benchmark's pages (bench/scale.py): p50/p95 of the dashboard, the worklist and the
pay-now page vs a bare view through the same middleware (bench/scale_urls.py)."""

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

    with override_settings(ROOT_URLCONF="bench.scale_urls"):
        measured = {}
        for name, get in (
                ("bare view, logged in", lambda i: desk.get("/bench/bare/")),
                ("dashboard", lambda i: desk.get("/desk/")),
                ("worklist", lambda i: desk.get("/desk/worklist/")),
                ("bare view, anonymous", paynow(lambda i: "/bench/bare/")),
                ("pay-now page", paynow(lambda i: f"/p/{tokens[i % len(tokens)]}/"))):
            say(f"page: {name} ...")
            measured[name] = _time_page(get, n, budget)
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
