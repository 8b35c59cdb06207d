"""The scale benchmark's run (bench/scale.py): its rows and steps, progress on stderr, and the
fake ESP it sends to (bench/scale_esp.py, its own process)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
        say(f"RESULT | {row.measurement} | {fmt_s(row.settle)} | {fmt_s(row.floor)} | "
            f"{row.ratio} | {row.notes} |")

    @contextmanager
    def timer(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.steps[name] = time.perf_counter() - started
        say(f"  {name}: {self.steps[name]:.1f} s")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:,.1f} ms"
    return f"{seconds:,.2f} s"


# --- The fake ESP -----------------------------------------------------------------------------


class FakeEsp:
    def __init__(self, latency_ms: float = 0) -> None:
        self.process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "scale_esp.py"),
                                         str(latency_ms)], stdout=subprocess.PIPE, text=True)
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
