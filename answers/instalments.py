"""Payment-plan arithmetic: the schedule a client proposes, and which instalment is next.

Instalments are not paid one by one: money paid against the plan's invoices counts toward the
instalments in order. What has been paid is the plan's total less what the invoices still owe,
so a payment by bank transfer, by card on the pay-now page or recorded by a bookkeeper all move
the plan along the same way.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.money import allocate, quantize

FREQUENCIES = {"monthly": "Monthly", "fortnightly": "Every two weeks", "weekly": "Weekly"}


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later, clamped to the month's last day (31 Jan → 28/29
    Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(*, total: Decimal, currency: str, count: int, first: date,
             frequency: str) -> list[tuple[date, Decimal]]:
    """``count`` instalments adding up to ``total`` exactly (the cents left over by an uneven
    split go to the first ones), starting on ``first``."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"Unknown frequency {frequency!r}.")
    amounts = allocate(total, [Decimal(1)] * count, currency)
    days = [add_months(first, i) if frequency == "monthly" else
            first + timedelta(weeks=i * (2 if frequency == "fortnightly" else 1))
            for i in range(count)]
    return list(zip(days, amounts, strict=True))


@dataclass(frozen=True)
class InstalmentState:
    number: int
    due_date: date
    amount: Decimal
    remaining: Decimal

    @property
    def settled(self) -> bool:
        return self.remaining <= 0


def instalment_states(*, total: Decimal, owed_now: Decimal, currency: str,
                      instalments: Sequence[tuple[int, date, Decimal]]) -> list[InstalmentState]:
    """Each instalment (number, due date, amount) with what is still to pay on it, given that
    the plan's invoices owe ``owed_now`` of the ``total`` they owed when it was agreed."""
    paid = max(quantize(total - owed_now, currency), Decimal(0))
    states, before = [], Decimal(0)
    for number, due, amount in sorted(instalments, key=lambda i: i[0]):
        covered = min(max(paid - before, Decimal(0)), amount)
        states.append(InstalmentState(number=number, due_date=due, amount=amount,
                                      remaining=quantize(amount - covered, currency)))
        before += amount
    return states


def next_open(states: Sequence[InstalmentState]) -> InstalmentState | None:
    return next((s for s in states if not s.settled), None)
