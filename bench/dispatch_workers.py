"""Dispatch throughput with several worker processes (issue 19), next to bare sends.

    make bench-dispatch     # scripts/with-postgres .venv/bin/python bench/dispatch_workers.py
    scripts/with-postgres .venv/bin/python bench/dispatch_workers.py --reminders 2000 \\
        --workers 1,2 --latency-ms 100     # smaller

PostgreSQL only. A new database gets ``--clients`` clients and ``--invoices`` invoices
(bench/scale_data.py, set-based SQL); the fake Postmark (bench/scale_esp.py, its own process)
answers every message after ``--latency-ms``. For each worker count, the outbox is refilled
with ``--reminders`` due email reminders (one per client), the due clients are cut into the
tick's chunks (``reminders.dispatch.due_client_chunks``) and put on a queue, and that many
worker processes take chunks and run ``reminders.dispatch.dispatch_clients`` on them: exactly
what the Celery task ``reminders.tasks.dispatch_chunk`` runs (a multiprocessing queue stands
in for Redis). Measured: messages per second, SQL statements per message, peak RSS per worker,
and what the fake ESP received (duplicates, lost). The floor: the same rendered messages sent
bare (``EmailMultiAlternatives.send``) by as many processes with the same number of threads
each (``SETTLE_SEND_CONCURRENCY``), to the same fake ESP.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.plan_pass_measure import Tally  # noqa: E402
from bench.plan_pass_setup import code_version, fresh_database, setup_django  # noqa: E402
from bench.scale_run import FakeEsp, Run, say  # noqa: E402

RESET_SQL = """TRUNCATE reminders_reminder, reminders_outboundmessage, reminders_paylink,
clients_interaction, reminders_dispatchlease CASCADE"""


def _worker(queue: Any, results: Any, now: datetime) -> None:
    from django.db import connection, connections

    from reminders.dispatch import dispatch_clients
    from reminders.outbox import TickReport

    connections.close_all()  # a fork shares the parent's socket: a connection of our own
    kinds: Counter[str] = Counter()
    report = TickReport()
    with connection.execute_wrapper(Tally(kinds)):
        while (chunk := queue.get()) is not None:
            dispatch_clients(chunk, now, report)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put({"sent": report.sent, "statements": sum(kinds.values()), "rss_mb": rss,
                 "not_sent": report.deferred + report.cancelled + report.failed
                 + report.fallbacks, "errors": report.errors[:3]})
    connections.close_all()


def _bare_worker(messages: list[tuple[str, str, str, str]], threads: int,
                 results: Any) -> None:
    from django.core.mail import EmailMultiAlternatives

    from clients.business import business

    sender = business().from_email

    def send(message: tuple[str, str, str, str]) -> None:
        to, subject, text, html = message
        email = EmailMultiAlternatives(subject=subject, body=text, from_email=sender, to=[to])
        email.attach_alternative(html, "text/html")
        email.send(fail_silently=False)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(send, messages))
    results.put(len(messages))


def _refill(run: Run) -> int:
    from django.db import connection

    from bench.scale_engine import DISPATCH_SET_SQL
    from reminders.models import CadenceStep

    step = CadenceStep.objects.get(cadence__is_default=True, name="Polite follow-up")
    with connection.cursor() as cursor:
        cursor.execute(RESET_SQL)
        cursor.execute(DISPATCH_SET_SQL, {"due": run.now.replace(minute=0),
                                          "step": step.pk, "limit": run.args.reminders})
        due = cursor.rowcount
        cursor.execute("ANALYZE reminders_reminder")
    return due


def one_round(run: Run, esp: FakeEsp, workers: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connections

    from reminders.dispatch import due_client_chunks
    from reminders.models import OutboundMessage
    from reminders.outbox import TickReport

    due = _refill(run)
    chunks = due_client_chunks(run.now, TickReport(), settings.SETTLE_DISPATCH_CHUNK)
    esp.reset()
    connections.close_all()
    ctx = mp.get_context("fork")
    queue, results = ctx.Queue(), ctx.Queue()
    for chunk in chunks:
        queue.put(chunk)
    for _ in range(workers):
        queue.put(None)
    say(f"{workers} worker(s): {due:,} due reminders in {len(chunks)} chunks ...")
    started = time.perf_counter()
    procs = [ctx.Process(target=_worker, args=(queue, results, run.now))
             for _ in range(workers)]
    for proc in procs:
        proc.start()
    done = [results.get() for _ in procs]
    took = time.perf_counter() - started
    for proc in procs:
        proc.join()
    arrived = esp.count()
    sent = sum(d["sent"] for d in done)
    messages = list(OutboundMessage.objects.filter(channel="email", provider="postmark")
                    .values_list("to", "subject", "text", "html"))
    connections.close_all()
    # The floor: the same messages, bare, at the same concurrency.
    esp.reset()
    threads = int(settings.SETTLE_SEND_CONCURRENCY)
    shares = [messages[i::workers] for i in range(workers)]
    started = time.perf_counter()
    procs = [ctx.Process(target=_bare_worker, args=(share, threads, results))
             for share in shares]
    for proc in procs:
        proc.start()
    bare_sent = sum(results.get() for _ in procs)
    floor = time.perf_counter() - started
    for proc in procs:
        proc.join()
    bare = esp.count()
    statements = sum(d["statements"] for d in done)
    row = {"workers": workers, "due": due, "sent": sent, "seconds": took,
           "rate": sent / took if took else 0.0, "floor_seconds": floor,
           "floor_rate": bare_sent / floor if floor else 0.0,
           "statements_per_message": statements / max(sent, 1),
           "rss_mb": max(d["rss_mb"] for d in done),
           "received": arrived["received"], "distinct": arrived["messages"],
           "duplicates": arrived["received"] - arrived["messages"],
           "lost": due - arrived["messages"], "bare_received": bare["received"],
           "not_sent": sum(d["not_sent"] for d in done),
           "errors": [e for d in done for e in d["errors"]][:3]}
    say(f"RESULT {row}")
    return row


def table(rows: list[dict[str, Any]], run: Run, latency: float, db_label: str) -> str:
    from django.conf import settings

    lines = [f"# Dispatch with worker processes, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
             "| workers | due | sent | Settle | msg/s | bare sends | bare msg/s | ratio | "
             "statements / msg | peak RSS / worker | ESP received (distinct) | duplicates | "
             "lost |", "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['due']:,} | {r['sent']:,} | {r['seconds']:.1f} s | "
            f"{r['rate']:.0f} | {r['floor_seconds']:.1f} s | {r['floor_rate']:.0f} | "
            f"{r['seconds'] / r['floor_seconds']:.1f}× | {r['statements_per_message']:.1f} | "
            f"{r['rss_mb']:.0f} MB | {r['received']:,} ({r['distinct']:,}) | "
            f"{r['duplicates']} | {r['lost']} |")
    lines += ["", f"- {os.cpu_count()} CPUs; {db_label}; fake Postmark answering after "
              f"{latency:.0f} ms; SETTLE_SEND_CONCURRENCY={settings.SETTLE_SEND_CONCURRENCY}, "
              f"SETTLE_DISPATCH_CHUNK={settings.SETTLE_DISPATCH_CHUNK}; {code_version()}",
              f"- book: --clients {run.args.clients:,} --invoices {run.args.invoices:,}; "
              f"now = {run.now.isoformat()}"]
    lines += [f"- errors reported: {r['errors']}" for r in rows if r["errors"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Run it under scripts/with-postgres (or `make bench-dispatch`).")
    os.environ.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    esp = FakeEsp(args.latency_ms)
    os.environ.update({"ESP": "postmark", "ANYMAIL_POSTMARK_SERVER_TOKEN": "x",
                       "ANYMAIL_POSTMARK_API_URL": esp.url})
    tmp = Path(tempfile.mkdtemp(prefix="settle-dispatch-"))
    db = fresh_database(tmp)
    try:
        setup_django(db.url, tmp)
        from bench.scale import business_now
        from bench.scale_engine import build_book

        run = Run(args=args, now=business_now(datetime.now(UTC).date()))
        build_book(run)
        rows = [one_round(run, esp, int(w)) for w in args.workers.split(",")]
        text = table(rows, run, args.latency_ms, db.label)
        print(text)
        out = args.out or ROOT / "var" / "bench" / f"dispatch-{datetime.now(UTC):%Y-%m-%d}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        say(f"written to {out}")
        return 0
    finally:
        esp.stop()
        from django.db import connections

        connections.close_all()
        db.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
