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


@dataclass(frozen=True)
class DemoOptions:
    clients: int = 40
    invoices: int = 300
    seed: int = 42
    today: date | None = None  # None: timezone.localdate()
    password: str = DEFAULT_PASSWORD


@dataclass
class DemoReport:
    created: bool
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)  # receivable invoices per bucket
    users: dict[str, bool] = field(default_factory=dict)  # username -> created now


class DemoBookError(Exception):
    """The book could not be built as asked, or failed its check; nothing was written."""
