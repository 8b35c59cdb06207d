"""Money invariants as a property: allocating payments never creates or loses a minor unit.

Random books — invoices in currencies with 0, 2 and 3 minor units (JPY, EUR, KWD), taxed or
not, with or without an early-payment discount — take random payments through
``receivables.services.payment_record`` (partial, exact, over, to named invoices or to the
oldest open ones, in a currency the named invoice may not have) and ``credit_apply``. After
every step, in exact minor units:

* each payment: sum of its allocations + unapplied == its amount;
* each invoice: amount_paid == the sum of its allocations; balance >= 0;
* per currency: money received == allocated + kept as credit, and the invoices' amount_paid
  adds up to the allocations;
* every stored amount is a whole number of the currency's minor unit;
* a refused payment (ValidationError, with a message) leaves every amount as it was.

(``tests/receivables/test_invariants.py`` covers EUR books with fees and disputes; this one
is about the minor unit across currencies.)
"""

from datetime import date, timedelta
from decimal import Decimal

import time_machine
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from core.money import minor_units
from receivables import services
from receivables.models import Invoice, Payment
from tests.battery.conftest import ENTRIES, Entry
from tests.factories import SEED_TERMS, ClientFactory, TermsFactory

TODAY = date(2026, 3, 1)
ISSUED = date(2026, 1, 1)
CURRENCIES = ("JPY", "EUR", "KWD")  # 0, 2 and 3 minor units

invoice_spec = st.tuples(st.sampled_from(CURRENCIES), st.integers(1, 2_000_000),
                         st.sampled_from(["0", "19", "7.5"]))
# (kind, currency, minor units, target invoice index or None for "oldest first", day)
pay = st.tuples(st.just("pay"), st.sampled_from(CURRENCIES), st.integers(1, 3_000_000),
                st.none() | st.integers(0, 4), st.integers(0, 59))
payment_spec = st.one_of(pay, pay, pay, st.tuples(
    st.just("credit"), st.just(""), st.just(0), st.integers(0, 4), st.just(0)))
NODEID = ("tests/battery/test_money_property.py::TestAllocationKeepsEveryMinorUnit::"
          "test_random_books_and_payments")


def units(amount: Decimal, currency: str) -> int:
    """``amount`` in minor units; fails if it is not a whole number of them."""
    scaled = amount.scaleb(minor_units(currency))
    assert scaled == scaled.to_integral_value(), f"{amount} {currency} is not whole minor units"
    return int(scaled)


def ledger(client) -> dict[str, tuple[int, int, int, int]]:
    """Per currency: (received, allocated, unapplied, invoices' amount_paid), in minor units,
    after checking every row."""
    totals: dict[str, list[int]] = {c: [0, 0, 0, 0] for c in CURRENCIES}
    for payment in Payment.objects.filter(client=client).prefetch_related("allocations"):
        cur = payment.currency
        allocated = sum(units(a.amount, cur) for a in payment.allocations.all())
        assert allocated + units(payment.unapplied, cur) == units(payment.amount, cur), payment
        assert units(payment.amount_allocated, cur) == allocated
        assert payment.unapplied >= 0
        totals[cur][0] += units(payment.amount, cur)
        totals[cur][1] += allocated
        totals[cur][2] += units(payment.unapplied, cur)
    for invoice in Invoice.objects.filter(client=client).prefetch_related("allocations"):
        cur = invoice.currency
        paid = sum(units(a.amount, cur) for a in invoice.allocations.all())
        assert units(invoice.amount_paid, cur) == paid, invoice
        assert invoice.balance >= 0, invoice
        assert units(invoice.balance, cur) == (
            units(invoice.total, cur) + units(invoice.charges_total, cur)
            - units(invoice.reductions_total, cur) - paid)
        assert all(a.payment.currency == cur for a in invoice.allocations.all())
        totals[cur][3] += paid
    for cur, (received, allocated, unapplied, paid) in totals.items():
        assert received == allocated + unapplied, cur  # not one minor unit made or lost
        assert paid == allocated, cur
    return {cur: tuple(t) for cur, t in totals.items()}


class TestAllocationKeepsEveryMinorUnit(TestCase):
    tried = 0
    payments = 0
    refused = 0

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(invoice_spec, min_size=1, max_size=5),
           st.lists(payment_spec, min_size=1, max_size=6), st.booleans())
    def test_random_books_and_payments(self, invoices, steps, with_discount):
        with time_machine.travel(TODAY, tick=False):
            self._run(invoices, steps, with_discount)

    def _run(self, invoices, steps, with_discount) -> None:
        type(self).tried += 1
        client = ClientFactory(default_currency="EUR")
        terms = TermsFactory(**SEED_TERMS) if with_discount else TermsFactory(
            name="Net 30 plain", net_days=30)
        made = [services.invoice_create(
            client=client, number=f"M-{client.pk}-{i}", issue_date=ISSUED, terms=terms,
            currency=cur, lines=[services.LineInput(
                "Work", str(Decimal(amount).scaleb(-minor_units(cur))), tax_rate=rate)])
            for i, (cur, amount, rate) in enumerate(invoices)]
        for kind, cur, amount, target, day in steps:
            before = ledger(client)
            named = made[target % len(made)] if target is not None else None
            try:
                if kind == "pay":
                    services.payment_record(
                        client=client, currency=cur,
                        amount=str(Decimal(amount).scaleb(-minor_units(cur))),
                        received_on=ISSUED + timedelta(days=day),
                        invoices=[named] if named else None)
                    type(self).payments += 1
                else:
                    services.credit_apply(client=client, invoice=named)
            except ValidationError as exc:
                assert exc.messages and all(m.strip() for m in exc.messages)
                type(self).refused += 1
                assert ledger(client) == before  # nothing half-written
                continue
            ledger(client)

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # No ``battery`` fixture in a unittest-style class: report through the same record.
        ENTRIES.setdefault(NODEID, Entry(NODEID))

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        ENTRIES[NODEID].lines[:] = [
            ("tried", f"{cls.tried} random books (JPY/EUR/KWD invoices, taxed, with and "
                      f"without early-payment discount), {cls.payments} payments recorded "
                      f"and {cls.refused} refused (wrong currency for the named invoice, "
                      "nothing to apply, paid invoice)"),
            ("held", "after every step: allocations + unapplied == amount for each payment, "
                     "amount_paid == allocations for each invoice, received == allocated + "
                     "credit per currency, no negative balance, every amount whole minor "
                     "units; refused steps changed nothing")]
