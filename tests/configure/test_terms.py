"""Payment terms: list, edit with clear refusals, and the statutory presets filling the form."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from receivables.models import PaymentTerms
from tests.factories import TermsFactory

pytestmark = pytest.mark.django_db


def _form(**overrides: str) -> dict[str, str]:
    data = {"name": "Net 14", "net_days": "14", "discount_percent": "0", "discount_days": "0",
            "late_fee_flat": "0", "late_fee_currency": "", "late_fee_percent": "0",
            "late_fee_after_days": "0", "interest_percent": "0", "interest_period": "month",
            "interest_after_days": "0", "grace_days": "0"}
    return {**data, **overrides}


def _presets(**overrides: str) -> dict[str, str]:
    data = {"uk-reference_rate": "4.00", "uk-typical_invoice": "5000",
            "eu-reference_rate": "2.15", "eu-typical_invoice": "5000"}
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
        **_form(discount_percent="2", discount_days="10"), **_presets()})
    terms = PaymentTerms.objects.get(name="Net 14")
    assert response["Location"] == reverse("configure:terms-edit", args=[terms.pk])
    assert (terms.net_days, terms.discount_percent, terms.discount_days) == (
        14, Decimal(2), 10)
    assert LogEntry.objects.get(object_id=str(terms.pk)).action_flag == ADDITION

    url = reverse("configure:terms-edit", args=[terms.pk])
    admin.post(url, {**_form(net_days="21", discount_percent="2", discount_days="10"),
                     **_presets()})
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
    response = admin.post(reverse("configure:terms-new"), {**_form(**overrides), **_presets()})
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert message is None or any(message in e for e in errors), errors
    assert not PaymentTerms.objects.filter(name="Net 14").exists()


def test_uk_preset_fills_the_form_without_saving(admin):
    terms = TermsFactory(name="UK trade", net_days=30)
    url = reverse("configure:terms-edit", args=[terms.pk])
    response = admin.post(url, {**_form(name="UK trade", net_days="30"),
                                **_presets(**{"uk-typical_invoice": "12000"}),
                                "apply_preset": "uk"})
    assert response.status_code == 200
    form = response.context["form"]
    assert Decimal(form["interest_percent"].value()) == Decimal("12.00")
    assert form["interest_period"].value() == "year"
    assert Decimal(form["late_fee_flat"].value()) == Decimal(100)  # £10,000 or more
    assert form["late_fee_currency"].value() == "GBP"
    assert form["net_days"].value() == "30" and form["name"].value() == "UK trade"
    page = response.content.decode()
    assert 'name="preset_used" value="uk"' in page
    assert "uses the band of the typical invoice" in page
    terms.refresh_from_db()
    assert terms.interest_percent == 0 and not LogEntry.objects.exists()

    # Saving what the preset filled in records it.
    saved = admin.post(url, {**_form(name="UK trade", net_days="30", interest_percent="12.00",
                                     interest_period="year", late_fee_flat="100",
                                     late_fee_currency="GBP"),
                             **_presets(), "preset_used": "uk"})
    assert saved.status_code == 302
    terms.refresh_from_db()
    assert (terms.interest_percent, terms.late_fee_flat, terms.late_fee_currency) == (
        Decimal(12), Decimal(100), "GBP")
    assert "Preset: UK statutory late payment at Bank of England base rate 4.00 %" in \
        LogEntry.objects.get().change_message


def test_presets_show_worked_examples_and_their_defaults(admin):
    response = admin.get(reverse("configure:terms-new"))
    page = response.content.decode()
    assert "£5,000.00 paid 30 days late at 12.00 % a year → interest £49.32 + fixed sum £70.00" \
        in page
    assert "€5,000.00 paid 30 days late at 10.15 % a year → interest €41.71 + fixed sum €40.00" \
        in page
    assert "£40.00 under £1,000.00, £70.00 under £10,000.00, £100.00 from £10,000.00" in page
    assert "4.00 % is Bank Rate from 7 August 2025" in page


def test_eu_preset_with_a_bad_rate_says_so(admin):
    response = admin.post(reverse("configure:terms-new"), {
        **_form(net_days="21"), **_presets(**{"eu-reference_rate": "lots"}),
        "apply_preset": "eu"})
    assert "Give the reference rate as a number" in response.content.decode()
    assert response.context["form"]["net_days"].value() == "21"  # what was typed stays
    assert not PaymentTerms.objects.filter(name="Net 14").exists()


def test_making_terms_the_default_takes_over_from_the_old_default(admin):
    old = TermsFactory(name="Old default", is_default=True)
    admin.post(reverse("configure:terms-new"), {**_form(is_default="on"), **_presets()})
    old.refresh_from_db()
    assert not old.is_default and PaymentTerms.objects.get(name="Net 14").is_default
