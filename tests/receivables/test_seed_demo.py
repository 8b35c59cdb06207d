"""`manage.py seed_demo`: a realistic demo book, idempotent, and its stored amounts exactly what
the services would have stored."""

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import phonenumbers
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from clients.models import Client, ClientTag, Interaction, InteractionInvoice
from core.money import format_money, percent_of
from core.money import quantize as q
from receivables import selectors, services
from receivables.demo import DEMO_PREFIX, money_text, verify_book
from receivables.models import (
    CHARGE_KINDS,
    AdjustmentKind,
    Invoice,
    InvoiceAdjustment,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentTerms,
)
from tests.factories import ClientFactory

TODAY = date(2026, 6, 1)
MODELS = (Client, ClientTag, Invoice, InvoiceLine, Payment, PaymentAllocation,
          InvoiceAdjustment, Interaction, InteractionInvoice, PaymentTerms)


@pytest.fixture(autouse=True)
def on_today() -> Any:
    # Services refuse payments "in the future"; the book is built as of the travelled day.
    with time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=UTC), tick=False):
        yield


def seed(**options: Any) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS} | {
        "users": get_user_model().objects.count()}


def assert_book_consistent() -> None:
    """Recompute every stored amount from its sources with core.money, in Python."""
    assert verify_book() == []
    allocated: dict[int, Decimal] = defaultdict(Decimal)
    for alloc in PaymentAllocation.objects.select_related("payment", "invoice"):
        allocated[alloc.invoice_id] += alloc.amount
        assert alloc.payment.currency == alloc.invoice.currency
        assert alloc.payment.client_id == alloc.invoice.client_id
    for invoice in Invoice.objects.prefetch_related("lines", "adjustments"):
        cur, lines = invoice.currency, list(invoice.lines.all())
        assert 1 <= len(lines) <= 4
        for line in lines:
            assert line.net_amount == q(line.quantity * line.unit_price, cur)
            assert line.tax_amount == percent_of(line.net_amount, line.tax_rate, cur)
        assert invoice.subtotal == sum(ln.net_amount for ln in lines)
        assert invoice.tax_total == sum(ln.tax_amount for ln in lines)
        assert invoice.total == invoice.subtotal + invoice.tax_total
        assert invoice.amount_paid == allocated[invoice.pk]
        adjustments = list(invoice.adjustments.all())
        assert invoice.charges_total == sum(a.amount for a in adjustments
                                            if a.kind in CHARGE_KINDS)
        assert invoice.reductions_total == sum(a.amount for a in adjustments
                                               if a.kind not in CHARGE_KINDS)
        assert invoice.balance >= 0
        assert (invoice.status == InvoiceStatus.PAID) == (
            invoice.balance == 0 and invoice.status != InvoiceStatus.WRITTEN_OFF)
        if invoice.status == InvoiceStatus.PARTIALLY_PAID:
            assert invoice.amount_paid > 0 and invoice.balance > 0
        if invoice.status == InvoiceStatus.OPEN:
            assert invoice.amount_paid == 0 and invoice.balance > 0
    for payment in Payment.objects.all():
        assert payment.amount_allocated == sum(a.amount for a in payment.allocations.all())
        assert payment.unapplied == payment.amount - payment.amount_allocated >= 0
        assert payment.received_on <= TODAY


