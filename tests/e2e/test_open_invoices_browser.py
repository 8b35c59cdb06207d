"""A bookkeeper logs in with a real browser and sees who owes what."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import ClientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_then_open_invoices(page, make_invoice, make_payment):
    UserFactory(username="berta")
    today = timezone.localdate()
    acme = ClientFactory(display_name="Acme Rohr GmbH")
    overdue = make_invoice(acme, "2380.00", issue_date=today - timedelta(days=50),
                           reference="Pipe refit, hall 3")
    make_payment(acme, "380.00", today - timedelta(days=2), invoices=[overdue])

    page.goto("/")
    assert "/login/" in page.url
    page.fill("#id_username", "berta")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_text("didn't match").is_visible()
    page.fill("#id_username", "berta")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Dashboard"  # home after login
    assert "Today's work" in page.inner_text("main")

    page.goto("/invoices/")
    row = page.locator("table.invoices tbody tr", has_text=overdue.number)
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "Acme Rohr GmbH"
    assert cells[2] == "Pipe refit, hall 3"
    assert cells[4:7] == ["€2,380.00", "€2,000.00", "20"]
    assert "Partially paid" in cells[7]

    page.select_option("select[name=bucket]", "31-60")
    page.click("form.filters button")
    assert page.locator("table.invoices tbody tr", has_text=overdue.number).count() == 0

    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.goto("/invoices/")
    page.screenshot(path=str(shots / "open-invoices.png"), full_page=True)
