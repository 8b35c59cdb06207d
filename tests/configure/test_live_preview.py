"""The template editor's live preview (issue 18, item 1): htmx posts the form as typed and
swaps the preview section in; the e-mail's HTML then loads in its sandboxed frame from a URL
of its own, answered with a policy that lists exactly the styles of that document (a srcdoc
frame would keep the page's first policy and refuse them); template errors in place; a
letter as the PDF that would be printed. The browser's side: tests/e2e/test_issue18_browser.py."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from infra.csp import style_sources
from reminders.models import MessageTemplate
from tests.factories import ClientFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]
HTMX = {"HTTP_HX_REQUEST": "true"}
STYLED = '<div style="color: #336699"><style>p { margin: 0 }</style><p>{{ amount_due }}</p></div>'


@pytest.fixture
def email() -> MessageTemplate:
    return MessageTemplate.objects.get(key="overdue_7", channel="email", language="en")


@pytest.fixture
def customer(overdue: Any) -> Any:
    client = ClientFactory(display_name="Acme Corp", language="en", country="US",
                           timezone="America/New_York", default_currency="USD")
    client.invoice = overdue(client, 8, amount="1234.50", number="INV-ACME-1")
    return client


def _url(template: MessageTemplate, customer: Any) -> str:
    return (reverse("configure:template", args=[template.pk])
            + f"?client={customer.pk}&invoice={customer.invoice.pk}")


def _form(template: MessageTemplate, **overrides: str) -> dict[str, str]:
    data = {"subject": template.subject, "text": template.text, "html": template.html,
            "action": "preview"}
    return {**data, **overrides}


def _frame_src(html: str) -> str:
    found = re.search(r'<iframe class="html-preview" sandbox src="([^"]+)"', html)
    assert found, "no frame with a src"
    return found.group(1).replace("&amp;", "&")


def test_typing_swaps_in_a_frame_loading_the_draft(admin, email, customer):
    response = admin.post(_url(email, customer), _form(email, html=STYLED), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="preview"' in page and "srcdoc" not in page
    src = _frame_src(page)
    assert src.startswith(reverse("configure:template-frame", args=[email.pk, "html"]))
    assert "draft=" in src and f"client={customer.pk}" in src
    frame = admin.get(src)
    assert frame.status_code == 200
    assert frame.content.decode() == '<div style="color: #336699"><style>p { margin: 0 }' \
                                      '</style><p>$1,234.50</p></div>'
    policy = frame["Content-Security-Policy"]
    assert all(source in policy for source in style_sources([frame.content.decode()]))
    assert "'unsafe-hashes'" in policy and "unsafe-inline" not in policy
    assert re.search(r"(^|; )sandbox(;|$)", policy)
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in frame["Cache-Control"]
    email.refresh_from_db()
    assert "#336699" not in email.html and not LogEntry.objects.exists()  # nothing saved


def test_the_frame_without_a_draft_shows_the_saved_template(admin, email, customer):
    src = reverse("configure:template-frame", args=[email.pk, "html"]) + \
        f"?client={customer.pk}&invoice={customer.invoice.pk}&draft=unknown"
    html = admin.get(src).content.decode()
    assert "INV-ACME-1" in html and "$1,234.50" in html


def test_a_draft_is_only_for_its_own_template(admin, email, customer):
    page = admin.post(_url(email, customer), _form(email, html="<p>Only mine</p>"),
                      **HTMX).content.decode()
    key = re.search(r"draft=([0-9a-f]+)", page).group(1)
    other = MessageTemplate.objects.get(key="overdue_14", channel="email", language="en")
    shown = admin.get(reverse("configure:template-frame", args=[other.pk, "html"])
                      + f"?draft={key}").content.decode()
    assert "Only mine" not in shown


def test_the_session_keeps_only_the_last_drafts(admin, email, customer):
    for n in range(12):
        admin.post(_url(email, customer), _form(email, html=f"<p>Draft {n}</p>"), **HTMX)
    drafts = admin.session["template-drafts"]
    assert len(drafts) == 8
    assert [d["html"] for d in drafts.values()][-1] == "<p>Draft 11</p>"


def test_client_data_stays_text_in_the_frame(admin, email, overdue):
    client = ClientFactory(display_name="<script>alert(1)</script> Ltd", language="en")
    client.invoice = overdue(client, 8)
    page = admin.post(_url(email, client), _form(email, html="<p>{{ client_name }}</p>"),
                      **HTMX).content.decode()
    html = admin.get(_frame_src(page)).content.decode()
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; Ltd</p>"


def test_an_error_is_shown_in_the_preview_itself(admin, email, customer):
    response = admin.post(_url(email, customer),
                          _form(email, text="Dear {{ no_such_name }}"), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    preview = page[page.index('id="preview"'):]
    assert "Not shown:" in preview and "no_such_name" in preview
    assert 'class="error preview-error" role="alert"' in preview
    assert "Fix the errors below" not in page  # no message for a page that is not shown


def test_without_htmx_the_preview_button_shows_a_whole_page(admin, email, customer):
    page = admin.post(_url(email, customer), _form(email, html=STYLED)).content.decode()
    assert 'sandbox srcdoc="&lt;div style=&quot;color: #336699' in page


def test_a_letter_opens_as_its_pdf_with_the_draft(admin, customer):
    from pypdf import PdfReader

    letter = MessageTemplate.objects.get(key="demand_30", channel="letter", language="en")
    page = admin.get(_url(letter, customer)).content.decode()
    link = re.search(r'<a href="([^"]+)"[^>]*>The letter as it would be printed \(PDF\)',
                     page).group(1).replace("&amp;", "&")
    saved = admin.get(link)
    assert saved["Content-Type"] == "application/pdf"
    assert saved.content.startswith(b"%PDF")
    drafted = admin.post(_url(letter, customer), _form(
        letter, html="<p>A word in draft: quince.</p>"), **HTMX).content.decode()
    link = re.search(r'href="([^"]*/preview/pdf/[^"]*)"', drafted).group(1)
    assert "draft=" in link
    body = admin.get(link.replace("&amp;", "&")).content
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(body)).pages)
    assert "quince" in text and "INV-ACME-1" in text and "Acme Corp" in text


def test_only_a_letter_has_a_pdf_and_unknown_parts_are_refused(admin, email, customer):
    query = f"?client={customer.pk}&invoice={customer.invoice.pk}"
    assert admin.get(reverse("configure:template-frame", args=[email.pk, "pdf"])
                     + query).status_code == 400
    assert admin.get(reverse("configure:template-frame", args=[email.pk, "txt"])
                     + query).status_code == 400


def test_the_frame_is_for_admins(client, email, customer):
    url = reverse("configure:template-frame", args=[email.pk, "html"])
    assert client.get(url).status_code == 302  # to the login
    client.force_login(UserFactory(username="bert"))
    assert client.get(url).status_code == 403
