"""Reads for the Analytics page: how reminders perform, how the book has aged, who owes most.

Every figure is aggregated in the database by a fixed number of queries, whatever the size of the
book: Python only merges the few aggregate rows that come back (one per cadence step x channel x
language, one per currency, one per day count), never one row per invoice or reminder.

- ``reminder_effectiveness``: two queries (message counts; a days-to-pay histogram).
- ``aging_trend``: three queries (invoice totals, adjustments, payment allocations).
- ``top_overdue_clients``: one query (a window function ranks clients per currency).
- ``book_currencies``: one query, for the currency filter.
"""

from insights.selectors.book import (
    NOT_IN_BOOK,
    TOP_OVERDUE,
    TREND_WEEKS,
    BucketAmount,
    CurrencyTrend,
    OverdueClient,
    TrendPoint,
    aging_trend,
    book_currencies,
    top_overdue_clients,
    trend_days,
)
from insights.selectors.effectiveness import (
    CONVERSION_DAYS,
    DELIVERED_STATUSES,
    LOCAL_PROVIDER,
    OPENED_STATUSES,
    SILENT_PROVIDERS,
    TOO_FEW_TO_JUDGE,
    Counts,
    Effectiveness,
    EffectRow,
    Rate,
    median_of,
    reminder_effectiveness,
)

__all__ = [
    "CONVERSION_DAYS", "DELIVERED_STATUSES", "LOCAL_PROVIDER", "NOT_IN_BOOK", "OPENED_STATUSES",
    "SILENT_PROVIDERS", "TOO_FEW_TO_JUDGE", "TOP_OVERDUE", "TREND_WEEKS", "BucketAmount",
    "Counts", "CurrencyTrend", "EffectRow", "Effectiveness", "OverdueClient", "Rate",
    "TrendPoint", "aging_trend", "book_currencies", "median_of", "reminder_effectiveness",
    "top_overdue_clients", "trend_days",
]
