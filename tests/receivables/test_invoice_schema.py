"""The invoice table is built for the planning pass's update of ``next_action_at`` on every
invoice it looks at (bench/README, "Planning on plain rows"): no index holds the column (an
update of an indexed column writes every index of the table), and on PostgreSQL each page
keeps room for the new row version (fillfactor 85), so the update is a HOT update."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return {name: found for name, found in
                connection.introspection.get_constraints(cursor, table).items()
                if found["index"] or found["unique"]}


def test_no_index_holds_next_action_at_and_none_repeats_another():
    indexes = _indexes("receivables_invoice")
    assert not [name for name, found in indexes.items()
                if "next_action_at" in found["columns"]]
    # client_id alone would repeat the (client, status) index
    assert ["client_id"] not in [found["columns"] for found in indexes.values()]
    assert ["client_id", "status"] in [found["columns"] for found in indexes.values()]
    outbox = [found["columns"] for found in _indexes("reminders_reminder").values()]
    assert ["scheduled_for"] not in outbox and ["instalment_id"] not in outbox
    assert ["status", "scheduled_for"] in outbox


def test_invoice_pages_keep_room_for_updates_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("fillfactor is a PostgreSQL storage parameter")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'receivables_invoice'")
        (options,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = "
                       "'receivables_invoice' AND indexdef LIKE '%varchar_pattern_ops%'")
        (like_indexes,) = cursor.fetchone()
    assert "fillfactor=85" in (options or [])
    assert like_indexes == 0  # the unique number index stays; its LIKE copy is gone