@pytest.mark.django_db
def test_default_book_is_realistic_and_consistent() -> None:
    output = seed()

    clients = Client.objects.filter(reference__startswith=DEMO_PREFIX)
    assert clients.count() == 40
    assert set(clients.values_list("language", flat=True)) == {"en", "de", "fr", "es"}
    assert set(clients.values_list("country", flat=True)) == {
        "GB", "US", "DE", "AT", "FR", "BE", "ES", "MX"}
    assert set(Invoice.objects.values_list("currency", flat=True)) == {"EUR", "USD", "GBP"}
    assert Invoice.objects.count() == 300
    assert {c.channel_preferences[0] for c in clients} == {"email", "sms", "letter", "phone"}
    pay_runs = [c.pay_run_days for c in clients]
    for pattern in ([15, "last-business"], ["last"], [1, 15], [], ["first-business"]):
        assert pattern in pay_runs
    assert clients.filter(tags__name="high-value").exists()
    assert clients.filter(tags__name="public-sector").exists()
    assert clients.filter(reminders_paused_until__gt=TODAY).exists()
    for client in clients:
        assert phonenumbers.is_valid_number(phonenumbers.parse(client.mobile_phone))
        assert client.email.rsplit("@", 1)[1].split(".", 1)[-1] in {
            "example.com", "example.org", "example.net"}
        assert client.contact_name and client.address_line1 and client.postcode

    # Every aging bucket holds money owed, as the aging report sees it.
    per_bucket: dict[str, int] = defaultdict(int)
    for row in selectors.aging_summary(today=TODAY):
        for cell in row["buckets"]:
            per_bucket[cell["bucket"].key] += cell["count"]
    assert all(per_bucket[b.key] > 0 for b in selectors.AGING_BUCKETS), per_bucket

    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert {InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.DISPUTED,
            InvoiceStatus.WRITTEN_OFF, InvoiceStatus.IN_COLLECTIONS} <= statuses
    credit = Payment.objects.filter(unapplied__gt=0).first()
    assert credit is not None
    assert selectors.credit_available(client=credit.client, currency=credit.currency) > 0
    kinds = set(Interaction.objects.values_list("kind", flat=True))
    assert {"invoice_issued", "payment", "note", "call", "promise_to_pay", "dispute",
            "status_change"} <= kinds
    assert InvoiceAdjustment.objects.filter(kind=AdjustmentKind.EARLY_DISCOUNT).exists()
    assert_book_consistent()

    user_model = get_user_model()
    admin, bookkeeper = user_model.objects.get(username="admin"), user_model.objects.get(
        username="bookkeeper")
    assert admin.is_superuser and admin.check_password("settle-demo")
    assert not bookkeeper.is_staff and not bookkeeper.is_superuser  # the Django admin is not theirs
    assert bookkeeper.check_password("settle-demo")
    assert set(clients.values_list("owner__username", flat=True)) == {"admin", "bookkeeper"}
    assert "Logins: bookkeeper / settle-demo (admin: admin / settle-demo)" in output
    # The URL is printed once, by `make run`, which knows the port it serves on.
    assert "http" not in output


@pytest.mark.django_db
def test_terms_are_created_once_by_name() -> None:
    seed(clients=5, invoices=20)
    terms = PaymentTerms.objects.get(name="Net 30 · 5% / 30 days · 1.5%/month after 60 days")
    assert (terms.discount_percent, terms.discount_days) == (5, 30)
    assert (terms.interest_percent, terms.interest_after_days) == (Decimal("1.5"), 30)
    assert PaymentTerms.objects.get(is_default=True).name == "Net 30"
    flat = PaymentTerms.objects.filter(late_fee_flat__gt=0)
    assert flat.exists() and all(t.late_fee_currency for t in flat)
    assert PaymentTerms.objects.filter(interest_period="year", grace_days__gt=0).exists()
    # Invoices under a flat fee are in the fee's currency, as invoice_create requires.
    for invoice in Invoice.objects.filter(terms__late_fee_flat__gt=0).select_related("terms"):
        assert invoice.currency == invoice.terms.late_fee_currency


@pytest.mark.django_db
def test_running_twice_changes_nothing() -> None:
    seed(clients=10, invoices=60)
    before = counts()

    output = seed(clients=10, invoices=60)

    assert "already present" in output
    assert counts() == before


@pytest.mark.django_db
def test_if_empty_does_nothing_when_any_client_exists() -> None:
    ClientFactory()
    before = counts()

    assert seed(if_empty=True) == ""
    assert counts() == before


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_install() -> None:
    seed(if_empty=True, clients=3, invoices=12)
    assert Client.objects.count() == 3


@pytest.mark.django_db
def test_existing_users_keep_their_password() -> None:
    get_user_model().objects.create_user("bookkeeper", password="mine")

    output = seed(clients=2, invoices=5)

    assert get_user_model().objects.get(username="bookkeeper").check_password("mine")
    assert "bookkeeper (existing user, password unchanged)" in output


