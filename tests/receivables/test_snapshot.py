"""The book's snapshot (receivables.snapshot): its figures equal a direct computation over every
invoice (several currencies, every aging bucket, statuses that count and statuses that do not,
promises, a payment plan); a refresh is a constant number of statements and atomic (a failing
one leaves the previous snapshot whole); the history keeps the last snapshot of each day; the
tick takes one."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from answers.models import PlanStatus
from answers.plans import plan_accept, plan_propose
from receivables.models import (
    DSO_DAYS,
    RECEIVABLE_STATUSES,
    SNAPSHOT_BUCKET_COLUMNS,
    BookSnapshot,
    Invoice,
    InvoiceStatus,
    SnapshotCash,
    SnapshotCurrency,
)
from receivables.selectors import AGING_BUCKETS, aging_summary, bucket_for
from receivables.services import LineInput, invoice_create, invoice_transition, payment_record
from receivables.snapshot import (
    CASH_DAYS,
    HISTORY_DAYS,
    PLAN_ACCEPTED,
    book_day,
    book_measure,
    snapshot_history,
    snapshot_latest,
    snapshot_refresh,
)
from tests.factories import ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 17)
NOON = datetime(2026, 3, 17, 12, 0, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


def invoice(client: Any, amount: str, *, due_in: int, currency: str = "EUR",
            number: str | None = None, issued_days_before_due: int = 30, **kwargs: Any
            ) -> Invoice:
    """An issued invoice due ``due_in`` days from TODAY (negative: overdue)."""
    terms = TermsFactory(name=f"Net {issued_days_before_due} snapshot",
                         net_days=issued_days_before_due)
    return invoice_create(
        client=client, number=number or f"S-{currency}-{client.pk}-{due_in}-{amount}",
        issue_date=TODAY + timedelta(days=due_in - issued_days_before_due), terms=terms,
        currency=currency, lines=[LineInput("Work", amount)], **kwargs)


@pytest.fixture
def book() -> dict[str, Any]:
    """Three currencies (JPY without decimals), every aging bucket, a partial payment, a
    promise, a dispute, an invoice in collections, a payment plan, and invoices that are not
    owed (a draft, a voided one, a paid one, one issued long ago and paid)."""
    acme, globex = ClientFactory(), ClientFactory(default_currency="USD")
    nippon = ClientFactory(default_currency="JPY")
    invoice(acme, "100.00", due_in=3)                          # current, due this week
    invoice(acme, "120.00", due_in=12)                         # current, week 2
    invoice(acme, "200.00", due_in=-10)                        # 1-30
    invoice(acme, "400.00", due_in=-45)                        # 31-60
    invoice(acme, "700.00", due_in=-75)                        # 61-90
    invoice(acme, "900.00", due_in=-200, issued_days_before_due=60)  # 90+, issued long ago
    partly = invoice(acme, "1000.00", due_in=5)                # current, partly paid
    payment_record(client=acme, amount="250.00", received_on=TODAY, invoices=[partly])
    promised = invoice(acme, "50.00", due_in=-5)
    Invoice.objects.filter(pk=promised.pk).update(promised_until=TODAY + timedelta(days=9))
    lapsed = invoice(acme, "60.00", due_in=4)                  # a promise already past
    Invoice.objects.filter(pk=lapsed.pk).update(promised_until=TODAY - timedelta(days=1))
    disputed = invoice(acme, "80.00", due_in=2)                # owed, but no cash expected
    invoice_transition(invoice=disputed, to=InvoiceStatus.DISPUTED, reason="quality")
    collections = invoice(acme, "330.00", due_in=-100)
    invoice_transition(invoice=collections, to=InvoiceStatus.IN_COLLECTIONS, reason="late")
    invoice(acme, "999.00", due_in=1, issue=False)              # a draft: never owed
    void = invoice(acme, "888.00", due_in=8)
    invoice_transition(invoice=void, to=InvoiceStatus.VOID, reason="wrong client")
    paid = invoice(acme, "40.00", due_in=-2)
    payment_record(client=acme, amount="40.00", received_on=TODAY, invoices=[paid])
    planned = invoice(acme, "300.00", due_in=-20)              # replaced by its instalments
    plan = plan_propose(client=acme, invoice_ids=[planned.pk], count=3,
                        first=TODAY + timedelta(days=2), frequency="weekly", note="", now=NOON)
    plan_accept(plan=plan, actor=None, now=NOON)
    invoice(globex, "1000.00", due_in=20, currency="USD")      # current, week 3
    invoice(globex, "2500.00", due_in=27, currency="USD")      # current, last day of week 4
    invoice(globex, "2600.00", due_in=28, currency="USD")      # current, beyond 4 weeks
    invoice(globex, "450.50", due_in=-31, currency="USD")       # 31-60
    invoice(nippon, "125000", due_in=0, currency="JPY")         # current, due today
    invoice(nippon, "98000", due_in=-1, currency="JPY")         # 1-30
    return {"plan": plan}


def direct(today: date) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, date], Decimal]]:
    """The figures computed the slow, obvious way: one invoice at a time, in Python."""
    figures: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(Decimal))
    cash: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    end = today + timedelta(days=CASH_DAYS - 1)
    planned = set(Invoice.objects.filter(payment_plans__status=PlanStatus.ACCEPTED)
                  .values_list("pk", flat=True))
    for inv in Invoice.objects.all():
        row = figures[inv.currency]
        if inv.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID) and (
                today - timedelta(days=DSO_DAYS) < inv.issue_date <= today):
            row["invoiced_90_days"] += inv.total
        if not (inv.status in RECEIVABLE_STATUSES and inv.balance > 0):
            continue
        row["receivable"] += inv.balance
        row["receivable_count"] += 1
        column = SNAPSHOT_BUCKET_COLUMNS[bucket_for((today - inv.due_date).days).key]
        row[column] += inv.balance
        row[f"{column}_count"] += 1
        if inv.status == InvoiceStatus.DISPUTED or inv.pk in planned:
            continue
        if inv.promised_until is None and today <= inv.due_date <= end:
            cash[(inv.currency, inv.due_date)] += inv.balance
        elif inv.promised_until is not None and today <= inv.promised_until <= end:
            cash[(inv.currency, inv.promised_until)] += inv.balance
    from answers.models import Instalment
    for instalment in Instalment.objects.filter(plan__status=PlanStatus.ACCEPTED):
        if today <= instalment.due_date <= end:
            cash[(instalment.plan.currency, instalment.due_date)] += instalment.amount
    return figures, cash


def test_the_snapshot_equals_a_direct_computation(book):
    snapshot_refresh(now=NOON)
    snapshot = snapshot_latest()
    assert snapshot is not None and snapshot.on == TODAY and snapshot.taken_at == NOON
    figures, cash = direct(TODAY)
    assert [row.currency for row in snapshot.currencies] == ["EUR", "JPY", "USD"]
    for row in snapshot.currencies:
        expected = figures[row.currency]
        for name in ("receivable", "receivable_count", "invoiced_90_days",
                     *SNAPSHOT_BUCKET_COLUMNS.values(),
                     *(f"{c}_count" for c in SNAPSHOT_BUCKET_COLUMNS.values())):
            assert getattr(row, name) == expected.get(name, 0), (row.currency, name)
        week = sum((a for (code, day), a in cash.items()
                    if code == row.currency and (day - TODAY).days < 7), Decimal(0))
        assert row.cash_week == week
        assert row.dso_days == (round(expected["receivable"] / expected["invoiced_90_days"] * 90)
                                if expected["invoiced_90_days"] else None)
        assert row.overdue == expected["receivable"] - expected.get("current", 0)
    assert {(c.currency, c.day): c.amount for c in snapshot.cash} == dict(cash)
    # And the same as the worklist's aging (receivables.selectors.aging_summary).
    for summary, row in zip(aging_summary(today=TODAY), snapshot.currencies, strict=True):
        assert summary["total"] == row.receivable and summary["count"] == row.receivable_count
        for bucket in summary["buckets"]:
            column = SNAPSHOT_BUCKET_COLUMNS[bucket["bucket"].key]
            assert (bucket["amount"], bucket["count"]) == (getattr(row, column),
                                                           getattr(row, f"{column}_count"))


def test_what_the_book_holds_in_detail(book):
    """The fixture's figures by hand, so the direct computation is not trusted blindly."""
    measured = book_measure(today=TODAY)
    eur, jpy, usd = measured.currencies
    assert (eur.current, eur.late_1_30, eur.late_31_60, eur.late_61_90, eur.late_over_90) == (
        Decimal("1110.00"),  # 100 + 120 + 750 still owed + 60 lapsed promise + 80 disputed
        Decimal("550.00"),  # 200 + 50 promised + 300 planned
        Decimal("400.00"), Decimal("700.00"), Decimal("1230.00"))  # 900 + 330 in collections
    assert eur.receivable == Decimal("3990.00") and eur.receivable_count == 12
    assert (jpy.current, jpy.late_1_30, jpy.receivable) == (Decimal(125000), Decimal(98000),
                                                            Decimal(223000))
    assert usd.late_31_60 == Decimal("450.50") and usd.current == Decimal("6100.00")
    by_day = {(c.currency, c.day): c.amount for c in measured.cash}
    # The promise of 50 and the second instalment of 100 fall on the same day.
    assert by_day[("EUR", TODAY + timedelta(days=9))] == Decimal("150.00")
    assert by_day[("EUR", TODAY + timedelta(days=5))] == Decimal("750.00")  # after the payment
    assert by_day[("EUR", TODAY + timedelta(days=2))] == Decimal("100.00")  # 1st instalment
    assert ("EUR", TODAY + timedelta(days=4)) not in by_day  # the lapsed promise
    assert by_day[("USD", TODAY + timedelta(days=27))] == Decimal("2500.00")
    assert ("USD", TODAY + timedelta(days=28)) not in by_day
    assert eur.cash_week == Decimal("950.00")  # 100 + 750 + the first instalment of 100
    assert jpy.cash_week == Decimal(125000) and usd.cash_week == 0


