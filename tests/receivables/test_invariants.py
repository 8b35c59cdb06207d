"""Property test: whatever sequence of payments, credits and adjustments arrives, the stored
amounts equal what their sources say, balances never go negative and no money is lost."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from receivables import selectors, services
from receivables.models import (
    CHARGE_KINDS,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)
from tests.factories import SEED_TERMS, ClientFactory, TermsFactory

TODAY = date(2026, 6, 1)
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
action = st.one_of(
    st.tuples(st.just("pay"), cents, st.integers(0, 3), st.integers(0, 150)),
    st.tuples(st.just("pay_any"), cents, st.just(0), st.integers(0, 150)),
    st.tuples(st.just("fee"), cents, st.integers(0, 3), st.just(0)),
    st.tuples(st.just("credit"), st.just(Decimal(0)), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("dispute"), st.just(Decimal(0)), st.integers(0, 3), st.just(0)),
)


def assert_consistent(client) -> None:
    for inv in Invoice.objects.filter(client=client):
        lines = inv.lines.aggregate(net=Sum("net_amount"), tax=Sum("tax_amount"))
        assert inv.total == lines["net"] + lines["tax"]
        paid = inv.allocations.aggregate(s=Sum("amount"))["s"] or 0
        assert inv.amount_paid == paid
        charges = sum(a.amount for a in inv.adjustments.all() if a.kind in CHARGE_KINDS)
        reductions = sum(a.amount for a in inv.adjustments.all() if a.kind not in CHARGE_KINDS)
        assert (inv.charges_total, inv.reductions_total) == (charges, reductions)
        assert inv.balance == inv.total + charges - reductions - paid >= 0
        assert (inv.status == InvoiceStatus.PAID) == (inv.balance == 0)
    for payment in Payment.objects.filter(client=client):
        allocated = payment.allocations.aggregate(s=Sum("amount"))["s"] or 0
        assert payment.amount_allocated == allocated
        assert payment.unapplied == payment.amount - allocated >= 0
    received = Payment.objects.filter(client=client).aggregate(s=Sum("amount"))["s"] or 0
    applied = PaymentAllocation.objects.filter(payment__client=client).aggregate(
        s=Sum("amount"))["s"] or 0
    credit = selectors.credit_available(client=client, currency="EUR")
    assert received == applied + credit  # no money lost


class TestLedgerInvariants(TestCase):
    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(action, min_size=1, max_size=12),
           st.lists(cents, min_size=1, max_size=4))
    def test_any_sequence_keeps_the_books_consistent(self, actions, amounts):
        with time_machine.travel(TODAY, tick=False):
            client = ClientFactory()
            terms = TermsFactory(**SEED_TERMS)
            invoices = [services.invoice_create(
                client=client, number=f"P-{client.pk}-{i}", issue_date=date(2026, 1, 1),
                terms=terms, lines=[services.LineInput("Work", amount, tax_rate="19")])
                for i, amount in enumerate(amounts)]
            for kind, amount, index, day in actions:
                invoice = invoices[index % len(invoices)]
                on = date(2026, 1, 1) + timedelta(days=day)
                try:
                    if kind == "pay":
                        services.payment_record(client=client, amount=amount, received_on=on,
                                                invoices=[invoice])
                    elif kind == "pay_any":
                        services.payment_record(client=client, amount=amount, received_on=on)
                    elif kind == "fee":
                        services.adjustment_add(invoice=invoice, kind="late_fee", amount=amount,
                                                on=on)
                    elif kind == "credit":
                        services.credit_apply(client=client, invoice=invoice)
                    else:
                        services.invoice_transition(invoice=invoice, to=InvoiceStatus.DISPUTED)
                except ValidationError as exc:  # refused input must name the problem
                    assert exc.messages and all(m.strip() for m in exc.messages)
                assert_consistent(client)


@pytest.mark.django_db
def test_invariant_checker_catches_a_tampered_amount(client_de, make_invoice):
    invoice = make_invoice(client_de, "100.00")
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("1.00"))
    with pytest.raises(AssertionError):
        assert_consistent(client_de)
