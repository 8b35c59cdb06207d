"""The aging trend, rebuilt week by week from invoices, payments and adjustments, checked
against a small book computed by hand."""

from datetime import date
from decimal import Decimal

import pytest

from insights.selectors import aging_trend, trend_days
from receivables import services
from receivables.selectors import aging_summary
from tests.factories import ClientFactory
from tests.reminders.support import TUESDAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

MAR_3, MAR_10 = date(2026, 3, 3), date(2026, 3, 10)
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


@pytest.fixture
def book(make_invoice, make_payment):
    """Net 30 throughout. Due dates: A 31 Jan, B 22 Mar, C 7 Apr, E 3 Mar; D (USD) 9 Feb."""
    eur, usd = ClientFactory(), ClientFactory(default_currency="USD")
    a = make_invoice(eur, "1000.00", issue_date=date(2026, 1, 1))
    make_payment(eur, "400.00", date(2026, 3, 5), invoices=[a])
    services.adjustment_add(invoice=a, kind="late_fee", amount="50.00", on=date(2026, 3, 14))
    b = make_invoice(eur, "500.00", issue_date=date(2026, 2, 20))
    services.adjustment_add(invoice=b, kind="credit_note", amount="100.00",
                            on=date(2026, 3, 12))
    c = make_invoice(eur, "300.00", issue_date=date(2026, 3, 8))
    make_payment(eur, "300.00", date(2026, 3, 16), invoices=[c])
    make_invoice(eur, "50.00", issue_date=date(2026, 2, 1))  # E: due on 3 March itself
    make_invoice(usd, "200.00", issue_date=date(2026, 1, 10), currency="USD")  # D
    # Never owed: a draft, and an invoice voided after issue.
    make_invoice(eur, "7000.00", issue_date=date(2026, 1, 5), issue=False)
    void = make_invoice(eur, "9000.00", issue_date=date(2026, 1, 5))
    services.invoice_transition(invoice=void, to="void")


def amounts(points):
    return [{key: b.amount for key, b in zip(BUCKETS, p.buckets, strict=True) if b.amount}
            for p in points]


def test_trend_days_end_today_a_week_apart():
    assert trend_days(TUESDAY, 3) == [MAR_3, MAR_10, TUESDAY]
    assert len(trend_days(TUESDAY, 12)) == 12


def test_balances_per_bucket_week_by_week(book):
    eur, usd = aging_trend(today=TUESDAY, weeks=3)
    assert [p.on for p in eur.points] == [MAR_3, MAR_10, TUESDAY]
    assert eur.currency == "EUR"
    assert amounts(eur.points) == [
        # A 1000 (31 days overdue), B 500, E 50 due that very day; C not issued yet.
        {"current": Decimal("550.00"), "31-60": Decimal("1000.00")},
        # A less 400 received 5 March; B and C current; E 7 days overdue.
        {"current": Decimal("800.00"), "1-30": Decimal("50.00"), "31-60": Decimal("600.00")},
        # A plus the 50 late fee; B less the 100 credit note; C paid 16 March.
        {"current": Decimal("400.00"), "1-30": Decimal("50.00"), "31-60": Decimal("650.00")},
    ]
    assert [p.total for p in eur.points] == [Decimal("1550.00"), Decimal("1450.00"),
                                             Decimal("1100.00")]
    assert usd.currency == "USD"
    assert amounts(usd.points) == [{"1-30": Decimal("200.00")}, {"1-30": Decimal("200.00")},
                                   {"31-60": Decimal("200.00")}]


def test_the_last_point_is_todays_aging_report(book):
    today = {row["currency"]: [b["amount"] for b in row["buckets"]]
             for row in aging_summary(today=TUESDAY)}
    for trend in aging_trend(today=TUESDAY, weeks=2):
        assert [b.amount for b in trend.points[-1].buckets] == today[trend.currency]


def test_currency_filter(book):
    [usd] = aging_trend(today=TUESDAY, weeks=3, currency="USD")
    assert usd.currency == "USD"
    assert aging_trend(today=TUESDAY, weeks=3, currency="GBP") == []


def test_an_empty_book_has_no_trend(db):
    assert aging_trend(today=TUESDAY) == []
