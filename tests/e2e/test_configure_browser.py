"""An admin in a real browser: edits a message template and sees the preview change before
saving; adds a cadence step and sees the forecast under the timeline change. Screenshots of
the pages go to var/screenshots/."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from core import calendar as cal
from reminders.defaults import install_defaults
from reminders.models import Cadence, MessageTemplate
from tests.e2e.test_desk_browser import shot
from tests.factories import ClientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_page(page):
    install_defaults(apps)  # a transactional test's flush removed the seeded cadence
    UserFactory(username="ada", role="Admin", email="ada@settle.example")
    page.goto("/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    return page


def test_editing_a_template_changes_the_preview(admin_page, make_invoice):
    page = admin_page
    customer = ClientFactory(display_name="Harbour Design Ltd", language="en")
    make_invoice(customer, "250.00", issue_date=timezone.localdate() - timedelta(days=40))
    template = MessageTemplate.objects.get(key="overdue_7", channel="email", language="en")
    page.goto(f"/configure/templates/{template.pk}/")
    assert "Harbour Design Ltd" in page.inner_text("#preview")
    text = page.locator("textarea[name=text]")
    text.fill("Dear {{ contact_name }}, {{ amount_due }} is a week late. A quiet word: "
              "pineapple.\n{{ pay_url }}")
    page.click("button[value=preview]")
    preview = page.inner_text("#preview")
    assert "pineapple" in preview and "250,00" in preview
    template.refresh_from_db()
    assert "pineapple" not in template.text  # previewed, not saved
    shot(page, "configure-template")


def test_adding_a_step_changes_the_forecast(admin_page, make_invoice):
    page = admin_page
    customer = ClientFactory(display_name="Forecast GmbH", channel_preferences=["email"])
    # Due on a day whose -12 and nudge day (-3) are business days too, so the step added at
    # -12 goes out on a day of its own, a week and more before the nudge (the contact policy
    # holds messages closer than that).
    due = timezone.localdate() + timedelta(days=16)
    while not all(cal.is_business_day(due - timedelta(days=d), customer.country)
                  for d in (0, 3, 12)):
        due += timedelta(days=1)
    make_invoice(customer, "99.00", issue_date=due - timedelta(days=30))
    cadence = Cadence.objects.get(is_default=True)
    page.goto(f"/configure/cadences/{cadence.pk}/")
    before = page.inner_text("table.forecast")
    assert "Early check-in" not in before
    form = page.locator("form[action*='/steps/add/']")
    form.locator("input[name=name]").fill("Early check-in")
    form.locator("input[name=offset_days]").fill("-12")
    form.locator("select[name=template_key]").select_option("overdue_7")
    form.locator("input[name=actions][value=send_message]").check()
    form.locator("button[type=submit]").click()
    assert "Early check-in" in page.inner_text("table.forecast")
    assert cadence.steps.filter(name="Early check-in", offset_days=-12).exists()
    shot(page, "configure-cadence")
