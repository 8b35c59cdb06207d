"""A bookkeeper in a real browser: the dashboard, a client's page, recording a partial payment
and seeing the balance and the timeline change, pausing then resuming the client. Each main
page is saved as a screenshot under var/screenshots/ for review."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import ClientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page):
    UserFactory(username="berta")
    page.goto("/login/")
    page.fill("#id_username", "berta")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")


def test_partial_payment_updates_balance_and_timeline_then_pause_and_resume(page,
                                                                            make_invoice):
    today = timezone.localdate()
    acme = ClientFactory(display_name="Acme Rohr GmbH", phone="+493012345678")
    invoice = make_invoice(acme, "2380.00", issue_date=today - timedelta(days=50))
    login(page)
    assert page.locator("h1").inner_text() == "Dashboard"
    shot(page, "dashboard")

    page.goto("/desk/worklist/")
    assert invoice.number in page.inner_text("main")
    shot(page, "worklist")
    page.goto("/analytics/")
    shot(page, "analytics")
    page.goto("/tasks/")
    shot(page, "tasks")

    page.goto(f"/desk/clients/{acme.pk}/")
    row = page.locator("table.invoices tbody tr", has_text=invoice.number)
    assert "2.380,00" in row.inner_text()
    shot(page, "client")

    page.fill("input[name=amount]", "380.00")
    page.fill("input[name=reference]", "BANK-77")
    page.check(f"input[name=invoice][value='{invoice.pk}']")
    page.click("text=Record payment")
    assert "Payment recorded." in page.inner_text(".messages")
    row = page.locator("table.invoices tbody tr", has_text=invoice.number)
    assert "2.000,00" in row.inner_text() and "Partially paid" in row.inner_text()
    timeline = page.locator("ol.timeline-full li").first.inner_text()
    assert "Payment of €380.00 received" in timeline and "partially paid" in timeline

    until = (today + timedelta(days=10)).isoformat()
    pause = page.locator(f"form[action='/desk/clients/{acme.pk}/pause/']")
    pause.locator("input[name=until]").fill(until)
    pause.locator("input[name=reason]").fill("Owner on holiday")
    pause.locator("button").click()
    assert "Reminders paused" in page.inner_text("main")
    assert "Owner on holiday" in page.locator("ol.timeline-full li").first.inner_text()
    page.click("text=Resume all reminders")
    assert "Reminders resumed." in page.inner_text(".messages")
    acme.refresh_from_db()
    assert acme.reminders_paused_until is None


def test_main_pages_fit_a_tablet(page, make_invoice):
    today = timezone.localdate()
    acme = ClientFactory(display_name="Acme Rohr GmbH", phone="+493012345678")
    make_invoice(acme, "2380.00", issue_date=today - timedelta(days=50),
                 reference="A rather long project reference for the hall 3 refit")
    login(page)
    page.set_viewport_size({"width": 820, "height": 1100})
    for name, url in (("dashboard", "/desk/"), ("worklist", "/desk/worklist/"),
                      ("client", f"/desk/clients/{acme.pk}/"), ("analytics", "/analytics/")):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 820, name
        shot(page, f"tablet-{name}")