def test_a_refresh_costs_the_same_statements_however_big_the_book(book):
    def statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            snapshot_refresh(now=NOON)
        return len(queries)

    few = statements()
    acme = ClientFactory()
    for i in range(25):
        invoice(acme, f"{10 + i}.00", due_in=i - 12, number=f"MORE-{i}")
    assert statements() == few <= 12


def test_the_snapshot_is_read_in_three_queries_and_its_history_in_one(
        book, django_assert_num_queries):
    snapshot_refresh(now=NOON - timedelta(days=1))
    snapshot_refresh(now=NOON)
    with django_assert_num_queries(3):
        snapshot = snapshot_latest()
    assert snapshot is not None and len(snapshot.currencies) == 3 and snapshot.cash
    with django_assert_num_queries(1):
        history = snapshot_history(since=TODAY - timedelta(days=30), until=TODAY)
    assert sorted(history) == [TODAY - timedelta(days=1), TODAY]
    assert set(history[TODAY]) == {"EUR", "JPY", "USD"}


def test_a_failing_refresh_leaves_the_previous_snapshot_whole(book):
    first = snapshot_refresh(now=NOON - timedelta(minutes=5))
    before = {r.currency: r.receivable for r in snapshot_latest().currencies}
    invoice(ClientFactory(), "5000.00", due_in=3, number="LATE-ONE")
    with mock.patch.object(SnapshotCash.objects, "bulk_create",
                           side_effect=RuntimeError("disk full")), \
            pytest.raises(RuntimeError):
        snapshot_refresh(now=NOON)
    latest = snapshot_latest()
    assert latest is not None and latest.header.pk == first.pk
    assert {r.currency: r.receivable for r in latest.currencies} == before
    assert BookSnapshot.objects.count() == 1
    assert not SnapshotCurrency.objects.exclude(snapshot=first).exists()
    snapshot_refresh(now=NOON)  # the next one works and sees the new invoice
    assert snapshot_latest().currencies[0].receivable == before["EUR"] + Decimal("5000.00")


