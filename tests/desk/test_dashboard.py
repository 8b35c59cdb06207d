"""The dashboard: aging and totals per currency, DSO, expected cash from due dates, promises
and plan instalments, and today's work with links; bounded queries; roles."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from answers.models import Dispute
from answers.plans import plan_accept, plan_propose
from clients.services import contact_flag
from desk import selectors
from receivables.services import LineInput, invoice_create
from receivables.snapshot import book_measure
from tests.factories import ClientFactory, TermsFactory, UserFactory
from work.models import Task, TaskKind

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 17)
NOON = datetime(2026, 3, 17, 12, 0).astimezone()


@pytest.fixture(autouse=True)
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


def invoice(client, amount, *, due_in, currency="EUR", issued_days_ago=None, **kwargs):
    terms = TermsFactory(name="Net 30 desk", net_days=30)
    issue = TODAY + timedelta(days=due_in - 30)
    return invoice_create(client=client, number=kwargs.pop("number", None) or
                          f"D-{client.pk}-{due_in}-{amount}", issue_date=issue, terms=terms,
                          currency=currency, lines=[LineInput("Work", amount)])


def test_aging_dso_and_expected_cash():
    acme, globex = ClientFactory(), ClientFactory(default_currency="USD")
    invoice(acme, "100.00", due_in=3)       # current, due this week
    invoice(acme, "200.00", due_in=-10)     # 1-30
    invoice(acme, "400.00", due_in=-45)     # 31-60
    promised = invoice(acme, "50.00", due_in=-5)
    promised.promised_until = TODAY + timedelta(days=9)
    promised.save()
    invoice(globex, "1000.00", due_in=20, currency="USD")
    book = book_measure(today=TODAY)  # what a snapshot stores, measured directly
    [eur, usd] = selectors.aging(book)
    assert eur["total"] == Decimal("750.00") and usd["total"] == Decimal("1000.00")
    by_key = {b["bucket"].key: b["amount"] for b in eur["buckets"]}
    assert by_key == {"current": Decimal("100.00"), "1-30": Decimal("250.00"),
                      "31-60": Decimal("400.00"), "61-90": 0, "90+": 0}
    assert sum(b["share"] for b in eur["buckets"]) == pytest.approx(100)
    dso = {r["currency"]: r["days"] for r in selectors.dso(book)}
    # EUR: all four issued within 90 days (750 invoiced, 750 owed) → 90 days.
    assert dso["EUR"] == 90
    cash = selectors.expected_cash(book)
    rows = {r["currency"]: r["amounts"] for r in cash["rows"]}
    assert rows["EUR"] == [Decimal("100.00"), Decimal("50.00"), 0, 0]
    assert rows["USD"] == [0, 0, Decimal("1000.00"), 0]


def test_plan_instalments_count_as_expected_cash(owner=None):
    client = ClientFactory()
    owed = invoice(client, "300.00", due_in=-10)
    plan = plan_propose(client=client, invoice_ids=[owed.pk], count=3,
                                first=TODAY + timedelta(days=2), frequency="weekly", note="",
                                now=NOON)
    plan_accept(plan=plan, actor=None, now=NOON)
    rows = {r["currency"]: r["amounts"]
            for r in selectors.expected_cash(book_measure(today=TODAY))["rows"]}
    assert rows["EUR"] == [Decimal("100.00"), Decimal("100.00"), Decimal("100.00"), 0]


def test_todays_work_counts_link_to_their_lists(client):
    customer = ClientFactory()
    owed = invoice(customer, "80.00", due_in=-3)
    Task.objects.create(kind=TaskKind.CALL, client=customer, title="Call", due_at=NOON)
    Dispute.objects.create(client=customer, invoice=owed, reason="quality")
    contact_flag(client=customer, channel="email", reason="bounced")
    items = selectors.todays_work(now=NOON, end_of_day=NOON + timedelta(hours=11))
    work = {w.key: w for w in items}
    assert (work["calls"].count, work["disputes"].count, work["contacts"].count) == (1, 1, 1)
    client.force_login(UserFactory())
    page = client.get(reverse("desk:dashboard")).content.decode()
    for item in work.values():
        assert item.url.replace("&", "&amp;") in page
    assert client.get(work["contacts"].url).status_code == 200
    assert customer.email in client.get(work["contacts"].url).content.decode()


def test_roles_and_bounded_queries(client, django_assert_max_num_queries):
    assert client.get(reverse("desk:dashboard")).status_code == 302
    client.force_login(UserFactory(role=""))
    assert client.get(reverse("desk:dashboard")).status_code == 403
    client.force_login(UserFactory())
    for n in (2, 30):
        for i in range(n):
            invoice(ClientFactory(), "10.00", due_in=-i, number=f"Q-{n}-{i}")
        with django_assert_max_num_queries(30):
            assert client.get(reverse("desk:dashboard")).status_code == 200


def test_every_amount_is_formatted_in_the_viewers_locale(client, settings):
    """Babel's symbols for the site's locale, the ISO decimals, a dash for a week with
    nothing expected: never a raw Decimal like "1234.50"."""
    import re

    from core.contact import babel_locale
    from tests.core.money_text import assert_money_text

    settings.SETTLE_DEFAULT_COUNTRY = "DE"
    acme = ClientFactory()
    invoice(acme, "1234.50", due_in=3)     # current, expected this week
    invoice(acme, "200.00", due_in=-10)    # 1-30
    client.force_login(UserFactory())
    page = client.get(reverse("desk:dashboard")).content.decode()
    locale = babel_locale("en", "DE")
    assert "1434.50" not in page and "1234.50" not in page
    [heading] = re.findall(r"<h3>EUR · ([^<]*) <small", page)
    assert_money_text(heading, locale=locale, digits="143450", decimals=2, currency="€",
                      grouped=True)
    cash = page[page.index('id="cash-h"'):]
    cells = re.findall(r'<td class="num">([^<]*)</td>', cash[:cash.index("</table>")])
    assert cells[1:] == ["—", "—", "—"]  # nothing expected after this week
    assert_money_text(cells[0], locale=locale, digits="123450", decimals=2, currency="€",
                      grouped=True)
    dso = page[page.index('id="dso-h"'):]
    [_days, sales] = re.findall(r'<td class="num">([^<]*)</td>', dso[:dso.index("</table>")])
    assert_money_text(sales, locale=locale, digits="143450", decimals=2, currency="€",
                      grouped=True)


def test_pages_name_their_favicon(client):
    from django.contrib.staticfiles import finders

    client.force_login(UserFactory())
    page = client.get(reverse("desk:dashboard")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert finders.find("favicon.svg")
