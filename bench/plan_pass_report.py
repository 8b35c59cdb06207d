"""The planning-pass benchmark's tables and its verdict against the targets."""

from __future__ import annotations

from bench.plan_pass_measure import PassResult

TARGET_SECONDS = 20.0


def _fmt(value: float | None, places: int = 1) -> str:
    return "–" if value is None or value != value else f"{value:,.{places}f}"


def results_table(db: str, book_invoices: int, results: list[PassResult]) -> str:
    head = ("| database | invoices | examined | batch size | wall s | peak MB (tracemalloc) "
            "| RSS growth MB | queries | queries/1000 invoices examined | reminders planned |")
    rows = [head, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        rows.append(f"| {db} | {book_invoices:,} | {r.examined:,} | {r.batch:,} | "
                    f"{_fmt(r.wall, 2)} | {_fmt(r.traced_peak_mb)} | {_fmt(r.rss_growth_mb)} | "
                    f"{r.queries:,} | {_fmt(r.per_1000(), 2)} | {r.planned:,} |")
    return "\n".join(rows)


def per_batch_table(results: list[PassResult], fixed: int) -> str:
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


def verdict_lines(results: list[PassResult], fixed: int) -> tuple[bool, list[str]]:
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