@pytest.mark.django_db
def test_scaled_book_has_exactly_the_counts_asked_for() -> None:
    seed(clients=50, invoices=400, seed=7)

    assert Client.objects.count() == 50
    assert Invoice.objects.count() == 400
    assert Interaction.objects.filter(kind="invoice_issued").count() == 400
    assert_book_consistent()


@pytest.mark.django_db
def test_same_seed_and_day_give_the_same_book() -> None:
    def fingerprint() -> list[tuple[Any, ...]]:
        with transaction.atomic():
            seed(clients=8, invoices=50, seed=3)
            rows = list(Invoice.objects.order_by("number").values_list(
                "number", "client__reference", "total", "status", "amount_paid"))
            transaction.set_rollback(True)
        return rows

    assert fingerprint() == fingerprint()


@pytest.mark.django_db
def test_book_as_of_another_day() -> None:
    seed(clients=10, invoices=80, today="2025-01-15")

    assert max(Invoice.objects.values_list("issue_date", flat=True)) <= date(2025, 1, 15)
    assert max(Payment.objects.values_list("received_on", flat=True)) <= date(2025, 1, 15)
    assert Invoice.objects.filter(due_date__gte=date(2025, 1, 15)).exists()


def copy_through_services(demo: Invoice) -> Invoice:
    lines = [services.LineInput(ln.description, ln.unit_price, ln.quantity, ln.tax_rate)
             for ln in demo.lines.all()]
    copy = services.invoice_create(
        client=demo.client, number=f"COPY-{demo.number}", issue_date=demo.issue_date,
        due_date=demo.due_date, currency=demo.currency, terms=demo.terms, lines=lines)
    assert (copy.subtotal, copy.tax_total, copy.total) == (
        demo.subtotal, demo.tax_total, demo.total)
    return copy


def assert_same_amounts(copy: Invoice, demo: Invoice) -> None:
    copy.refresh_from_db()
    assert (copy.status, copy.amount_paid, copy.reductions_total, copy.balance) == (
        demo.status, demo.amount_paid, demo.reductions_total, demo.balance)


@pytest.mark.django_db
def test_invoices_and_their_payments_replay_identically_through_the_services() -> None:
    seed(clients=20, invoices=150)
    # Discounted ones first: the early-payment discount is the subtle part.
    demos = Invoice.objects.filter(status__in=[InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID]
                                   ).order_by("-reductions_total", "number")[:20]
    assert demos[0].reductions_total > 0
    for demo in demos:
        copy = copy_through_services(demo)
        for alloc in demo.allocations.select_related("payment").order_by("payment__received_on"):
            services.payment_record(client=demo.client, amount=alloc.amount,
                                    received_on=alloc.payment.received_on, invoices=[copy])
        assert_same_amounts(copy, demo)


@pytest.mark.django_db
def test_one_transfer_for_several_invoices_replays_identically() -> None:
    seed(clients=20, invoices=150)
    transfers = [p for p in Payment.objects.prefetch_related("allocations__invoice")
                 if p.allocations.count() > 1][:3]
    assert transfers
    for transfer in transfers:
        allocations = sorted(transfer.allocations.all(), key=lambda a: a.pk)
        demos = [a.invoice for a in allocations]
        copies = [copy_through_services(demo) for demo in demos]
        payment = services.payment_record(client=transfer.client, amount=transfer.amount,
                                          received_on=transfer.received_on, invoices=copies)
        assert payment.unapplied == transfer.unapplied
        for copy, demo in zip(copies, demos, strict=True):
            assert_same_amounts(copy, demo)


@pytest.mark.parametrize("currency", ["EUR", "USD", "GBP", "JPY", "BHD"])
@pytest.mark.parametrize("amount", ["0", "0.01", "12.5", "1234.56", "1234567.89"])
def test_money_text_is_format_money(currency: str, amount: str) -> None:
    value = q(Decimal(amount), currency)
    assert money_text(value, currency) == format_money(value, currency)


@pytest.mark.django_db
@pytest.mark.parametrize("options", [{"clients": 0}, {"invoices": -1}, {"today": "1.6.2026"}])
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(CommandError):
        seed(**options)
    assert not Client.objects.exists()
