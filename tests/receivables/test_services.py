"""Invoices, payments, terms and credits through the services, against the real database."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from clients.models import Interaction, InteractionKind
from receivables import selectors, services
from receivables.models import (
    AdjustmentKind,
    Invoice,
    InvoiceAdjustment,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)
from tests.factories import SEED_TERMS, ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 6, 1), tick=False):
        yield

ISSUED = date(2026, 1, 1)


def test_due_date_comes_from_the_terms(client_de, make_invoice):
    terms = TermsFactory(name="Net 14", net_days=14)
    invoice = make_invoice(client_de, terms=terms, issue_date=date(2026, 2, 20))
    assert invoice.due_date == date(2026, 3, 6)
    assert invoice.status == InvoiceStatus.OPEN


def test_explicit_due_date_wins_over_terms(client_de, make_invoice):
    invoice = make_invoice(client_de, due_date=date(2026, 1, 10))
    assert invoice.due_date == date(2026, 1, 10)


def test_client_default_terms_used_when_none_given(make_invoice, net30):
    net7 = TermsFactory(name="Net 7", net_days=7)
    client = ClientFactory(default_terms=net7)
    invoice = services.invoice_create(client=client, number="X-1", issue_date=ISSUED,
                                      lines=[services.LineInput("Work", "10.00")])
    assert (invoice.terms, invoice.due_date) == (net7, date(2026, 1, 8))


def test_totals_are_derived_from_lines_with_per_line_rounding(client_de, make_invoice):
    invoice = make_invoice(client_de, lines=[
        services.LineInput("Hours", "33.335", quantity="3", tax_rate="19"),  # 100.005 → 100.01
        services.LineInput("Licence", "0.10", quantity="7", tax_rate="7"),
    ])
    lines = list(invoice.lines.all())
    assert [ln.net_amount for ln in lines] == [Decimal("100.01"), Decimal("0.70")]
    assert [ln.tax_amount for ln in lines] == [Decimal("19.00"), Decimal("0.05")]
    assert invoice.subtotal == Decimal("100.71")
    assert invoice.tax_total == Decimal("19.05")
    assert invoice.total == invoice.balance == Decimal("119.76")


class TestSeedTermsWorkedExample:
    """"5% discount if paid within 30 days; 1.5% interest per month after 60 days" on a
    10,000.00 invoice, paid on day 20, day 45 and day 90."""

    @pytest.fixture
    def invoice(self, client_de, make_invoice):
        terms = TermsFactory(**SEED_TERMS)
        assert terms.summary() == ("Net 30 · 5% discount if paid within 30 days · "
                                   "1.5% interest per month after 60 days")
        return make_invoice(client_de, "10000.00", terms=terms, issue_date=ISSUED)

    def test_day_20_pays_9500_and_earns_the_discount(self, client_de, invoice, make_payment):
        day = ISSUED + timedelta(days=20)
        assert selectors.invoice_quote(invoice=invoice, on=day).total == Decimal("9500.00")
        payment = make_payment(client_de, "9500.00", day, invoices=[invoice])
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.balance == 0
        assert invoice.reductions_total == Decimal("500.00")
        discount = InvoiceAdjustment.objects.get(invoice=invoice)
        assert (discount.kind, discount.amount, discount.payment) == (
            AdjustmentKind.EARLY_DISCOUNT, Decimal("500.00"), payment)
        assert payment.unapplied == 0

    def test_day_45_pays_the_full_10000(self, client_de, invoice, make_payment):
        day = ISSUED + timedelta(days=45)
        quote = selectors.invoice_quote(invoice=invoice, on=day)
        assert (quote.discount, quote.interest, quote.total) == (0, 0, Decimal("10000.00"))
        make_payment(client_de, "9500.00", day, invoices=[invoice])  # the discount is gone
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PARTIALLY_PAID
        assert invoice.balance == Decimal("500.00")

    def test_day_90_owes_a_month_of_interest(self, client_de, invoice, make_payment):
        day = ISSUED + timedelta(days=90)
        quote = selectors.invoice_quote(invoice=invoice, on=day)
        assert quote.interest == Decimal("150.00")
        assert quote.total == Decimal("10150.00")
        services.adjustment_add(invoice=invoice, kind=AdjustmentKind.INTEREST,
                                amount=quote.interest, on=day, memo="30 days at 1.5%/month")
        make_payment(client_de, "10150.00", day, invoices=[invoice])
        invoice.refresh_from_db()
        assert (invoice.status, invoice.balance, invoice.charges_total) == (
            InvoiceStatus.PAID, 0, Decimal("150.00"))


def test_partial_then_overpayment_leaves_a_credit(client_de, make_invoice, make_payment):
    invoice = make_invoice(client_de, "1000.00")
    make_payment(client_de, "400.00", date(2026, 2, 1), invoices=[invoice])
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == (InvoiceStatus.PARTIALLY_PAID, Decimal("600.00"))

    over = make_payment(client_de, "750.00", date(2026, 2, 15), invoices=[invoice],
                        reference="BANK-2")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance, invoice.amount_paid) == (
        InvoiceStatus.PAID, 0, Decimal("1000.00"))
    assert over.unapplied == Decimal("150.00")
    assert selectors.credit_available(client=client_de, currency="EUR") == Decimal("150.00")
    timeline = Interaction.objects.filter(client=client_de, kind=InteractionKind.PAYMENT).first()
    assert "€150.00 kept as credit" in timeline.summary

    # The credit is never lost: the next invoice can be paid from it.
    later = make_invoice(client_de, "100.00")
    applied = services.credit_apply(client=client_de, invoice=later)
    later.refresh_from_db()
    assert applied == Decimal("100.00")
    assert later.status == InvoiceStatus.PAID
    assert selectors.credit_available(client=client_de, currency="EUR") == Decimal("50.00")


def test_payment_without_invoice_pays_oldest_first(client_de, make_invoice, make_payment):
    old = make_invoice(client_de, "100.00", issue_date=date(2026, 1, 1))
    new = make_invoice(client_de, "100.00", issue_date=date(2026, 2, 1))
    disputed = make_invoice(client_de, "100.00", issue_date=date(2025, 12, 1))
    services.invoice_transition(invoice=disputed, to=InvoiceStatus.DISPUTED, reason="wrong rate")
    make_payment(client_de, "150.00", date(2026, 3, 1))
    statuses = {inv.number: inv.status for inv in Invoice.objects.all()}
    assert statuses == {old.number: InvoiceStatus.PAID, new.number: InvoiceStatus.PARTIALLY_PAID,
                        disputed.number: InvoiceStatus.DISPUTED}


def test_jpy_has_no_minor_unit(make_invoice, make_payment):
    client = ClientFactory(default_currency="JPY", country="JP", timezone="Asia/Tokyo",
                           mobile_phone="+819012345678")
    invoice = make_invoice(client, lines=[services.LineInput("Widget", "333.5", "3", "10")])
    assert invoice.lines.get().net_amount == Decimal("1001")  # 1000.5 rounds half up
    assert invoice.total == Decimal("1101")  # 100.1 tax → 100
    with pytest.raises(ValidationError, match="more decimals than JPY allows"):
        make_payment(client, "10.5", date(2026, 2, 1))


def test_bhd_has_three_decimals(make_invoice):
    client = ClientFactory(default_currency="BHD", country="BH", timezone="Asia/Bahrain",
                           mobile_phone="+97336001234")
    invoice = make_invoice(client, lines=[services.LineInput("Service", "10.0005", "1", "10")])
    assert invoice.lines.get().net_amount == Decimal("10.001")
    assert invoice.tax_total == Decimal("1.000")  # 1.0001 → 1.000
    assert invoice.total == Decimal("11.001")
    assert invoice.money(invoice.total) == "BHD\u00a011.001"


def test_discount_not_granted_on_partial_payment_inside_window(client_de, make_invoice,
                                                               make_payment):
    invoice = make_invoice(client_de, "1000.00", terms=TermsFactory(**SEED_TERMS))
    make_payment(client_de, "500.00", ISSUED + timedelta(days=5), invoices=[invoice])
    invoice.refresh_from_db()
    assert invoice.reductions_total == 0
    assert invoice.balance == Decimal("500.00")


def test_write_off_records_the_remaining_balance(client_de, make_invoice, make_payment):
    invoice = make_invoice(client_de, "300.00")
    make_payment(client_de, "100.00", date(2026, 2, 1))
    services.invoice_transition(invoice=invoice, to=InvoiceStatus.WRITTEN_OFF, reason="insolvent")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.WRITTEN_OFF
    assert invoice.balance == 0
    assert invoice.adjustments.get().amount == Decimal("200.00")


def test_void_refused_once_money_arrived(client_de, make_invoice, make_payment):
    invoice = make_invoice(client_de, "300.00")
    make_payment(client_de, "100.00", date(2026, 2, 1))
    with pytest.raises(ValidationError, match="cannot go from partially paid to void"):
        services.invoice_transition(invoice=invoice, to=InvoiceStatus.VOID)
    services.invoice_transition(invoice=invoice, to=InvoiceStatus.DISPUTED)
    with pytest.raises(ValidationError, match="payments recorded"):
        services.invoice_transition(invoice=invoice, to=InvoiceStatus.VOID)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DISPUTED


def test_dispute_resolved_returns_to_payment_status(client_de, make_invoice, make_payment):
    invoice = make_invoice(client_de, "300.00")
    make_payment(client_de, "100.00", date(2026, 2, 1))
    services.invoice_transition(invoice=invoice, to=InvoiceStatus.DISPUTED)
    services.invoice_transition(invoice=invoice, to=InvoiceStatus.OPEN, reason="resolved")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    changes = Interaction.objects.filter(kind=InteractionKind.STATUS_CHANGE)
    assert [c.summary for c in changes] == [
        f"Invoice {invoice.number}: disputed → partially paid (resolved)",
        f"Invoice {invoice.number}: partially paid → disputed"]


def test_issued_invoice_lines_cannot_change(client_de, make_invoice):
    invoice = make_invoice(client_de)
    with pytest.raises(ValidationError, match="credit note"):
        services.invoice_replace_lines(invoice=invoice,
                                       lines=[services.LineInput("Other", "1.00")])


def _counts():
    return (Invoice.objects.count(), InvoiceLine.objects.count(), Payment.objects.count(),
            PaymentAllocation.objects.count(), Interaction.objects.count())


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"lines": [services.LineInput("Work", "-5.00")]}, "lines", "cannot be negative"),
    ({"lines": [services.LineInput("Work", "5.00", quantity="0")]}, "lines",
     "quantity must be greater than zero"),
    ({"lines": [services.LineInput("Work", 5.0)]}, "lines", "not a float"),
    ({"lines": []}, "lines", "at least one line"),
    ({"due_date": date(2025, 12, 31)}, "due_date", "is before the issue date"),
    ({"currency": "XYZ"}, "currency", "Unknown currency 'XYZ'"),
    ({"number": ""}, "number", "number is required"),
])
def test_bad_invoice_input_is_rejected_and_nothing_written(client_de, make_invoice, kwargs,
                                                           field, message):
    before = _counts()
    with pytest.raises(ValidationError) as excinfo:
        make_invoice(client_de, **kwargs)
    assert message in " ".join(excinfo.value.message_dict[field])
    assert _counts() == before


def test_duplicate_invoice_number_rejected(client_de, make_invoice):
    make_invoice(client_de, number="INV-DUP")
    before = _counts()
    with pytest.raises(ValidationError, match="already used"):
        make_invoice(client_de, number="INV-DUP")
    assert _counts() == before


@pytest.mark.parametrize(("amount", "kwargs", "message"), [
    ("-10.00", {}, "cannot be negative"),
    ("0", {}, "greater than zero"),
    ("ten", {}, "is not a number"),
    ("10.00", {"currency": "ABC"}, "Unknown currency"),
    ("10.00", {"received_on": date(2026, 6, 2)}, "in the future"),
])
def test_bad_payment_rejected_and_nothing_written(client_de, make_invoice, amount, kwargs,
                                                  message):
    make_invoice(client_de)
    before = _counts()
    kwargs.setdefault("received_on", date(2026, 2, 1))
    with pytest.raises(ValidationError, match=message):
        services.payment_record(client=client_de, amount=amount, **kwargs)
    assert _counts() == before


def test_payment_in_other_currency_than_invoice_rejected(client_de, make_invoice):
    invoice = make_invoice(client_de)
    with pytest.raises(ValidationError, match="is in EUR"):
        services.payment_record(client=client_de, amount="10.00", currency="USD",
                                received_on=date(2026, 2, 1), invoices=[invoice])


def test_same_bank_reference_is_not_recorded_twice(client_de, make_invoice, make_payment):
    make_invoice(client_de)
    make_payment(client_de, "10.00", date(2026, 2, 1), reference="STMT-77")
    with pytest.raises(ValidationError, match="already recorded"):
        make_payment(client_de, "10.00", date(2026, 2, 1), reference="STMT-77")
    assert Payment.objects.count() == 1


def test_terms_with_flat_fee_only_for_their_currency(client_de, make_invoice):
    terms = TermsFactory(name="Fee in USD", late_fee_flat=Decimal("40"), late_fee_currency="USD")
    with pytest.raises(ValidationError, match="flat late fee in USD"):
        make_invoice(client_de, terms=terms)


def test_aging_buckets_split_by_days_overdue(client_de, make_invoice):
    today = date(2026, 6, 1)
    for days_overdue in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400):
        make_invoice(client_de, "100.00", issue_date=today - timedelta(days=days_overdue + 30))
    [eur] = selectors.aging_summary(today=today)
    assert [(b["bucket"].key, b["count"]) for b in eur["buckets"]] == [
        ("current", 2), ("1-30", 2), ("31-60", 2), ("61-90", 2), ("90+", 2)]
    assert eur["total"] == Decimal("1000.00")


def test_a_payment_on_the_clients_today_is_not_in_the_future(make_invoice):
    # 23:30 in UTC on 1 June is 08:30 on 2 June in Tokyo: the client paid "today", in Tokyo.
    tokyo = ClientFactory(default_currency="EUR", country="JP", timezone="Asia/Tokyo")
    invoice = make_invoice(tokyo)
    with time_machine.travel("2026-06-01T23:30:00+00:00", tick=False):
        payment = services.payment_record(client=tokyo, amount="10.00",
                                          received_on=date(2026, 6, 2), invoices=[invoice])
        assert payment.received_on == date(2026, 6, 2)
        with pytest.raises(ValidationError, match="in the future"):
            services.payment_record(client=tokyo, amount="10.00", received_on=date(2026, 6, 3),
                                    invoices=[invoice])
