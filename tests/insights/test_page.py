"""The Analytics page: who may see it, what it shows, and that its cost does not grow with
the book."""

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from core.contact import babel_locale
from receivables.models import Invoice
from tests.core.money_text import assert_money_text
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, tick

pytestmark = pytest.mark.django_db
URL = "/analytics/"
LATER = NOW + timedelta(days=12)
# Session, user and groups (3), the currencies of the filter (1), reminder effectiveness (2),
# the aging trend (3), the top overdue clients (1), and the savepoint pair of the request's
# transaction (ATOMIC_REQUESTS): 12. Two to spare, never one per invoice, reminder or client.
MAX_QUERIES = 14


def build_book(overdue: Any, pay_after: Any, size: int) -> None:
    """``size`` clients, each with an invoice reminded at NOW (+7 step) and one not due yet,
    every other one paid three days after its reminder; a USD client too."""
    with time_machine.travel(NOW, tick=False):
        for n in range(size):
            customer = ClientFactory(display_name=f"Client {n:03d}")
            overdue(customer, 7)
            overdue(customer, -20)
        overdue(ClientFactory(display_name="Dollar Inc", default_currency="USD",
                              language="en"), 40, "70.00", currency="USD")
        tick(NOW)
    for invoice in Invoice.objects.filter(currency="EUR", due_date__lt=NOW.date())[::2]:
        pay_after(invoice, 3)


def get(client: Any, user: Any, **params: Any) -> Any:
    client.force_login(user)
    with time_machine.travel(LATER, tick=False):
        return client.get(URL, params)


def test_url_is_the_named_route():
    assert reverse("insights:analytics") == URL


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_refused(client):
    client.force_login(UserFactory(role=""))
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("role", [None, "Admin"])
def test_bookkeepers_and_admins_see_the_empty_page(client, role):
    user = UserFactory() if role is None else UserFactory(role=role)
    response = get(client, user)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Analytics</h1>" in html
    assert "No reminders went out in the last 90 days" in html
    assert "No issued invoices" in html and "Nothing is overdue" in html


def test_page_shows_conversion_trend_and_top_overdue(client, overdue, pay_after):
    build_book(overdue, pay_after, 3)
    response = get(client, UserFactory())
    assert response.status_code == 200
    html = response.content.decode()
    # 3 EUR reminders, 2 paid on day 3, and the USD one unpaid: 2 of 4 converted.
    assert "Standard · Polite follow-up (+7 d)" in html
    assert 'title="2 of 4">50.0\u00a0%</td>' in html
    assert "too few to judge" in html
    assert '<svg class="chart bars"' in html and '<svg class="chart columns"' in html
    assert html.count('<table class="effect"') == 4
    assert "Kept locally" in html
    # The top overdue list links to the client page.
    usd = Invoice.objects.get(currency="USD").client
    assert f'<a href="/desk/clients/{usd.pk}/">Dollar Inc</a>' in html
    # Amounts in the viewer's language and the site's country (SETTLE_DEFAULT_COUNTRY).
    top = html[html.index('aria-label="Top overdue clients in USD"'):]
    [overdue_cell] = re.findall(r'<td class="num">([^<]*70[^<]*)</td>',
                                top[:top.index("</table>")])
    assert_money_text(overdue_cell, locale=babel_locale("en", "DE"), digits="7000",
                      decimals=2, currency="$", grouped=False)
    # Templates go by the names of the steps that send them, never by their keys.
    templates = html[html.index('id="by-template"'):]
    templates = templates[:templates.index("</table>")]
    assert "Polite follow-up" in templates and "overdue_7" not in templates


def test_svg_numbers_stay_numbers_in_a_german_browser(client, overdue, pay_after):
    build_book(overdue, pay_after, 3)
    client.force_login(UserFactory())
    with time_machine.travel(LATER, tick=False):
        html = client.get(URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "927,31\u00a0€" in html  # amounts in the reader's format...
    svg = html[html.index('<svg class="chart bars"'):html.rindex("</svg>")]
    attributes = re.findall(r' (?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', svg)
    assert attributes and all(re.fullmatch(r"-?\d+(\.\d+)?", a) for a in attributes)


def test_filters_narrow_every_section(client, overdue, pay_after):
    build_book(overdue, pay_after, 3)
    html = get(client, UserFactory(), currency="USD", period="30").content.decode()
    assert '<option value="USD" selected>' in html
    assert '<option value="30" selected>' in html
    assert "Dollar Inc" in html and "Client 001" not in html
    assert 'title="0 of 1">0.0\u00a0%</td>' in html
    # Unknown values fall back to the defaults instead of failing.
    html = get(client, UserFactory(), currency="XXX", period="7").content.decode()
    assert '<option value="90" selected>' in html and "Client 001" in html


def test_reminders_sent_this_week_are_not_judged_yet(client, overdue, pay_after):
    build_book(overdue, pay_after, 2)
    client.force_login(UserFactory())
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        html = client.get(URL).content.decode()
    assert "None of them has had its 7 days to be paid yet." in html


@pytest.mark.parametrize("size", [2, 24])
def test_query_count_does_not_grow_with_the_book(client, overdue, pay_after, size,
                                                 django_assert_max_num_queries):
    build_book(overdue, pay_after, size)
    user = UserFactory()
    client.force_login(user)
    with time_machine.travel(LATER, tick=False), django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    # Half the EUR clients are still overdue (ten at most are listed), and the USD one.
    assert html.count('<a href="/desk/clients/') == min(size // 2, 10) + 1
    assert f"{size + 1} reminders in {size + 1} messages" in html
