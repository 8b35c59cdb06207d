"""Business settings: environment facts, the holidays ahead per client country, and the
pay-now settings form (validated by the model, audited)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from answers.models import PortalSettings
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _settings_form(**overrides: str) -> dict[str, str]:
    data = {"link_valid_days": "60", "promise_max_days": "45", "callback_days": "10",
            "dispute_attachment_mb": "5", "plan_max_instalments": "6", "plan_max_months": "6",
            "plan_first_within_days": "30", "plan_min_instalment": '{"EUR": "50"}',
            "account_holder": "", "bank_name": "", "iban": "", "bic": "",
            "account_number": "", "routing_number": "", "cheque_payee": ""}
    return {**data, **overrides}


def test_shows_sender_hours_and_holidays_of_client_countries(admin, at_now, settings):
    settings.SETTLE_BUSINESS_NAME = "Müller & Partner GmbH"
    settings.SETTLE_BUSINESS_HOURS = ("08:30", "16:00")
    ClientFactory(country="DE")
    ClientFactory(country="GB", timezone="Europe/London", language="en")
    ClientFactory(country="FR", is_active=False)  # not an active client's country
    response = admin.get(reverse("configure:business"))
    page = response.content.decode()
    assert "Müller &amp; Partner GmbH" in page and "08:30–16:00" in page
    countries = {c["country"]: c for c in response.context["countries"]}
    assert set(countries) == {"DE", "GB"}
    # 17 March 2026 + 60 days: Easter (3 and 6 April), 1 May (DE), 4 May (GB early May).
    de = dict((d.isoformat(), n) for d, n in countries["DE"]["days"])
    gb = dict((d.isoformat(), n) for d, n in countries["GB"]["days"])
    assert {"2026-04-03", "2026-04-06", "2026-05-01"} <= set(de)
    assert "2026-05-04" in gb and "2026-05-01" not in gb
    assert "Good Friday" in page and "Germany" in page and "United Kingdom" in page


def test_save_pay_now_settings(admin, admin_user):
    response = admin.post(reverse("configure:business"), _settings_form(link_valid_days="30"))
    assert response.status_code == 302
    row = PortalSettings.load()
    assert row.link_valid_days == 30  # bank accounts: tests/answers/test_bank_accounts.py
    log = LogEntry.objects.get()
    assert log.user == admin_user and "link valid days" in log.change_message


def test_the_business_profile_changes_what_clients_see_and_when(client, overdue):
    from datetime import datetime

    from django.core import mail

    from clients.business import business
    from tests.reminders.support import BERLIN, tick

    admin = UserFactory(role="Admin", username="ada-profile")
    client.force_login(admin)
    response = client.post(reverse("configure:business"), {
        "form": "profile", "name": "Harbour Accounts Ltd", "address": "1 Quay\nBristol",
        "support_phone": "+44 117 000 0000", "from_email": "Harbour <ar@harbour.example>",
        "business_start": "10:00", "business_end": "16:00", "payment_sync_max_hours": "30"})
    assert response.status_code == 302
    assert business().name == "Harbour Accounts Ltd"
    customer = ClientFactory(channel_preferences=["email"])
    overdue(customer, 8)
    assert tick(datetime(2026, 3, 17, 9, 30, tzinfo=BERLIN)).sent == 0  # before 10:00 now
    assert tick(datetime(2026, 3, 17, 10, 5, tzinfo=BERLIN)).sent == 1
    [email] = mail.outbox
    assert email.from_email == "Harbour <ar@harbour.example>"
    assert "Harbour Accounts Ltd" in email.body
    bad = client.post(reverse("configure:business"), {
        "form": "profile", "business_start": "07:00", "business_end": "16:00",
        "payment_sync_max_hours": "30"}, follow=True)
    assert "between 08:00 and 21:00" in bad.content.decode()
    assert business().start.isoformat() == "10:00:00"


def test_the_page_opens_with_the_current_pay_now_values_and_no_errors(admin):
    row = PortalSettings.load()
    row.link_valid_days = 21
    row.save()
    response = admin.get(reverse("configure:business"))
    form = response.context["form"]
    assert not form.is_bound and not form.errors
    page = response.content.decode()
    assert "This field is required." not in page
    assert 'value="21"' in page
