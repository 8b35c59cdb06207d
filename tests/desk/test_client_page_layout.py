"""The client page leads with what matters (issue 18, items 1, 10, 11): what is owed per
currency, the state and the next step, then the actions; a long invoice list, the contact
points, the payment history and older timeline entries folded (<details>, no JavaScript). The
next step's preview swapped in by htmx loads its HTML from a document of its own; a letter
also as its PDF; an error shows in place of the message. The browser's side:
tests/e2e/test_issue18_browser.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from clients.services import contact_flag
from infra.csp import style_sources
from reminders.models import CadenceStep, MessageTemplate, Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def desk(client: Any, owner: Any) -> Any:
    client.force_login(owner)
    return client


@pytest.fixture
def customer(owner: Any) -> Any:
    return ClientFactory(owner=owner, language="en", channel_preferences=["email", "sms"],
                         phone="+493012345678")


def page(desk: Any, customer: Any, **params: Any) -> str:
    return desk.get(reverse("desk:client", args=[customer.pk]), params).content.decode()


def test_the_summary_and_the_actions_come_first(desk, customer, overdue):
    invoice = overdue(customer, 8)
    overdue(customer, 8, amount="40.00", currency="GBP")
    html = page(desk, customer)
    order = [html.index(marker) for marker in (
        'class="card client-summary"', "EUR owed", "GBP owed", "Next step",
        'id="pay-h"', 'id="talk-h"', 'id="hold-h"', 'id="invoices-h"', 'id="contact"',
        'id="history"', 'id="timeline-h"')]
    assert order == sorted(order)
    summary = html[html.index("client-summary"):html.index('id="pay-h"')]
    assert "Overdue" in summary and "2 open invoices, 2 overdue (the oldest by 8 days)" in summary
    assert "Polite follow-up" in summary and invoice.number in summary  # due now
    assert f'hx-get="?preview={invoice.pk}"' in summary  # the next step's preview, at the top


def test_the_state_says_collections_disputes_and_promises(desk, customer, overdue):
    from receivables.services import invoice_transition

    disputed = overdue(customer, 8)
    invoice_transition(invoice=disputed, to="disputed", actor=None, reason="wrong hours")
    summary = page(desk, customer).split('id="pay-h"')[0]
    assert "Disputed" in summary and f"Disputed: {disputed.number}" in summary


def test_long_sections_are_folded(desk, customer, overdue, make_payment):
    invoices = [overdue(customer, 20 - n, amount=f"{100 + n}.00") for n in range(14)]
    html = page(desk, customer)
    shown = html[html.index('id="invoices-h"'):html.index('class="fold more-invoices"')]
    folded = html[html.index('class="fold more-invoices"'):html.index('id="preview-slot"')]
    assert all(i.number in shown for i in invoices[:8])
    assert not any(f">{i.number}</a>" in shown for i in invoices[8:])
    assert all(f">{i.number}</a>" in folded for i in invoices[8:])
    assert "6 more open invoices, due later" in folded
    for section in ("contact", "history"):
        assert re.search(rf'<details class="card fold section" id="{section}">', html)
    # The payment form lists a few invoices to apply to, the rest folded.
    form = html[html.index('id="pay-h"'):html.index('id="talk-h"')]
    assert form.count('name="invoice"') == 14 and "10 more invoices" in form


def test_a_short_list_is_not_folded(desk, customer, overdue):
    for n in range(9):
        overdue(customer, 3 + n)
    html = page(desk, customer)
    assert "more-invoices" not in html and html.count('<td class="number"') == 9


def test_older_timeline_entries_are_folded(desk, customer, overdue):
    from clients.services import interaction_record

    for n in range(5):
        interaction_record(client=customer, kind="note", summary=f"Note number {n}",
                           occurred_at=NOW - timedelta(hours=n))
    html = page(desk, customer)
    recent = html[html.index('id="timeline-h"'):html.index('class="fold older"')]
    assert "Note number 0" in recent and "Note number 2" in recent
    assert "Note number 3" not in recent and "older entries" in html


def test_htmx_gets_the_preview_section_alone_with_a_frame_of_its_own(desk, customer,
                                                                     overdue):
    invoice = overdue(customer, 8)
    response = desk.get(reverse("desk:client", args=[customer.pk]),
                        {"preview": invoice.pk}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith("<section") and "<html" not in html
    assert f"Next reminder for {invoice.number}" in html and "srcdoc" not in html
    src = re.search(r'<iframe class="rendered" sandbox title="Rendered message" '
                    r'src="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert src.endswith(f"?preview={invoice.pk}&part=html")
    frame = desk.get(src)
    document = frame.content.decode()
    assert frame.status_code == 200 and invoice.number in document
    policy = frame["Content-Security-Policy"]
    assert all(source in policy for source in style_sources([document]))
    assert re.search(r"(^|; )sandbox(;|$)", policy) and "unsafe-inline" not in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert desk.get(src.replace("part=html", "part=pdf")).status_code == 404  # not a letter


def test_a_letter_previews_as_its_pdf_and_its_frame_has_no_base(desk, owner, overdue):
    from pypdf import PdfReader

    posted = ClientFactory(owner=owner, channel_preferences=["letter"])
    invoice = overdue(posted, 31)
    html = page(desk, posted, preview=invoice.pk)
    assert "The letter as it would be printed (PDF)" in html
    frame = html[html.index('title="Rendered message" srcdoc="'):]
    frame = frame[:frame.index("></iframe>")]
    assert "&lt;base" not in frame  # base-uri 'none': its paths resolve against the page
    assert "letters/letter.css" in frame
    pdf = desk.get(reverse("desk:client", args=[posted.pk]),
                   {"preview": invoice.pk, "part": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    from io import BytesIO
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert invoice.number in text


def test_a_call_step_previews_as_its_script(desk, customer, overdue):
    invoice = overdue(customer, 46)
    Reminder.objects.create(invoice=invoice, client=customer, status=ReminderStatus.SENT,
                            step=CadenceStep.objects.get(template_key="demand_30"),
                            channel="letter", scheduled_for=NOW - timedelta(days=16),
                            sent_at=NOW - timedelta(days=16))
    html = desk.get(reverse("desk:client", args=[customer.pk]), {"preview": invoice.pk},
                    **HTMX).content.decode()
    assert "<h3>Call script</h3>" in html and customer.display_name in html
    assert "<iframe" not in html


def test_a_preview_that_cannot_render_says_why_in_its_place(desk, customer, overdue):
    invoice = overdue(customer, 8)
    MessageTemplate.objects.filter(key="overdue_7", channel="email").update(
        text="{% if %}")
    html = desk.get(reverse("desk:client", args=[customer.pk]), {"preview": invoice.pk},
                    **HTMX).content.decode()
    assert 'id="preview"' in html and 'class="error" role="alert"' in html
    assert "cannot be rendered" in html


def test_the_client_s_own_no_is_a_preference_without_an_override(desk, customer, overdue):
    overdue(customer, 3)
    flag = contact_flag(client=customer, channel="sms", reason="opted_out")
    bounced = contact_flag(client=customer, channel="email", reason="bounced")
    html = page(desk, customer)
    contact = html[html.index('id="contact"'):html.index('id="history"')]
    assert "the client said no to SMS" in contact
    assert "No SMS" in contact and "the client's own choice" in contact
    assert reverse("reminders:flag-clear", args=[flag.pk]) not in html
    assert reverse("reminders:flag-clear", args=[bounced.pk]) in html  # a broken address

