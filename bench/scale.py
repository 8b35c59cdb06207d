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
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.plan_pass import Tally, code_version, fresh_database, setup_django  # noqa: E402

FULL = {"clients": 10_000, "invoices": 1_000_000, "reminders": 10_000, "letters": 500,
        "requests": 200}


@dataclass
class Row:
    measurement: str
    settle: float | None  # seconds
    floor: float | None
    notes: str = ""

    @property
    def ratio(self) -> str:
        if not self.settle or not self.floor:
            return "–"
        return f"{self.settle / self.floor:,.1f}×"


@dataclass
class Run:
    args: argparse.Namespace
    now: datetime
    rows: list[Row] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        """Keep a result, and show it at once: a long run that stops later keeps it."""
        self.rows.append(row)
        say(f"RESULT | {row.measurement} | {_fmt_s(row.settle)} | {_fmt_s(row.floor)} | "
            f"{row.ratio} | {row.notes} |")

    @contextmanager
    def timer(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.steps[name] = time.perf_counter() - started
        say(f"  {name}: {self.steps[name]:.1f} s")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:,.1f} ms"
    return f"{seconds:,.2f} s"


def _business_now(today: date) -> datetime:
    """14:30 UTC on the latest day up to ``today`` that is a business day in every country of
    the book: inside local business hours from New York (09:30/10:30) to Berlin (15:30/16:30),
    so the dispatch sends at once instead of deferring."""
    from bench.scale_data import COUNTRIES
    from core import calendar as cal

    day = today
    while not all(cal.is_business_day(day, row[0]) for row in COUNTRIES):
        day -= timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=14, minute=30)


# --- The fake ESP -----------------------------------------------------------------------------


