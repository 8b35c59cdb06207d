"""The sent-message and outbox pages in chromium (the rest of their tests:
tests/desk/test_outbox_pages.py): a stored e-mail's HTML in its sandboxed frame with its own
styles and no policy error, the outbox's review decision clicked through; screenshots under
var/screenshots/ at 1366 and 375 px."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse

from reminders.defaults import install_defaults
from reminders.models import MessageEvent, MessageStatus, Reminder, ReminderStatus
from tests.desk.test_outbox_pages import outbox_message, sent_for
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import step


def _shot(browser_page, name):
    from pathlib import Path

    from django.conf import settings

    shots = Path(settings.BASE_DIR) / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_html_part_shows_with_its_own_styles_and_no_policy_error(page):
    """Chromium: the frame renders the stored HTML with its own inline styles (a ``<style>``
    block and a ``style`` attribute); the ``page`` fixture fails on any CSP report. The pages
    are saved under var/screenshots/ at 1366 and 375 px."""
    from django.utils import timezone

    from receivables.services import LineInput, invoice_create
    from tests.factories import TermsFactory

    install_defaults(apps)  # an earlier transactional test's flush removed the seeded cadence
    UserFactory(username="berta")
    customer = ClientFactory(display_name="Acme GmbH", timezone="America/New_York")
    message = outbox_message(customer)
    MessageEvent.objects.create(message=message, provider="postmark", event_key="d",
                                event="delivered", occurred_at=timezone.now())
    invoice = invoice_create(client=customer, number="INV-0042", issue_date=timezone.localdate()
                             - timedelta(days=40), terms=TermsFactory(net_days=30),
                             lines=[LineInput("Consulting", "927.31")])
    sent_for(invoice, message)
    stuck = outbox_message(customer, status=MessageStatus.ACCEPTED, sent=False,
                     subject="Zahlungserinnerung INV-0042")
    Reminder.objects.create(invoice=invoice, client=customer, step=step(14), channel="email",
                            scheduled_for=timezone.now(), status=ReminderStatus.REVIEW,
                            message=stuck, claimed_at=timezone.now())
    Reminder.objects.create(invoice=invoice, client=customer, step=step(21), channel="email",
                            scheduled_for=timezone.now() + timedelta(days=7))
    page.goto("/login/")
    page.fill("#id_username", "berta")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    page.goto(reverse("reminders:sent-message", args=[message.pk]))
    paragraph = page.frame_locator("iframe.sent-html").locator("p")
    assert paragraph.inner_text() == "Bitte zahlen Sie & danke."
    assert paragraph.evaluate("p => getComputedStyle(p).color") == "rgb(180, 35, 24)"
    assert paragraph.evaluate("p => getComputedStyle(p).fontWeight") == "700"
    # The frame is a sandbox: its document cannot reach the page (an opaque origin).
    assert page.frame_locator("iframe.sent-html").locator("body").evaluate(
        "b => { try { return window.parent.document.title; } catch (e) { return 'blocked'; } }"
    ) == "blocked"
    for width in (1366, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in (("sent-message", reverse("reminders:sent-message", args=[message.pk])),
                          ("sent-messages", reverse("reminders:sent-messages")),
                          ("outbox", reverse("reminders:outbox"))):
            page.goto(url)
            _shot(page, f"{name}-{width}")
    page.click("text=It was not sent: cancel")
    page.click("text=Yes, cancel it")
    assert "Cancelled:" in page.locator(".messages").inner_text()
    assert Reminder.objects.get(message=stuck).status == ReminderStatus.CANCELLED
