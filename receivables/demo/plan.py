"""The invoice plan: which client each invoice goes to, its aging bucket and fate, its dates,
currency and number, and the rounds the book is built in.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from receivables.demo.clients import Profile
from receivables.demo.options import DEMO_PREFIX
from receivables.demo.reference import BUCKET_DAYS, BUCKET_WEIGHTS, FATE_WEIGHTS, FORCED_FATES

# Invoices built and inserted per round: bounds memory on 100k-invoice books.
CHUNK_INVOICES = 10_000


@dataclass(slots=True)
class Plan:
    client: int
    bucket: str
    fate: str
    issue_date: date
    due_date: date
    currency: str
    number: str = ""


def _assign_clients(rng: random.Random, profiles: list[Profile], count: int) -> list[int]:
    """Every client gets an invoice first (when there are enough), the rest by weight."""
    first = list(range(min(count, len(profiles))))
    rest = rng.choices(range(len(profiles)), weights=[p.weight for p in profiles],
                       k=count - len(first))
    return first + rest


def _fate(rng: random.Random, k: int) -> tuple[str, str]:
    if k < len(FORCED_FATES):
        return FORCED_FATES[k]
    bucket = rng.choices(list(BUCKET_WEIGHTS), weights=list(BUCKET_WEIGHTS.values()))[0]
    weights = FATE_WEIGHTS[bucket]
    return bucket, rng.choices(list(weights), weights=list(weights.values()))[0]


def _dates(rng: random.Random, bucket: str, net_days: int, today: date) -> tuple[date, date]:
    span = BUCKET_DAYS[bucket]
    if span is None:  # not yet due: issued within the last net_days days
        due = today + timedelta(days=rng.randint(0, net_days))
    else:
        due = today - timedelta(days=rng.randint(*span))
    return due - timedelta(days=net_days), due


def _invoice_currency(rng: random.Random, profile: Profile) -> str:
    # A few invoices in another currency, so balances per currency mean something; never
    # under terms whose flat fee is tied to one currency.
    if not profile.terms.late_fee_currency and rng.random() < 0.05:
        home = profile.client.default_currency
        return rng.choice([c for c in ("EUR", "USD", "GBP") if c != home])
    return profile.client.default_currency


def plan_invoices(rng: random.Random, profiles: list[Profile], count: int, today: date
                  ) -> list[Plan]:
    plans = []
    for k, index in enumerate(_assign_clients(rng, profiles, count)):
        profile = profiles[index]
        bucket, fate = _fate(rng, k)
        issue, due = _dates(rng, bucket, profile.terms.net_days, today)
        plans.append(Plan(index, bucket, fate, issue, due, _invoice_currency(rng, profile)))
    # Numbers follow the issue date, restarting every year, as an accounting system's would.
    plans.sort(key=lambda p: (p.issue_date, p.client))
    per_year: dict[int, int] = defaultdict(int)
    for plan in plans:
        per_year[plan.issue_date.year] += 1
        plan.number = f"{DEMO_PREFIX}{plan.issue_date.year}-{per_year[plan.issue_date.year]:06d}"
    return plans


def chunks(plans: list[Plan]) -> Iterator[list[Plan]]:
    """Plans grouped by client, in rounds of about CHUNK_INVOICES invoices."""
    by_client: dict[int, list[Plan]] = defaultdict(list)
    for plan in plans:
        by_client[plan.client].append(plan)
    chunk: list[Plan] = []
    for index in sorted(by_client):
        chunk.extend(sorted(by_client[index], key=lambda p: (p.due_date, p.number)))
        if len(chunk) >= CHUNK_INVOICES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
