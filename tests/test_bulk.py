"""infra.bulk: set-based UPDATE and INSERT, one statement per chunk, on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from infra import bulk
from receivables.models import Invoice
from reminders.models import CadenceStep, Reminder

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


def statements(queries: CaptureQueriesContext, verb: str) -> int:
    return sum(q["sql"].startswith(verb) for q in queries)


def test_update_writes_each_row_its_own_value_and_leaves_others_alone(client_de, make_invoice):
    a, b, c, untouched = (make_invoice(client_de) for _ in range(4))
    Invoice.objects.filter(pk=untouched.pk).update(
        next_action_at=datetime(2026, 1, 1, tzinfo=UTC))
    Invoice.objects.filter(pk=c.pk).update(next_action_at=datetime(2026, 1, 2, tzinfo=UTC))
    times = {a.pk: datetime(2026, 3, 29, 9, 0, tzinfo=BERLIN),  # the day DST starts
             b.pk: datetime(2026, 3, 30, 9, 0, 0, 123456, tzinfo=TOKYO),
             c.pk: None}
    with CaptureQueriesContext(connection) as queries:
        assert bulk.update_column(Invoice, "next_action_at", times) == 3
    assert statements(queries, "UPDATE") == 1
    stored = dict(Invoice.objects.values_list("pk", "next_action_at"))
    assert stored[a.pk] == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert stored[b.pk] == datetime(2026, 3, 30, 0, 0, 0, 123456, tzinfo=UTC)
    assert stored[c.pk] is None
    assert stored[untouched.pk] == datetime(2026, 1, 1, tzinfo=UTC)


def test_update_of_only_nulls_in_chunks(client_de, make_invoice, monkeypatch):
    invoices = [make_invoice(client_de) for _ in range(5)]
    Invoice.objects.update(next_action_at=datetime(2026, 1, 1, tzinfo=UTC))
    monkeypatch.setattr(bulk, "MAX_PARAMS", 4)  # two rows per statement
    with CaptureQueriesContext(connection) as queries:
        bulk.update_column(Invoice, "next_action_at", {i.pk: None for i in invoices})
    assert statements(queries, "UPDATE") == 3
    assert set(Invoice.objects.values_list("next_action_at", flat=True)) == {None}


def test_nothing_to_write_runs_nothing(db):
    with CaptureQueriesContext(connection) as queries:
        assert bulk.update_column(Invoice, "next_action_at", {}) == 0
        assert bulk.insert_rows(Reminder, ("invoice",), []) == 0
    assert len(queries) == 0


COLUMNS = ("invoice", "client", "step", "channel", "scheduled_for", "status", "claim_token",
           "attempts", "last_error", "failed_channels", "created_at", "updated_at")


@pytest.fixture
def steps(db):
    from django.apps import apps

    from reminders.defaults import install_defaults

    if not CadenceStep.objects.exists():  # transactional tests flush the seeded cadence
        install_defaults(apps)
    return list(CadenceStep.objects.order_by("offset_days")[:3])


def test_insert_skips_rows_that_break_a_unique_constraint(client_de, make_invoice, steps,
                                                         monkeypatch):
    invoice = make_invoice(client_de)
    when = datetime(2026, 3, 16, 9, tzinfo=BERLIN)
    now = datetime(2026, 3, 16, 6, tzinfo=UTC)

    def row(step, channel="email"):
        return (invoice.pk, client_de.pk, step.pk, channel, when, "scheduled", "", 0, "", [],
                now, now)

    assert bulk.insert_rows(Reminder, COLUMNS, [row(steps[0])]) == 1
    monkeypatch.setattr(bulk, "MAX_PARAMS", 2 * len(COLUMNS))  # two rows per statement
    with CaptureQueriesContext(connection) as queries:
        inserted = bulk.insert_rows(Reminder, COLUMNS,
                                    [row(steps[0], "sms"), row(steps[1]), row(steps[2])])
    assert inserted == 2
    assert statements(queries, "INSERT") == 2
    stored = {r.step_id: r for r in Reminder.objects.filter(invoice=invoice)}
    assert set(stored) == {s.pk for s in steps}
    assert stored[steps[0].pk].channel == "email"  # the first row stays as it was
    assert stored[steps[1].pk].scheduled_for == when
    assert (stored[steps[1].pk].created_at, stored[steps[1].pk].message_id) == (now, None)


def test_insert_of_a_bad_row_writes_nothing(client_de, make_invoice, steps):
    from django.db import IntegrityError, transaction

    invoice = make_invoice(client_de)
    now = datetime(2026, 3, 16, 6, tzinfo=UTC)
    good = (invoice.pk, client_de.pk, steps[0].pk, "email", now, "scheduled", "", 0, "", [],
            now, now)
    bad = (invoice.pk, client_de.pk, steps[1].pk, "email", now, "nonsense", "", 0, "", [],
           now, now)  # breaks the status check constraint
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(Reminder, COLUMNS, [good, bad])
    assert not Reminder.objects.exists()
