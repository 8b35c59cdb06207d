"""The reliability and security battery's reporter.

Each battery test takes the ``battery`` fixture and says what it tried and what held:

    battery.tried("5 wrong passwords for berta from 203.0.113.7")
    battery.held("the 6th attempt, with the right password, got the 429 lockout page")

At the end of the run a terminal-summary section "Reliability and security battery" lists,
per test and with its outcome, every line it recorded. Nothing is printed when no battery
test ran (the directory collected but deselected, or another directory run alone).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

# The process-level tests share the integration suite's servers: a Redis on loopback (started
# once per session, skipped with a message when redis-server is missing) and the fake ESP.
from tests.integration.conftest import redis_url, socket_enabled_session  # noqa: F401
from tests.integration.test_reminder_delivery import fake_esp  # noqa: F401

TITLE = "Reliability and security battery"


@dataclass
class Entry:
    nodeid: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    outcome: str = "not run"
    why: str = ""


class Battery:
    """What one test tried and what held, kept for the terminal summary (and echoed to the
    test's captured output, so ``-s`` or a failure report shows it in place)."""

    def __init__(self, entry: Entry) -> None:
        self._entry = entry

    def tried(self, text: str) -> None:
        self._entry.lines.append(("tried", text))
        print(f"[battery] tried: {text}")

    def held(self, text: str) -> None:
        self._entry.lines.append(("held", text))
        print(f"[battery] held:  {text}")

    @property
    def lines(self) -> list[tuple[str, str]]:
        return list(self._entry.lines)


ENTRIES: dict[str, Entry] = {}


@pytest.fixture
def battery(request: pytest.FixtureRequest) -> Iterator[Battery]:
    entry = ENTRIES.setdefault(request.node.nodeid, Entry(request.node.nodeid))
    entry.lines.clear()
    yield Battery(entry)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = ENTRIES.get(report.nodeid)
    if entry is None:
        if report.skipped and report.when == "setup" and "battery" in report.keywords:
            entry = ENTRIES[report.nodeid] = Entry(report.nodeid)
        else:
            return
    if report.failed:
        entry.outcome = "FAILED" if report.when == "call" else f"ERROR ({report.when})"
    elif report.skipped:
        entry.outcome = "SKIPPED"
        longrepr: Any = report.longrepr
        entry.why = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr or "")
    elif report.when == "call" and entry.outcome == "not run":
        entry.outcome = "passed"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this directory is a battery test (a keyword for the report above)."""
    for item in items:
        if "tests/battery/" in item.nodeid.replace("\\", "/"):
            item.keywords["battery"] = True


def summary_lines(entries: list[Entry]) -> list[str]:
    lines: list[str] = []
    for entry in entries:
        lines.append(f"{entry.outcome.upper() if entry.outcome != 'passed' else 'PASSED'}  "
                     f"{entry.nodeid}")
        if entry.why:
            lines.append(f"    skipped: {entry.why}")
        lines.extend(f"    {kind}: {text}" for kind, text in entry.lines)
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    entries = [e for e in ENTRIES.values() if e.lines or e.outcome != "not run"]
    if not entries:
        return
    terminalreporter.section(TITLE)
    for line in summary_lines(entries):
        terminalreporter.write_line(line)
