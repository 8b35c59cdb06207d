"""The worklist's keyset pages: every sort order walked both ways through ties, page links
that keep the filters, garbled cursors, and how many invoices match (and a count that
takes too long)."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import OperationalError

from clients.models import Interaction
from desk import worklist as wl
from desk.worklist import pages
from receivables.models import Invoice
from tests.desk.worklist_support import URL, issued_long_ago, listed, note, numbers
from tests.factories import ClientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# --- Pages ------------------------------------------------------------------------------------

def _follow(browser: Any, url: str) -> Any:
    return browser.get(URL + url)


def walk(browser: Any, params: dict[str, str]) -> tuple[list[list[str]], list[list[str]]]:
    """Every page forwards (Next) from the first, then backwards (Previous) from the last."""
    response = browser.get(URL, params)
    forwards = [numbers(response)]
    while response.context["next_url"]:
        response = _follow(browser, response.context["next_url"])
        forwards.append(numbers(response))
    backwards = [numbers(response)]
    while response.context["prev_url"]:
        response = _follow(browser, response.context["prev_url"])
        backwards.append(numbers(response))
    return forwards, backwards


@pytest.fixture
def ties(overdue: Any) -> list[Invoice]:
    """Seven invoices full of ties: two clients of the same name, shared due dates, equal
    balances, shared last contacts."""
    one, two = ClientFactory(display_name="Same Name"), ClientFactory(display_name="Same Name")
    three = ClientFactory(display_name="Another")
    invoices = [issued_long_ago(overdue, customer, days, amount=amount)
                for customer, days, amount in [
                    (one, 10, "50.00"), (two, 10, "50.00"), (three, 10, "70.00"),
                    (one, 3, "50.00"), (two, 30, "70.00"), (three, 3, "50.00"),
                    (one, 30, "10.00")]]
    note(one, 4)
    note(two, 4)
    return invoices


def expected_order(invoices: list[Invoice], sort: str) -> list[str]:
    """The documented orders, written out independently of the implementation."""
    last = {i.client_id: Interaction.objects.filter(client_id=i.client_id)
            .order_by("-occurred_at").first().occurred_at for i in invoices}
    keys = {"due": lambda i: (i.due_date, i.pk), "overdue": lambda i: (i.due_date, i.pk),
            "balance": lambda i: (i.balance, i.pk),
            "client": lambda i: (i.client.display_name, i.pk),
            "contact": lambda i: (last[i.client_id], i.client_id, i.pk)}
    key = sort.lstrip("-")
    descending = sort.startswith("-") != (key == "overdue")
    return [i.number for i in sorted(invoices, key=keys[key], reverse=descending)]


@pytest.mark.parametrize("sort", ["-overdue", "overdue", "due", "-due", "balance", "-balance",
                                  "client", "-client", "contact", "-contact"])
def test_keyset_pages_walk_every_order_both_ways(browser, ties, monkeypatch, sort):
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    forwards, backwards = walk(browser, {"sort": sort})
    assert [n for page in forwards for n in page] == expected_order(ties, sort)
    assert [len(page) for page in forwards] == [2, 2, 2, 1]
    assert backwards == forwards[::-1]


def test_page_links_keep_the_filters(browser, overdue, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    customer = ClientFactory(display_name="Kept Filters")
    for days in (5, 6, 7):
        overdue(customer, days)
    overdue(customer, 8, currency="USD")
    first = browser.get(URL, {"currency": "EUR", "sort": "-balance", "q": "kept"})
    next_url = first.context["next_url"]
    query = parse_qs(urlsplit(next_url).query)
    assert {k: v for k, v in query.items() if k != "after"} == {
        "currency": ["EUR"], "sort": ["-balance"], "q": ["kept"]}
    second = _follow(browser, next_url)
    assert len(numbers(second)) == 1 and not second.context["next_url"]
    assert "currency=EUR" in second.context["prev_url"]
    assert "currency=EUR" in second.context["first_url"]
    assert f'href="{second.context["prev_url"]}"'.replace("&", "&amp;") in second.content.decode()
    assert second.context["back"] == urlsplit(next_url).query


def test_a_garbled_or_foreign_cursor_shows_the_first_page(browser, trio):
    first = listed(browser)
    assert listed(browser, after="not-a-cursor") == first
    foreign = wl.Cursor("balance", "100.00", 1, 1).encode()
    assert listed(browser, after=foreign) == first  # made for another sort order


def test_how_many_match_is_said_when_cheap(browser, trio, monkeypatch):
    assert "3 invoices match." in browser.get(URL).content.decode()
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    assert browser.get(URL).context["page"].matched == 3  # counted: the page is full
    monkeypatch.setattr(pages, "COUNT_CAP", 2)
    assert "More than 2 invoices match." in browser.get(URL).content.decode()


def test_a_slow_count_is_given_up(browser, trio, monkeypatch):
    def too_slow(seconds: float) -> Any:
        raise OperationalError("interrupted")

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    monkeypatch.setattr(pages, "time_limit", too_slow)
    response = browser.get(URL)
    assert response.context["page"].matched is None
    assert "More than 2 invoices match (too many to count quickly)" in response.content.decode()


def test_the_count_time_limit_interrupts_a_long_query(trio):
    """The real limit: a statement running past it fails, and the connection works after."""
    slow = Invoice.objects.raw(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT 1 AS id FROM n WHERE i > 1e12 LIMIT 1")
    with pytest.raises(OperationalError), pages.time_limit(0.01):
        list(slow)
    assert Invoice.objects.count() == 3