class FakeEsp:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "scale_esp.py")],
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("PORT "):
            self.process.kill()
            raise SystemExit(f"The fake ESP did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/"

    def _call(self, method: str, path: str) -> dict[str, int]:
        request = urllib.request.Request(self.url + path, method=method,
                                         data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def count(self) -> dict[str, int]:
        return self._call("GET", "count")

    def reset(self) -> None:
        self._call("POST", "reset")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- 0. Data ----------------------------------------------------------------------------------


def build_book(run: Run) -> Any:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from bench import scale_data
    from clients.models import ClientTag
    from infra.roles import ensure_groups
    from receivables.demo import ensure_terms

    args = run.args
    with run.timer("migrate"):
        call_command("migrate", verbosity=0, interactive=False)
    _admin_group, bookkeeper_group = ensure_groups()
    bookkeeper = get_user_model().objects.create_user(
        "bookkeeper", "bookkeeper@example.com", "settle-bench", first_name="Bea",
        last_name="Keeper", is_staff=True)
    bookkeeper.groups.add(bookkeeper_group)
    terms = ensure_terms()
    mix = [("net30", 0.45), ("net14", 0.2), ("discount", 0.15), ("yearly", 0.1),
           ("net60", 0.05), ("receipt", 0.05)]
    tag = ClientTag.objects.filter(name="high-value").first()
    started = time.perf_counter()
    generated = scale_data.generate(
        connection, clients=args.clients, invoices=args.invoices, today=run.now.date(),
        owner_id=bookkeeper.pk, terms=[(terms[k].pk, terms[k].net_days, share)
                                       for k, share in mix],
        high_value_tag_id=tag.pk if tag else None, seed=0.42, timer=run.timer)
    took = time.perf_counter() - started
    c = generated.counts
    steps = ", ".join(f"{name} {run.steps[name]:.1f} s" for name in (
        "clients", "invoice skeleton + lines (staging)", "invoices", "invoice lines",
        "payments + allocations", "vacuum analyze"))
    run.add(Row(
        "data generation (set-based SQL)", took, None,
        f"{c['clients']:,} clients, {c['invoices']:,} invoices ({c['receivable']:,} "
        f"receivable, {c['overdue']:,} overdue, {c['currencies']} currencies), "
        f"{c['lines']:,} lines, {c['payments']:,} payments with allocations; {steps}"))
    say(f"data: {c}")
    return bookkeeper


# --- 1. Planning pass -------------------------------------------------------------------------

DUE_SET_SQL = """
SELECT id, number, client_id, terms_id, issue_date, due_date, currency, status, total,
       charges_total, reductions_total, amount_paid, balance, promised_until,
       reminders_paused_until, next_action_at
FROM receivables_invoice
WHERE status IN ('open', 'partially_paid') AND balance > 0
  AND (next_action_at IS NULL OR next_action_at <= %s)
ORDER BY id
"""


def _raw_due_set(now: datetime) -> tuple[float, int]:
    from django.db import connection

    connection.ensure_connection()
    started = time.perf_counter()
    with connection.connection.cursor() as cursor:  # psycopg itself: no ORM, no planner
        cursor.execute(DUE_SET_SQL, [now])
        rows = cursor.fetchall()
    return time.perf_counter() - started, len(rows)


def planning_pass(run: Run) -> None:
    from django.db import connection

    from reminders.planning import reminders_plan

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reminders_reminder")
        cursor.execute("UPDATE receivables_invoice SET next_action_at = NULL "
                       "WHERE next_action_at IS NOT NULL")
        cursor.execute("VACUUM ANALYZE")
    floors = [_raw_due_set(run.now) for _ in range(3)]
    floor, due_rows = statistics.median(f for f, _ in floors), floors[0][1]
    say(f"raw due-set SELECT: {floor:.2f} s, {due_rows:,} rows")
    kinds: Counter[str] = Counter()
    say("planning pass ...")
    with connection.execute_wrapper(Tally(kinds)):
        started = time.perf_counter()
        report = reminders_plan(now=run.now)
        took = time.perf_counter() - started
    run.add(Row(
        "planning pass: `reminders_plan` over the whole book", took, floor,
        f"{report.examined:,} invoices examined, {report.planned:,} reminders planned, "
        f"{sum(kinds.values()):,} statements; floor: the due-set SELECT by hand "
        f"({due_rows:,} rows, 16 columns) fetched by psycopg, median of 3"))


# --- 2. Dispatch ------------------------------------------------------------------------------

DISPATCH_SET_SQL = """
INSERT INTO reminders_reminder (channel, scheduled_for, status, claim_token, attempts,
    last_error, failed_channels, created_at, updated_at, client_id, invoice_id, step_id)
SELECT 'email', %(due)s, 'scheduled', '', 0, '', '[]', now(), now(), client_id, id, %(step)s
FROM (SELECT DISTINCT ON (i.client_id) i.client_id, i.id
      FROM receivables_invoice i JOIN clients_client c ON c.id = i.client_id
      WHERE i.status IN ('open', 'partially_paid') AND i.balance > 0
        AND i.promised_until IS NULL AND i.reminders_paused_until IS NULL
        AND c.reminders_paused_until IS NULL AND c.is_active AND c.email <> ''
      ORDER BY i.client_id, i.due_date DESC, i.id) d
ORDER BY client_id
LIMIT %(limit)s
"""


def dispatch(run: Run, esp: FakeEsp) -> None:
    from django.core.mail import EmailMultiAlternatives
    from django.db import connection

    from clients.business import business
    from reminders.dispatch import reminders_dispatch
    from reminders.models import CadenceStep, OutboundMessage
    from reminders.outbox import TickReport

    step = CadenceStep.objects.get(cadence__is_default=True, name="Polite follow-up")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reminders_reminder")
        cursor.execute(DISPATCH_SET_SQL, {"due": run.now - timedelta(minutes=1),
                                          "step": step.pk, "limit": run.args.reminders})
        due = cursor.rowcount
        cursor.execute("ANALYZE reminders_reminder")
    if due < run.args.reminders:
        say(f"WARNING: only {due:,} clients have an open invoice to remind about")
    esp.reset()
    report, ticks = TickReport(), 0
    kinds: Counter[str] = Counter()
    say(f"dispatching {due:,} reminders ...")
    with connection.execute_wrapper(Tally(kinds)):
        started = time.perf_counter()
        while True:
            before = (report.sent, report.cancelled, report.deferred, report.failed,
                      report.fallbacks)
            reminders_dispatch(now=run.now, report=report)  # one scheduler tick's dispatch
            ticks += 1
            if (report.sent, report.cancelled, report.deferred, report.failed,
                    report.fallbacks) == before:
                break
        took = time.perf_counter() - started
    arrived = esp.count()
    say(f"dispatch: {took:.1f} s, {report.sent:,} sent, ESP received {arrived}")

    messages = list(OutboundMessage.objects.filter(channel="email", provider="postmark")
                    .values_list("to", "subject", "text", "html"))
    sender = business().from_email
    esp.reset()
    say(f"{len(messages):,} bare anymail sends ...")
    started = time.perf_counter()
    for to, subject, text, html in messages:
        email = EmailMultiAlternatives(subject=subject, body=text, from_email=sender, to=[to])
        email.attach_alternative(html, "text/html")
        email.send(fail_silently=False)
    floor = time.perf_counter() - started
    bare = esp.count()
    exact = arrived["received"] == arrived["messages"] == report.sent == due
    run.add(Row(
        f"dispatch of {due:,} due email reminders to a local fake Postmark", took, floor,
        f"{ticks} dispatch ticks (500 rows each), {report.sent:,} sent, "
        f"{report.deferred + report.cancelled + report.failed + report.fallbacks:,} not sent; "
        f"fake ESP received {arrived['received']:,} ({arrived['messages']:,} distinct) "
        f"{'= exactly ' + format(due, ',') if exact else '≠ ' + format(due, ',') + ' MISMATCH'}"
        f"; {sum(kinds.values()):,} statements "
        f"({sum(kinds.values()) / max(report.sent, 1):.1f} per message); floor: "
        f"{len(messages):,} `EmailMultiAlternatives(...).send()` of the same rendered messages "
        f"(text + HTML), same backend and server, which received {bare['received']:,}"))
    if not exact or bare["received"] != len(messages):
        run.facts.append("**Dispatch count mismatch**: see the dispatch row.")


# --- 3. Letters -------------------------------------------------------------------------------


def _letter_html(client: Any, invoices: list[Any], today: date, step: Any) -> tuple[str, str]:
    """The letter of demand's subject and HTML as the letter channel builds it."""
    from answers import links
    from reminders import selectors
    from reminders.channels.letter import letter_html
    from reminders.rendering import render

    template = (selectors.template_for(step.template_key, "letter", client.language)
                or selectors.template_for(step.template_key, "email", client.language))
    pay_url = links.link_url(links.new_token())
    context = selectors.message_context(client=client, invoices=invoices, today=today,
                                        pay_url=pay_url, tone=step.tone,
                                        language=template.language)
    rendered = render(subject=template.subject, text="", html=template.html, context=context)
    return rendered.subject, letter_html(
        client=client, invoices=invoices, today=today, subject=rendered.subject,
        body_html=rendered.html, pay_url=context["pay_url"],
        payment_instructions=context["payment_instructions"], language=template.language)


def _waiting_letters(run: Run) -> int:
    """``--letters`` letters of demand in the print queue, one per client (up to three of its
    open invoices in one currency each), rendered to HTML as the letter channel does."""
    from clients.models import Client
    from receivables.models import Invoice
    from reminders.models import CadenceStep, MessageStatus, OutboundMessage

    step = CadenceStep.objects.get(cadence__is_default=True, name="Letter of demand")
    today = run.now.date()
    open_invoices = (Invoice.objects.filter(status__in=("open", "partially_paid"), balance__gt=0)
                     .select_related("terms"))
    letters = []
    for client in Client.objects.order_by("-pk")[: run.args.letters * 2]:
        invoices = list(open_invoices.filter(client=client).order_by("due_date")[:6])
        invoices = [i for i in invoices if i.currency == invoices[0].currency][:3] \
            if invoices else []
        if not invoices:
            continue
        subject, html = _letter_html(client, invoices, today, step)
        letters.append(OutboundMessage(client=client, channel="letter", language=client.language,
                                       to=client.contact_for("letter"), subject=subject,
                                       html=html, status=MessageStatus.PRINT_QUEUE))
        if len(letters) == run.args.letters:
            break
    OutboundMessage.objects.bulk_create(letters)
    return len(letters)


def _bare_weasyprint(htmls: list[str]) -> tuple[bytes, int, float]:
    """The floor: WeasyPrint alone on the same documents (their stylesheets served from
    memory), pages joined and written once, as one PDF."""
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from infra import pdf

    files: dict[str, tuple[bytes, str]] = {}

    class Memory(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url not in files:  # read once, before the clock matters (see the warm-up)
                name = url.split(pdf.static_base()[2], 1)[1]
                kind = "text/css; charset=utf-8" if name.endswith(".css") else \
                    "application/octet-stream"
                files[url] = (pdf.static_file(name).read_bytes(), kind)
            body, kind = files[url]
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    fetcher, base = Memory(), pdf.base_url()
    weasyprint.HTML(string=htmls[0], base_url=base, url_fetcher=fetcher).write_pdf()  # warm-up
    started = time.perf_counter()
    documents = [weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).render()
                 for html in htmls]
    pages = [page for document in documents for page in document.pages]
    data = documents[0].copy(pages).write_pdf()
    return data, len(pages), time.perf_counter() - started


def letters_batch(run: Run, bookkeeper: Any) -> None:
    from work import printing

    say("rendering the waiting letters' HTML ...")
    count = _waiting_letters(run)
    printing.MAX_BATCH = max(printing.MAX_BATCH, count)  # the app splits at 100 a batch
    say(f"one print batch of {count:,} letters ...")
    started = time.perf_counter()
    batch = printing.batch_create(actor=bookkeeper, now=run.now)
    data = printing.batch_pdf(batch)
    took = time.perf_counter() - started
    htmls = [letter.html for letter in printing.batch_letters(batch)]
    bare, pages, floor = _bare_weasyprint(htmls)
    run.add(Row(
        f"{len(htmls):,} letters as one print-batch PDF", took, floor,
        f"`printing.batch_create` (limit raised from 100 to {count:,} for the run) + "
        f"`batch_pdf` (cover sheet + letters): {len(data) / 1e6:.1f} MB; "
        f"floor: `weasyprint.HTML(string=…)` "
        f"of the same {len(htmls):,} letter documents, pages joined, one `write_pdf()`: "
        f"{pages:,} pages, {len(bare) / 1e6:.1f} MB"))


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
        lines.append(f"| {row.measurement} | {_fmt_s(row.settle)} | {_fmt_s(row.floor)} | "
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

    run = Run(args=args, now=_business_now(args.today or timezone.localdate()))
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
