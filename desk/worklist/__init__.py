"""The receivables worklist: every invoice with money still owed, filtered and sorted the way a
bookkeeper works through them, one page at a time, and the bulk actions taken on a selection.

- ``filters``: the query string, parsed against whitelists, as conditions on the invoices;
- ``pages``: keyset pages (and every row, for the export), built for 100,000 invoices;
- ``export``: the rows as CSV records;
- ``bulk``: the actions on a selection, one transaction per invoice.
"""

from desk.worklist.bulk import (
    ACTIONS,
    MAX_SELECTION,
    BulkResult,
    assignable_owners,
    bulk_assign_owner,
    bulk_pause,
    bulk_send_now,
    clients_of,
    selected_invoices,
)
from desk.worklist.export import CSV_HEADER, csv_records, person
from desk.worklist.filters import (
    DEFAULT_SORT,
    QUIET_DAYS,
    SORTS,
    STATUS_CHOICES,
    WorklistFilters,
    currencies_in_use,
    filtered_invoices,
)
from desk.worklist.pages import (
    COUNT_CAP,
    Cursor,
    NextReminder,
    WorklistPage,
    WorklistRow,
    export_rows,
    rows_for,
    worklist_page,
)

__all__ = [
    "ACTIONS", "COUNT_CAP", "CSV_HEADER", "DEFAULT_SORT", "MAX_SELECTION", "QUIET_DAYS", "SORTS",
    "STATUS_CHOICES", "BulkResult", "Cursor", "NextReminder", "WorklistFilters", "WorklistPage",
    "WorklistRow", "assignable_owners", "bulk_assign_owner", "bulk_pause", "bulk_send_now",
    "clients_of", "csv_records", "currencies_in_use", "export_rows", "filtered_invoices",
    "person", "rows_for", "selected_invoices", "worklist_page",
]
