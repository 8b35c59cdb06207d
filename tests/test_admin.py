"""The admin is usable for every model, and its writes go through the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from clients.models import Interaction, InteractionKind
from receivables.models import Invoice, InvoiceStatus, Payment
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("clients", "receivables", "reminders")


def test_every_domain_model_is_registered():
    missing = [m.__name__ for app in DOMAIN_APPS for m in apps.get_app_config(app).get_models()
               if m not in admin.site._registry and m.__name__ not in {
                   "InteractionInvoice", "InvoiceLine", "PaymentAllocation", "SchedulerState",
                   "DispatchLease", "BookSnapshot", "SnapshotCurrency", "SnapshotCash",
                   "CadenceStep"}]
    assert missing == []


@pytest.mark.parametrize("model", [m for app in DOMAIN_APPS
                                   for m in apps.get_app_config(app).get_models()
                                   if m in admin.site._registry])
def test_changelist_search_and_filters_load(admin_client, model, client_de, make_invoice,
                                            make_payment):
    invoice = make_invoice(client_de)
    make_payment(client_de, "10.00", date(2026, 2, 1), invoices=[invoice])
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "INV"}).status_code == 200
    for obj in model.objects.all()[:2]:
        change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        assert admin_client.get(change).status_code == 200


def _invoice_form(client, **overrides):
    data = {
        "number": "ADM-1", "client": client.pk, "issue_date": "2026-03-01", "due_date": "",
        "currency": "EUR", "terms": "", "reference": "Admin test", "notes": "",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-description": "Design", "lines-0-quantity": "2", "lines-0-unit_price": "150.00",
        "lines-0-tax_rate": "19",
        "lines-1-description": "Hosting", "lines-1-quantity": "1", "lines-1-unit_price": "9.99",
        "lines-1-tax_rate": "0",
        "adjustments-TOTAL_FORMS": "0", "adjustments-INITIAL_FORMS": "0",
        "adjustments-MIN_NUM_FORMS": "0", "adjustments-MAX_NUM_FORMS": "0",
        "allocations-TOTAL_FORMS": "0", "allocations-INITIAL_FORMS": "0",
        "allocations-MIN_NUM_FORMS": "0", "allocations-MAX_NUM_FORMS": "0",
    }
    return {**data, **overrides}


def test_admin_invoice_with_lines_gets_service_totals_then_issue(admin_client, net30):
    client = ClientFactory(default_terms=net30)
    data = _invoice_form(client, currency="")
    response = admin_client.post(reverse("admin:receivables_invoice_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    invoice = Invoice.objects.get(number="ADM-1")
    assert invoice.status == InvoiceStatus.DRAFT
    assert (invoice.terms, invoice.due_date, invoice.currency) == (net30, date(2026, 3, 31),
                                                                   "EUR")
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("309.99"), Decimal("57.00"), Decimal("366.99"))

    admin_client.post(reverse("admin:receivables_invoice_changelist"),
                      {"action": "issue", "_selected_action": [invoice.pk]})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert Interaction.objects.filter(kind=InteractionKind.INVOICE_ISSUED).count() == 1


def test_admin_payment_goes_through_the_service(admin_client, client_de, make_invoice):
    invoice = make_invoice(client_de, "100.00")
    response = admin_client.post(reverse("admin:receivables_payment_add"), {
        "client": client_de.pk, "amount": "120.00", "currency": "EUR",
        "received_on": "2026-02-01", "method": "bank_transfer", "reference": "TX-1",
        "source": "manual", "notes": "", "invoices": [invoice.pk],
        "allocations-TOTAL_FORMS": "0", "allocations-INITIAL_FORMS": "0",
        "allocations-MIN_NUM_FORMS": "0", "allocations-MAX_NUM_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:3000]
    payment = Payment.objects.get(reference="TX-1")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert payment.unapplied == Decimal("20.00")
    assert client_de.interactions.filter(kind=InteractionKind.PAYMENT).exists()


def test_admin_payment_errors_shown_on_the_form(admin_client, client_de, make_invoice):
    make_invoice(client_de, "100.00")
    response = admin_client.post(reverse("admin:receivables_payment_add"), {
        "client": client_de.pk, "amount": "10.001", "currency": "EUR",
        "received_on": "2026-02-01", "method": "bank_transfer", "source": "manual",
        "allocations-TOTAL_FORMS": "0", "allocations-INITIAL_FORMS": "0",
        "allocations-MIN_NUM_FORMS": "0", "allocations-MAX_NUM_FORMS": "0"})
    assert response.status_code == 200
    assert "more decimals than EUR allows" in response.content.decode()
    assert not Payment.objects.exists()


def test_admin_client_pay_run_typed_as_text(admin_client):
    client = ClientFactory()
    url = reverse("admin:clients_client_change", args=[client.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"pay_run_text": "1st, 15, last business day", "tags": [],
                 "channel_preferences": '["sms", "email"]', "payment_methods": '["card"]',
                 "interactions-TOTAL_FORMS": "0", "interactions-INITIAL_FORMS": "0",
                 "interactions-MIN_NUM_FORMS": "0", "interactions-MAX_NUM_FORMS": "0"})
    data = {k: v for k, v in data.items() if v is not None}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    client.refresh_from_db()
    assert client.pay_run_days == [1, 15, "last-business"]
    assert client.channel_preferences == ["sms", "email"]

    data["pay_run_text"] = "every full moon"
    response = admin_client.post(url, data)
    assert "is not a pay-run day" in response.content.decode()
