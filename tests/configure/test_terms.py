"""Payment terms: list, edit with clear refusals, and the statutory presets filling the form."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from core import terms as termsmath
from receivables.models import PaymentTerms, ReferenceRate
from tests.factories import ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db


def _form(**overrides: str) -> dict[str, str]:
    data = {"name": "Net 14", "net_days": "14", "discount_percent": "0", "discount_days": "0",
            "late_fee_flat": "0", "late_fee_currency": "", "late_fee_percent": "0",
            "late_fee_after_days": "0", "interest_percent": "0", "interest_period": "month",
            "interest_after_days": "0", "grace_days": "0"}
    return {**data, **overrides}


def test_list_shows_summaries_with_bounded_queries(admin, client_de, make_invoice,
                                                   django_assert_max_num_queries):
    for n in range(6):
        terms = TermsFactory(name=f"Net {n}", net_days=n, interest_percent=Decimal("1.5"))
        make_invoice(client_de, terms=terms)
    # 6, and 1 on a cold cache for the top bar's payment-feed banner (the last payment sync,
    # cached for a minute).
    with django_assert_max_num_queries(7):
        response = admin.get(reverse("configure:terms"))
    page = response.content.decode()
    assert "Net 5" in page and "1.5% interest per month" in page


def test_create_and_edit_terms(admin, admin_user):
    response = admin.post(reverse("configure:terms-new"), {
        **_form(discount_percent="2", discount_days="10")})
    terms = PaymentTerms.objects.get(name="Net 14")
    assert response["Location"] == reverse("configure:terms-edit", args=[terms.pk])
    assert (terms.net_days, terms.discount_percent, terms.discount_days) == (
        14, Decimal(2), 10)
    assert LogEntry.objects.get(object_id=str(terms.pk)).action_flag == ADDITION

    url = reverse("configure:terms-edit", args=[terms.pk])
    admin.post(url, {**_form(net_days="21", discount_percent="2", discount_days="10"),
                     })
    terms.refresh_from_db()
    assert terms.net_days == 21
    log = LogEntry.objects.get(object_id=str(terms.pk), action_flag=CHANGE)
    assert (log.user, log.change_message) == (admin_user, "Terms 'Net 14': Changed net days.")


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"discount_percent": "3"}, "discount_days", "needs a window of at least 1 day"),
    ({"late_fee_flat": "40"}, "late_fee_currency", "Give the currency of the flat late fee"),
    ({"late_fee_flat": "40.005", "late_fee_currency": "EUR"}, "late_fee_flat", None),
    ({"late_fee_flat": "500", "late_fee_currency": "JPY", "late_fee_percent": "101"},
     "late_fee_percent", "between 0 and 100"),
    ({"late_fee_flat": "40", "late_fee_currency": "XYZ"}, "late_fee_currency", "Unknown"),
])
def test_invalid_terms_are_refused(admin, overrides, field, message):
    response = admin.post(reverse("configure:terms-new"), {**_form(**overrides)})
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert message is None or any(message in e for e in errors), errors
    assert not PaymentTerms.objects.filter(name="Net 14").exists()


def test_uk_preset_makes_the_form_statutory_without_saving(admin):
    terms = TermsFactory(name="UK trade", net_days=30, late_fee_flat=Decimal(70),
                         late_fee_currency="GBP")
    url = reverse("configure:terms-edit", args=[terms.pk])
    response = admin.post(url, {**_form(name="UK trade", net_days="30", late_fee_flat="70",
                                        late_fee_currency="GBP"), "apply_preset": "uk"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form["statutory"].value() == "uk"
    assert Decimal(form["late_fee_flat"].value()) == 0 and form["late_fee_currency"].value() == ""
    assert Decimal(form["interest_percent"].value()) == 0
    assert form["net_days"].value() == "30" and form["name"].value() == "UK trade"
    page = response.content.decode()
    assert 'name="preset_used" value="uk"' in page
    assert "typical invoice" not in page.lower()
    terms.refresh_from_db()
    assert terms.statutory == "" and not LogEntry.objects.exists()

    # Saving makes the terms statutory, clears the flat fee, and records the preset.
    saved = admin.post(url, {**_form(name="UK trade", net_days="30", late_fee_flat="70",
                                     late_fee_currency="GBP", statutory="uk"),
                             "preset_used": "uk"})
    assert saved.status_code == 302
    terms.refresh_from_db()
    assert (terms.statutory, terms.late_fee_flat, terms.late_fee_currency,
            terms.interest_percent) == ("uk", 0, "", 0)
    assert "Preset: UK statutory late payment (Late Payment of Commercial Debts (Interest) " \
        "Act 1998)." in LogEntry.objects.get().change_message
    assert "Late Payment of Commercial Debts (Interest) Act 1998: fixed sum per invoice in " \
        "GBP" in terms.summary()


def test_statutory_terms_take_invoices_in_any_currency(admin, make_invoice):
    """Only invoices in GBP get the UK fixed sum; the terms still serve EUR invoices (interest
    only), unlike terms with a flat fee in GBP."""
    terms = TermsFactory(name="UK statutory", statutory="uk")
    client = ClientFactory(default_currency="EUR")
    invoice = make_invoice(client, "5000.00", terms=terms, currency="EUR")
    rule = terms.as_rule()
    late = invoice.due_date + timedelta(days=30)
    assert termsmath.late_fee_due(rule, principal=invoice.balance, currency="EUR",
                                  due_date=invoice.due_date, on=late) == 0
    assert termsmath.interest_accrued(rule, principal=invoice.balance, currency="EUR",
                                      due_date=invoice.due_date, on=late) > 0


@time_machine.travel(date(2026, 12, 2), tick=False)
def test_presets_show_the_rate_table_and_worked_examples(admin):
    response = admin.get(reverse("configure:terms-new"))
    page = response.content.decode()
    assert "£40.00 under £1,000.00, £70.00 under £10,000.00, £100.00 from £10,000.00" in page
    assert "<td>January to June 2023</td><td>3.50 %</td><td>11.50 %</td>" in page
    assert "<td>July to December 2024</td><td>4.25 %</td><td>12.25 %</td>" in page
    # No published rate for this half-year yet: the page says which one is used.
    assert "No rate known yet: invoices late in this half-year use 4.25 % of July to " \
        "December 2025 until you add the rate." in page
    assert "€5,000.00 that became late in July to December 2026, paid 30 days late at 10.15 % " \
        "a year → interest €41.71 + fixed sum €40.00" in page
    assert "£5,000.00 that became late in July to December 2026, paid 30 days late at 12.25 % " \
        "a year → interest £50.34 + fixed sum £70.00" in page


@time_machine.travel(date(2026, 12, 2), tick=False)
def test_an_admin_adds_a_reference_rate(admin, admin_user):
    terms = TermsFactory(name="UK statutory", statutory="uk")
    url = reverse("configure:terms-edit", args=[terms.pk])
    response = admin.post(url, {"save_rate": "1", "rate-statutory": "uk",
                                "rate-half_year_start": "2026-01-01", "rate-rate": "3.75",
                                "rate-note": "Bank Rate on 31 December 2025"})
    assert response.status_code == 302 and response["Location"] == url
    rate = ReferenceRate.objects.get()
    assert (rate.half_year_start, rate.rate) == (date(2026, 1, 1), Decimal("3.75"))
    assert termsmath.interest_rate(terms.as_rule(), date(2026, 2, 1))[0] == Decimal("11.75")
    log = LogEntry.objects.get(object_id=str(rate.pk))
    assert (log.user, log.action_flag) == (admin_user, ADDITION)
    assert "January to June 2026: 3.75 %" in log.change_message
    page = admin.get(url).content.decode()
    assert "<td>January to June 2026</td><td>3.75 %</td><td>11.75 %</td>" in page

    # Saving the half-year again replaces it.
    admin.post(url, {"save_rate": "1", "rate-statutory": "uk",
                     "rate-half_year_start": "2026-01-01", "rate-rate": "3.80"})
    assert ReferenceRate.objects.get().rate == Decimal("3.80")


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"rate-half_year_start": "2026-03-01", "rate-rate": "4"}, "half_year_start",
     "1 January or 1 July"),
    ({"rate-half_year_start": "2026-07-01", "rate-rate": "40"}, "rate", "between -5 and 25"),
    ({"rate-half_year_start": "2026-07-01", "rate-rate": "lots"}, "rate",
     "Give the reference rate as a number"),
])
def test_a_bad_reference_rate_is_refused(admin, data, field, message):
    response = admin.post(reverse("configure:terms-new"), {
        "save_rate": "1", "rate-statutory": "uk", **data})
    assert response.status_code == 200
    errors = response.context["rate_form"].errors[field]
    assert any(message in e for e in errors), errors
    assert not ReferenceRate.objects.exists()


def test_making_terms_the_default_takes_over_from_the_old_default(admin):
    old = TermsFactory(name="Old default", is_default=True)
    admin.post(reverse("configure:terms-new"), {**_form(is_default="on")})
    old.refresh_from_db()
    assert not old.is_default and PaymentTerms.objects.get(name="Net 14").is_default
