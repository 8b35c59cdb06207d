"""Issue 18 in a real browser (chromium, JavaScript on unless said): what the bookkeeper, the
admin and the client see. Every test here also fails on a console error or a refused
Content-Security-Policy (the ``page`` fixture, tests/e2e/conftest.py).

1. Previews: the template editor previews as the admin types (htmx), the e-mail's HTML in a
   sandboxed frame with its own inline styles applied, template errors in place, SMS segments,
   a letter as its PDF, a call step as its script; on the client page the Preview link swaps
   the next reminder in (e-mail, letter, call step). Without JavaScript the Preview buttons
   reload the page: tests/configure/test_templates.py, tests/desk/test_client_page.py and
   test_configure_browser.py cover that path.
2. "Send next step now" asks first and says what it will do (server side:
   tests/desk/test_client_page.py::test_send_now_asks_before_a_hand_over).
3. A promise recorded on a call task marks the task's invoices as promised.
4. A bookkeeper sees no link into the Django admin; /configure/ answers a 403 page in the
   site's layout.
5. Configure → Business & pay-now opens with the current values.
6. The HTML part of every seeded e-mail template carries the facts of its text part (amounts,
   invoice numbers, bank details, pay link): a rendering test, no browser needed.
7. The pay-now page of a client with 28 open invoices in three currencies: the actions near
   the top, less than three screens above the first invoice list at 375 px, usable at 320 px
   (server side: tests/portal/test_many_invoices.py).
10. A client's own "No SMS" is shown as their preference, with no button to override it.

The main pages are saved at 1366 and 375 px wide under var/screenshots/ (``<name>-<width>.png``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from django.utils import timezone
from playwright.sync_api import expect

from answers import links
from answers.models import BankAccount, PortalSettings
from clients.models import Interaction, InteractionKind
from clients.services import contact_flag
from reminders.defaults import install_defaults
from reminders.models import Cadence, CadenceStep, MessageTemplate, Reminder, ReminderStatus
from tests.factories import ClientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
SCREENS = ((1366, 900), (375, 667))
IBAN = "DE89370400440532013000"
IBAN_SHOWN = "DE89 3704 0044 0532 0130 00"


class _SerialServer(WSGIServer):
    """The live server answering one request at a time. The in-memory test database is one
    connection shared with the server's threads: two requests at once (a page and the frame a
    preview swapped in, the PDF asked for while the frame loads) would fail with "database
    table is locked". Chromium's parallel requests wait their turn instead."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # this thread's connections are already overridden


class _SerialServerThread(LiveServerThread):
    server_class = _SerialServer


@pytest.fixture(scope="module")
def live_server() -> Any:
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost", start=False)
    threaded = server.thread
    server.thread = _SerialServerThread(threaded.host, threaded.static_handler,
                                        connections_override=threaded.connections_override,
                                        port=threaded.port)
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