def test_history_keeps_the_last_snapshot_of_each_day_and_the_two_newest():
    invoice(ClientFactory(), "70.00", due_in=-3)

    def take(day: int, hour: int) -> BookSnapshot:
        return snapshot_refresh(now=datetime(2026, 3, day, hour, tzinfo=BERLIN))

    monday = [take(16, h) for h in (9, 12, 18)]
    assert set(BookSnapshot.objects.values_list("pk", flat=True)) == {monday[1].pk,
                                                                        monday[2].pk}
    tuesday = [take(17, h) for h in (9, 10)]
    # Monday's last (history) and the two newest; Monday's 12:00 went with the first refresh
    # that did not need it any more.
    assert set(BookSnapshot.objects.values_list("pk", flat=True)) == {
        monday[2].pk, tuesday[0].pk, tuesday[1].pk}
    third = take(17, 11)
    assert set(BookSnapshot.objects.values_list("pk", flat=True)) == {
        monday[2].pk, tuesday[1].pk, third.pk}
    assert not SnapshotCash.objects.exclude(snapshot__in=[monday[2], tuesday[1], third]).exists()
    assert set(snapshot_history(since=date(2026, 3, 1), until=date(2026, 3, 31))) == {
        date(2026, 3, 16), date(2026, 3, 17)}


def test_days_older_than_the_history_are_dropped():
    old = snapshot_refresh(now=NOON - timedelta(days=HISTORY_DAYS + 1))
    kept = snapshot_refresh(now=NOON - timedelta(days=HISTORY_DAYS))
    snapshot_refresh(now=NOON - timedelta(days=1))
    snapshot_refresh(now=NOON)
    assert not BookSnapshot.objects.filter(pk=old.pk).exists()
    assert BookSnapshot.objects.filter(pk=kept.pk).exists()


def test_the_snapshots_day_is_the_businesss_day(settings):
    settings.SETTLE_DEFAULT_TIMEZONE = "Europe/Berlin"
    late_evening_utc = datetime(2026, 3, 16, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert book_day(late_evening_utc) == date(2026, 3, 17)  # 00:30 in Berlin
    settings.SETTLE_DEFAULT_TIMEZONE = "America/New_York"
    assert book_day(late_evening_utc) == date(2026, 3, 16)


def test_an_empty_book_has_an_empty_snapshot():
    snapshot_refresh(now=NOON)
    snapshot = snapshot_latest()
    assert snapshot is not None and snapshot.currencies == [] and snapshot.cash == []


def test_plans_are_read_by_answers_accepted_status():
    assert PlanStatus.ACCEPTED.value == PLAN_ACCEPTED
    assert [b.key for b in AGING_BUCKETS] == list(SNAPSHOT_BUCKET_COLUMNS)


def test_every_tick_takes_one_snapshot():
    from reminders.tick import reminders_tick

    invoice(ClientFactory(), "70.00", due_in=-3)
    reminders_tick(now=NOON)
    reminders_tick(now=NOON + timedelta(minutes=5))
    assert list(BookSnapshot.objects.order_by("id").values_list("taken_at", flat=True)) == [
        NOON, NOON + timedelta(minutes=5)]
    assert snapshot_latest().currencies[0].late_1_30 == Decimal("70.00")
