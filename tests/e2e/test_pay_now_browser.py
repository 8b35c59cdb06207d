"""A client walks from a reminder's link through the pay-now page in a real browser with
JavaScript switched off: views what they owe, promises to pay one invoice, disputes another,
and pays by card through Stripe Checkout (Stripe's API intercepted with ``responses``; its
hosted payment page played by a Playwright route that posts the signed webhook). On a
320-pixel screen the page does not scroll sideways."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import responses
import time_machine
from django.apps import apps
from django.core import mail
from django.test import Client as DjangoClient
from django.utils import timezone

from answers.models import PortalSettings
from checkout.testing import signed_webhook, stripe_checkout_fake
from clients.models import Interaction, InteractionKind
from core import calendar as cal
from receivables import services as receivables
from receivables.models import InvoiceStatus, Payment
from reminders.defaults import install_defaults
from reminders.models import Reminder, ReminderStatus
from reminders.tick import reminders_tick
from tests.factories import ClientFactory, TermsFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")
STRIPE_PAGE = "https://checkout.stripe.com/c/pay/cs_test_browser"


def _one_page_pdf() -> bytes:
    """A real PDF: attachments are parsed whole (infra.uploads), a header alone is refused."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer, out = PdfWriter(), BytesIO()
    writer.add_blank_page(595, 842)
    writer.write(out)
    return out.getvalue()


PDF = _one_page_pdf()


def last_business_morning() -> datetime:
    """10:30 in Berlin on the latest German business day before today: when the reminder went
    out (the link it carries is then days old, as a client's usually is)."""
    day = timezone.now().astimezone(BERLIN).date() - timedelta(days=1)
    while not cal.is_business_day(day, "DE"):
        day -= timedelta(days=1)
    return datetime.combine(day, time(10, 30), tzinfo=BERLIN)


@pytest.fixture
def reminder_link(settings, live_server):
    """Two invoices 7 days overdue; the scheduler sends the reminder; its link."""
    settings.SITE_URL = live_server.url
    settings.STRIPE_SECRET_KEY = "sk_test_browser"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_browser"
    sent_at = last_business_morning()
    # A transactional test's database is flushed between tests, which also removes what the
    # data migrations seeded: put the default cadence and templates back.
    install_defaults(apps)
    with time_machine.travel(sent_at, tick=False):
        PortalSettings.objects.update_or_create(singleton=True, defaults={
            "account_holder": "Settle Demo Ltd", "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX"})
        owner = UserFactory(username="berta", email="berta@settle.example")
        customer = ClientFactory(display_name="Harbour Design Ltd", language="en",
                                 owner=owner, channel_preferences=["email"])
        terms = TermsFactory(name="Net 30 browser", net_days=30)
        issued = sent_at.date() - timedelta(days=37)
        first, second = (receivables.invoice_create(
            client=customer, number=number, issue_date=issued, terms=terms,
            lines=[receivables.LineInput("Design work", amount)])
            for number, amount in (("HD-101", "1200.00"), ("HD-102", "340.50")))
        reminders_tick(now=sent_at)
    [email] = mail.outbox
    path = re.search(r"https?://[^/\s]+(/p/[A-Za-z0-9_-]{22}/)", email.body).group(1)
    return {"path": path, "customer": customer, "first": first, "second": second}


def test_client_views_promises_disputes_and_pays_without_javascript(browser, live_server,
                                                                    socket_enabled,
                                                                    reminder_link):
    first, second = reminder_link["first"], reminder_link["second"]
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  java_script_enabled=False)
    page = context.new_page()

    # Viewing: the open invoices and how to pay them.
    page.goto(reminder_link["path"])
    assert page.locator("h1").inner_text() == "Your invoices with Settle Demo Ltd"
    table = page.locator("table.invoices").inner_text()
    assert "HD-101" in table and "HD-102" in table and "£" not in table
    assert "1.540,50\xa0€" in page.locator("tfoot").inner_text()  # English, in Germany
    assert "DE89 3704 0044 0532 0130 00" in page.inner_text("main")
    assert page.locator("figure.qr svg").count() == 1  # the EPC transfer QR code

    # Promising to pay the first invoice.
    page.click("text=Promise a payment date")
    page.uncheck(f"input[name=invoice][value='{second.pk}']")
    promised = (timezone.now().astimezone(BERLIN).date() + timedelta(days=5)).isoformat()
    page.fill("#promised_on", promised)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("?done=promise"), page.inner_text("main")
    assert "We have noted your promise" in page.inner_text("[role=status]")
    first.refresh_from_db()
    assert first.promised_until.isoformat() == promised

    # Disputing the second, with a document attached.
    page.click("text=Something wrong with an invoice?")
    page.select_option("#invoice", str(second.pk))
    page.check("input[name=reason][value=wrong_amount]")
    page.fill("#message", "The hours on this invoice are counted twice.")
    page.set_input_files("#attachment", files=[{"name": "timesheet.pdf",
                                                "mimeType": "application/pdf",
                                                "buffer": PDF}])
    page.click("button[type=submit]")
    assert "stopped the reminders for this invoice" in page.inner_text("[role=status]")
    second.refresh_from_db()
    assert second.status == InvoiceStatus.DISPUTED
    assert "Under review" in page.locator("tr", has_text="HD-102").inner_text()

    # Paying the first by card: our server asks Stripe for a session (intercepted), the
    # browser goes to Stripe's page (played by a route), Stripe calls the webhook.
    webhook = DjangoClient()

    def stripe_page(route):
        event = fake.event("checkout.session.completed")
        body, header = signed_webhook(event, secret="whsec_browser")
        assert webhook.post("/hooks/stripe/", body, content_type="application/json",
                            HTTP_STRIPE_SIGNATURE=header).status_code == 200
        success = fake.last_session()["success_url"]
        route.fulfill(status=200, content_type="text/html",
                      body=f'<html><body><h1>Stripe test page</h1>'
                           f'<a id="done" href="{success}">Return to merchant</a></body></html>')

    page.route(re.compile(r"^https://checkout\.stripe\.com/.*"), stripe_page)
    with responses.RequestsMock() as rsps:
        rsps.add_passthru(live_server.url)
        fake = stripe_checkout_fake(rsps, url=STRIPE_PAGE)
        page.click("text=Pay selected invoices by card")
        assert page.locator("h1").inner_text() == "Stripe test page"
    charged = fake.requests[0]["line_items"]
    assert [item["price_data"]["unit_amount"] for item in charged] == ["120000"]
    page.click("#done")
    assert "Thank you for your payment" in page.inner_text("[role=status]")
    assert "HD-101" not in page.locator("table.invoices").inner_text()

    payment = Payment.objects.get()
    assert (payment.source, payment.amount) == ("portal", first.total)
    first.refresh_from_db()
    assert first.status == InvoiceStatus.PAID
    assert not Reminder.objects.filter(invoice=first, status=ReminderStatus.SCHEDULED).exists()
    kinds = set(Interaction.objects.filter(client=reminder_link["customer"])
                .values_list("kind", flat=True))
    assert {InteractionKind.PORTAL_VISIT, InteractionKind.PROMISE_TO_PAY,
            InteractionKind.DISPUTE, InteractionKind.PAYMENT} <= kinds

    context.close()

    # Readable at 320 px: nothing wider than the screen (measured with a script, so in a
    # context that allows one).
    narrow = browser.new_context(base_url=live_server.url, viewport={"width": 320,
                                                                      "height": 640})
    page = narrow.new_page()
    page.goto(reminder_link["path"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    narrow.close()
