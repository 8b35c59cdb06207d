"""The demo book's options, report and error, and the constants every part of it shares.

This module imports nothing else from the package, so every other module can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

DEMO_PREFIX = "DEMO-"
DEFAULT_PASSWORD = "settle-demo"  # a documented demo login, not a secret
ZERO = Decimal(0)
# The reminder history before the book's day (receivables.demo.history). ``seed_demo`` asks
# for it ("auto": HISTORY_DAYS, none above HISTORY_MAX_INVOICES invoices); a caller of
# ``seed_demo_book`` (tests, benchmarks) gets none unless it asks.
HISTORY_DAYS = 90
HISTORY_MAX_INVOICES = 20_000


@dataclass(frozen=True)
class DemoOptions:
    clients: int = 40
    invoices: int = 300
    seed: int = 42
    today: date | None = None  # None: timezone.localdate()
    password: str = DEFAULT_PASSWORD
    # Days of reminder history before ``today``; 0: none; None ("auto"): HISTORY_DAYS, or
    # none for a book of more than HISTORY_MAX_INVOICES invoices.
    history_days: int | None = 0

    @property
    def history(self) -> int:
        """The days of history this book gets."""
        if self.history_days is not None:
            return max(0, self.history_days)
        return HISTORY_DAYS if self.invoices <= HISTORY_MAX_INVOICES else 0


@dataclass
class DemoReport:
    created: bool
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)  # receivable invoices per bucket
    users: dict[str, bool] = field(default_factory=dict)  # username -> created now
    history: dict[str, int] = field(default_factory=dict)  # what the reminder history made


class DemoBookError(Exception):
    """The book could not be built as asked, or failed its check; nothing was written."""