def shots(page: Any, name: str) -> None:
    """The whole page at 1366 and at 375 px wide: var/screenshots/<name>-<width>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for width, height in SCREENS:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(before)


def sign_in(page: Any, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Dashboard")


@pytest.fixture
def seeded(db: Any) -> None:
    """A transactional test's flush removed what the data migrations seeded: the default
    cadence and templates come back."""
    install_defaults(apps)


@pytest.fixture
def bank(seeded: Any) -> BankAccount:
    return BankAccount.objects.create(currency="EUR", scheme="iban", holder="Settle Demo Ltd",
                                      iban=IBAN.replace(" ", ""), bic="COBADEFFXXX")


@pytest.fixture
def admin_page(page: Any, seeded: Any) -> Any:
    UserFactory(username="ada", role="Admin", email="ada@settle.example")
    sign_in(page, "ada")
    return page


@pytest.fixture
def desk_page(page: Any, seeded: Any) -> Any:
    UserFactory(username="berta")
    sign_in(page, "berta")
    return page


def overdue_by(make_invoice: Any, customer: Any, days: int, amount: str = "250.00",
               **kwargs: Any) -> Any:
    """An invoice ``days`` past its due date today (Net 30)."""
    return make_invoice(customer, amount,
                        issue_date=timezone.localdate() - timedelta(days=30 + days), **kwargs)


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)


# --- 1. Previews: the template editor ---------------------------------------------------------

def test_the_template_editor_previews_the_email_as_the_admin_types(admin_page, make_invoice):
    page = admin_page
    customer = ClientFactory(display_name="Harbour Design Ltd", language="en")
    overdue_by(make_invoice, customer, 10)
    template = MessageTemplate.objects.get(key="overdue_7", channel="email", language="en")
    saved = (template.subject, template.text, template.html)
    page.goto(f"/configure/templates/{template.pk}/")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    frame = page.frame_locator("#preview iframe.html-preview")
    expect(frame.locator("body")).to_contain_text("250,00")
    shots(page, "template-editor")

    # The HTML part, typed: the frame shows it with its own inline styles applied (its
    # document's policy lists exactly them), without a reload and without saving.
    page.fill("textarea[name=html]", '<div style="color: rgb(0, 128, 0)"><p>Pineapple for '
                                     '{{ client_name }}: {{ amount_due }}</p></div>')
    pineapple = frame.locator("p", has_text="Pineapple")
    expect(pineapple).to_have_text(re.compile(r"Pineapple for Harbour Design Ltd: 250,00\s€"))
    assert frame.locator("div").evaluate("e => getComputedStyle(e).color") == "rgb(0, 128, 0)"
    assert "draft=" in page.locator("#preview iframe").get_attribute("src")
    # The text part and the subject follow as well.
    page.fill("input[name=subject]", "Quince {{ invoice_numbers }}")
    expect(page.locator("#preview .preview-subject")).to_contain_text("Quince INV-")
    page.fill("textarea[name=text]", "Dear {{ contact_name }}, a kiwi reminder.")
    expect(page.locator("#preview pre.rendered")).to_have_text(
        "Dear Erika Mustermann, a kiwi reminder.")
    expect(page.locator("#preview h2")).to_contain_text("unsaved changes")

    # A mistake is shown in place; fixing it brings the preview back.
    page.fill("textarea[name=text]", "Dear {{ no_such_name }},")
    expect(page.locator("#preview .preview-error")).to_contain_text("no_such_name")
    expect(page.locator("#preview pre.rendered")).to_have_count(0)
    page.fill("textarea[name=text]", "Dear {{ contact_name }}, fixed.")
    expect(page.locator("#preview pre.rendered")).to_have_text("Dear Erika Mustermann, fixed.")
    expect(page.locator("#preview .preview-error")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
    template.refresh_from_db()
    assert (template.subject, template.text, template.html) == saved  # previewed, not saved

    # The Preview button (the way without JavaScript) shows the same draft in a whole page.
    page.click("button[value=preview]")
    expect(page.locator("#preview pre.rendered")).to_have_text("Dear Erika Mustermann, fixed.")
    assert page.evaluate("window.sameDocument") is None
    expect(pineapple).to_contain_text("Pineapple for Harbour Design Ltd")
    assert frame.locator("div").evaluate("e => getComputedStyle(e).color") == "rgb(0, 128, 0)"


def test_sms_segments_follow_the_typing(admin_page, make_invoice):
    page = admin_page
    overdue_by(make_invoice, ClientFactory(language="en"), 3)
    template = MessageTemplate.objects.get(key="due_today", channel="sms", language="en")
    page.goto(f"/configure/templates/{template.pk}/")
    expect(page.locator("#preview .segments")).to_contain_text("1 segment ·")
    page.fill("textarea[name=text]", "{{ invoice_numbers }} " + "is still open. " * 14)
    expect(page.locator("#preview .segments")).to_contain_text("2 segments · GSM-7")
    page.fill("textarea[name=text]", "{{ invoice_numbers }} is open — thank you")
    expect(page.locator("#preview .segments")).to_contain_text("1 segment · GSM-7")


def test_a_letter_previews_as_its_pdf_and_a_call_step_as_its_script(admin_page, make_invoice):
    page = admin_page
    customer = ClientFactory(display_name="Nordwind Logistik GmbH", language="en")
    invoice = overdue_by(make_invoice, customer, 31)
    letter = MessageTemplate.objects.get(key="demand_30", channel="letter", language="en")
    page.goto(f"/configure/templates/{letter.pk}/")
    link = page.get_by_role("link", name="The letter as it would be printed (PDF)")
    saved = page.request.get(link.get_attribute("href"))
    assert saved.headers["content-type"] == "application/pdf"
    text = pdf_text(saved.body())
    assert "Nordwind Logistik GmbH" in text and invoice.number in text

    page.fill("textarea[name=html]", "<p>Final word before collections: quince.</p>")
    expect(page.locator("#preview iframe")).to_have_attribute("src", re.compile("draft="))
    expect(link).to_have_attribute("href", re.compile("draft="))
    drafted = pdf_text(page.request.get(link.get_attribute("href")).body())
    assert "quince" in drafted and invoice.number in drafted  # the draft, in the letter layout

    call = MessageTemplate.objects.get(key="collections_45", channel="call", language="en")
    page.goto(f"/configure/templates/{call.pk}/")
    expect(page.locator("#preview h3", has_text="Script")).to_be_visible()
    expect(page.locator("#preview pre.rendered")).to_contain_text(
        "Nordwind Logistik GmbH is 31 days overdue")
    page.fill("textarea[name=text]", "Call {{ contact_name }} about {{ invoice_numbers }}.")
    expect(page.locator("#preview pre.rendered")).to_have_text(
        f"Call Erika Mustermann about {invoice.number}.")


# --- 1. Previews: the client page -------------------------------------------------------------

def test_the_client_page_preview_works_with_javascript(desk_page, make_invoice, settings,
                                                       live_server):
    settings.SITE_URL = live_server.url  # where a letter's stylesheet is fetched from
    page = desk_page
    # Everything is written before the browser asks for anything: the in-memory database is
    # shared with the live server's thread.
    mailed = ClientFactory(display_name="Acme Rohr GmbH", language="en",
                           channel_preferences=["email"])
    invoice = overdue_by(make_invoice, mailed, 8, "2380.00")
    posted = ClientFactory(display_name="Briefkasten AG", channel_preferences=["letter"])
    letter = overdue_by(make_invoice, posted, 31)
    called = ClientFactory(display_name="Kranich & Söhne KG", language="en",
                           phone="+493012345678")
    late = overdue_by(make_invoice, called, 46)
    now = timezone.now()
    Reminder.objects.create(invoice=late, client=called, status=ReminderStatus.SENT,
                            step=CadenceStep.objects.get(template_key="demand_30"),
                            channel="letter", scheduled_for=now - timedelta(days=16),
                            sent_at=now - timedelta(days=16))

    page.goto(f"/desk/clients/{mailed.pk}/")
    page.evaluate("window.sameDocument = true")
    page.locator("table.invoices tr", has_text=invoice.number).get_by_role(
        "link", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.locator("h2")).to_contain_text(f"Next reminder for {invoice.number}")
    expect(preview.locator("pre.script")).to_contain_text(invoice.number)
    frame = preview.locator("iframe.rendered")
    assert "part=html" in frame.get_attribute("src")  # its own document, its own policy
    body = page.frame_locator("#preview iframe.rendered")
    expect(body.locator("body")).to_contain_text(invoice.number)
    # The e-mail's own inline style applies (a frame inheriting the page's policy would
    # refuse it, and the page fixture would fail on the refusal).
    assert body.locator("div").first.evaluate(
        "e => getComputedStyle(e).fontFamily") == "sans-serif"
    assert page.evaluate("window.sameDocument") is True

    # The summary at the top previews the same next step.
    page.goto(f"/desk/clients/{mailed.pk}/")
    page.locator(".client-summary").get_by_role("link", name="Preview it").click()
    expect(page.locator("#preview h2")).to_contain_text(invoice.number)

    # A letter step: its frame and the PDF that would be printed.
    page.goto(f"/desk/clients/{posted.pk}/")
    page.locator("table.invoices tr", has_text=letter.number).get_by_role(
        "link", name="Preview").click()
    pdf_link = page.get_by_role("link", name="The letter as it would be printed (PDF)")
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert letter.number in pdf_text(response.body())
    shown = page.frame_locator("#preview iframe.rendered")
    expect(shown.locator("body")).to_contain_text(letter.number)
    # The letter's own stylesheet applies in its frame (letters/letter.css sets the body's
    # font), swapped in and in the whole page (the way without JavaScript) alike.
    font = "e => getComputedStyle(e).fontFamily"
    assert "DejaVu Sans" in shown.locator(".body").first.evaluate(font)
    page.goto(f"/desk/clients/{posted.pk}/?preview={letter.pk}")
    assert page.locator("#preview iframe.rendered").get_attribute("srcdoc")
    assert "DejaVu Sans" in shown.locator(".body").first.evaluate(font)

    # A call step (the hand-over after the letter of demand): its script, no error.
    page.goto(f"/desk/clients/{called.pk}/")
    page.locator("table.invoices tr", has_text=late.number).get_by_role(
        "link", name="Preview").click()
    expect(page.locator("#preview h3")).to_have_text("Call script")
    expect(page.locator("#preview pre.script")).to_contain_text("Kranich & Söhne KG")
    expect(page.locator("#preview .error")).to_have_count(0)


# --- 2. Consequences first --------------------------------------------------------------------

def test_send_next_step_now_asks_first_and_says_what_it_does(desk_page, make_invoice):
    page = desk_page
    customer = ClientFactory(display_name="Acme Rohr GmbH", language="en",
                             channel_preferences=["email"])
    invoice = overdue_by(make_invoice, customer, 8)
    page.goto(f"/desk/clients/{customer.pk}/")
    page.locator("table.invoices tr", has_text=invoice.number).get_by_role(
        "button", name="Send next step now").click()
    expect(page.locator("h1")).to_contain_text(f"for {invoice.number} now?")
    said = page.locator("main ul").first.inner_text()
    assert "Sends" in said and "Acme Rohr GmbH" in said
    assert not Reminder.objects.filter(invoice=invoice).exists()  # nothing yet
    page.get_by_role("button", name="Yes, do it now").click()
    expect(page.locator(".messages")).to_contain_text(invoice.number)
    assert Reminder.objects.filter(invoice=invoice).exists()
    assert Interaction.objects.filter(client=customer, kind=InteractionKind.NOTE,
                                      summary__contains="sent now by").exists()


# --- 3. A promise on a call task --------------------------------------------------------------

def test_a_promise_on_a_call_task_marks_the_task_s_invoices(desk_page, make_invoice):
    from work.models import Task, TaskKind

    page = desk_page
    customer = ClientFactory(display_name="Kranich & Söhne KG", language="en",
                             phone="+493012345678")
    called_about = overdue_by(make_invoice, customer, 22)
    other = overdue_by(make_invoice, customer, 2, "80.00")
    task = Task.objects.create(kind=TaskKind.CALL, client=customer, due_at=timezone.now(),
                               title=f"Call {customer.display_name}")
    task.invoices.add(called_about)
    page.goto(f"/tasks/{task.pk}/")
    form = page.locator("form", has=page.get_by_role("button", name="Record call"))
    form.locator("select[name=outcome]").select_option("promise")
    promised = customer.local_today(timezone.now()) + timedelta(days=5)
    form.locator("input[name=promised_on]").fill(promised.isoformat())
    form.locator("input[name=promised_amount]").fill("250.00")
    form.get_by_role("button", name="Record call").click()
    expect(page.locator(".messages")).to_contain_text("Call recorded.")
    called_about.refresh_from_db()
    other.refresh_from_db()
    assert called_about.promised_until == promised and other.promised_until is None
    page.goto(f"/desk/clients/{customer.pk}/")
    expect(page.locator("table.invoices tr", has_text=called_about.number)).to_contain_text(
        "promised by")
    expect(page.locator(".client-summary")).to_contain_text(f"Promised to pay by "
                                                             f"{promised.day}")


# --- 4. Roles ---------------------------------------------------------------------------------

def test_a_bookkeeper_sees_no_admin_link_and_a_styled_403(desk_page):
    page = desk_page
    for url in ("/desk/", "/desk/worklist/", "/tasks/"):
        page.goto(url)
        assert page.locator("a[href^='/admin']").count() == 0, url
        assert page.locator("a[href^='/configure']").count() == 0, url
    response = page.goto("/configure/")
    assert response.status == 403
    [logged] = page.console_errors  # chromium logs the 403 of the page itself
    assert "status of 403" in logged and "/configure/" in logged
    page.console_errors.remove(logged)
    expect(page.locator("h1")).to_have_text("This page is not part of your role")
    expect(page.locator("header.topbar")).to_be_visible()  # the site's layout
    assert page.locator(".card").evaluate("e => getComputedStyle(e).borderRadius") == "8px"
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.locator("h1")).to_have_text("Dashboard")


# --- 5. Configure shows current values --------------------------------------------------------

def test_business_and_pay_now_opens_with_the_current_values(admin_page, bank):
    page = admin_page
    PortalSettings.objects.update_or_create(singleton=True, defaults={
        "link_valid_days": 21, "promise_max_days": 45})
    page.goto("/configure/business/")
    expect(page.locator("#id_link_valid_days")).to_have_value("21")
    expect(page.locator("#id_promise_max_days")).to_have_value("45")
    assert "This field is required" not in page.inner_text("main")
    assert page.locator(".errorlist").count() == 0
    page.goto(f"/configure/business/bank-accounts/{bank.pk}/")
    expect(page.locator("#id_iban")).to_have_value(bank.iban)
    expect(page.locator("#id_bic")).to_have_value("COBADEFFXXX")
    expect(page.locator("#id_holder")).to_have_value("Settle Demo Ltd")
    assert page.locator(".errorlist").count() == 0


# --- 6. The HTML part says what the text part says --------------------------------------------

def test_every_seeded_email_carries_the_facts_of_its_text_part_in_its_html(bank, make_invoice):
    from reminders.rendering import render
    from reminders.selectors import message_context

    url = "https://pay.example/p/Xk3v9QpL2mZt7RbW4nYc8A/"
    checked = 0
    for template in MessageTemplate.objects.filter(channel="email").exclude(html=""):
        customer = ClientFactory(language=template.language, payment_methods=["bank_transfer"])
        invoices = [overdue_by(make_invoice, customer, 9, "1234.50"),
                    overdue_by(make_invoice, customer, 4, "80.00")]
        context = message_context(client=customer, invoices=invoices,
                                  today=timezone.localdate(), pay_url=url,
                                  language=template.language)
        done = render(subject=template.subject, text=template.text, html=template.html,
                      context=context, channel="email")
        html = done.html.replace("\xa0", " ").replace("&nbsp;", " ")
        text = done.text.replace("\xa0", " ")
        facts = [url, IBAN_SHOWN, "COBADEFFXXX", *(i.number for i in invoices),
                 *(re.findall(r"\d[\d.,]*\d ?[€$£]|[€$£] ?\d[\d.,]*\d", text))]
        for fact in facts:
            if fact in text:
                assert fact in html, (str(template), fact)
        assert IBAN_SHOWN in text and url in text, str(template)
        checked += 1
    assert checked >= 20  # every key in every language


# --- 7. Pay-now for a client who owes a lot ---------------------------------------------------

def test_the_pay_now_page_of_a_big_debtor_on_a_phone(browser, live_server, socket_enabled,
                                                     bank, make_invoice):
    customer = ClientFactory(display_name="Grossabnehmer GmbH", language="en")
    for currency, count in (("EUR", 12), ("GBP", 10), ("USD", 6)):
        for n in range(count):
            overdue_by(make_invoice, customer, 3 + n, f"{100 + n}.00", currency=currency)
    path = f"/p/{links.link_issue(client=customer).token}/"
    refused: list[str] = []
    for width, height in ((375, 667), (320, 568)):
        context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                      viewport={"width": width, "height": height})
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        page.goto(path)
        top = page.evaluate("""() => {
            const at = (e) => e.getBoundingClientRect().top + window.scrollY;
            return {list: at(document.querySelector('table.invoices, details.invoice-list')),
                    promise: at(document.querySelector('a[href="promise/"]')),
                    dispute: at(document.querySelector('a[href="dispute/"]'))};
        }""")
        assert top["list"] < 3 * height, (width, top)
        assert top["promise"] < 2 * height and top["dispute"] < 2 * height, (width, top)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width == 375:
            shots(page, "pay-now")
        page.click('a[href="promise/"]')
        expect(page.locator("input[name=promised_on]")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        context.close()
    assert refused == []


def test_no_template_comment_shows_on_the_pay_now_page(client, bank, make_invoice):
    """A Django comment {# … #} must stay on one line: one spanning lines is printed as text
    (templates/portal/_transfer.html printed its own description under every currency)."""
    customer = ClientFactory(language="en")
    overdue_by(make_invoice, customer, 5)
    overdue_by(make_invoice, customer, 5, currency="GBP")
    html = client.get(f"/p/{links.link_issue(client=customer).token}/").content.decode()
    assert "{#" not in html and "#}" not in html


# --- 10. The client's own opt-out -------------------------------------------------------------

def test_a_client_s_no_sms_is_their_preference_and_cannot_be_overridden(desk_page,
                                                                        make_invoice):
    from work.models import Task, TaskKind

    page = desk_page
    customer = ClientFactory(display_name="Stillwasser GmbH", language="en",
                             mobile_phone="+4915123456789")
    overdue_by(make_invoice, customer, 5)
    flag = contact_flag(client=customer, channel="sms", reason="opted_out",
                        detail="STOP received")
    assert flag is not None
    page.goto(f"/desk/clients/{customer.pk}/")
    contact = page.locator("details#contact")
    expect(contact.locator("summary")).to_contain_text("the client said no to SMS")
    contact.locator("summary").click()
    expect(contact.locator(".preferences")).to_contain_text("No SMS")
    expect(contact.locator(".preferences")).to_contain_text("the client's own choice")
    mobile = contact.locator("li", has_text="+4915123456789").first
    expect(mobile).to_contain_text("Opted out of SMS")
    expect(mobile).to_contain_text("only they can undo it")
    assert page.locator(f"form[action='/flags/{flag.pk}/clear/']").count() == 0
    # Nor on a call task about this client.
    task = Task.objects.create(kind=TaskKind.CALL, client=customer, due_at=timezone.now(),
                               title="Call Stillwasser GmbH")
    page.goto(f"/tasks/{task.pk}/")
    expect(page.locator("main")).to_contain_text("the client's choice")
    assert page.locator(f"form[action='/flags/{flag.pk}/clear/']").count() == 0


# --- Screenshots ------------------------------------------------------------------------------

def test_the_main_pages_at_1366_and_375_px(admin_page, make_invoice, make_payment):
    page = admin_page
    customer = ClientFactory(display_name="Acme Rohr GmbH", language="en",
                             phone="+493012345678")
    for n in range(14):  # more than the client page shows before its fold
        overdue_by(make_invoice, customer, 2 * n - 6, f"{180 + 35 * n}.00")
    make_payment(customer, Decimal("180.00"), timezone.localdate())
    page.goto("/desk/")
    shots(page, "dashboard")
    page.goto("/desk/worklist/")
    shots(page, "worklist")
    page.goto(f"/desk/clients/{customer.pk}/")
    # The page leads with the summary and the actions; the long sections are folded.
    expect(page.locator(".client-summary")).to_contain_text("EUR owed")
    expect(page.locator("details.more-invoices")).not_to_have_attribute("open", "")
    assert page.locator("details#contact[open], details#history[open]").count() == 0
    shots(page, "client")
    cadence = Cadence.objects.get(is_default=True)
    page.goto(f"/configure/cadences/{cadence.pk}/")
    expect(page.locator("table.forecast")).to_contain_text("Acme Rohr GmbH")
    shots(page, "cadence")
