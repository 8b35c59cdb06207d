"""The dashboard reads the book's snapshot (receivables.snapshot): a constant number of queries
that never touch the invoices, whatever the size of the book; a fresh install measures the book
on the spot; the page says how old the figures are ("as of HH:MM" in the viewer's zone) and a
bookkeeper can refresh them (POST); the summary cards show each headline figure's change against
7 and 30 days before, from the snapshots kept as history, with sparklines the CSP allows."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from desk import selectors
from desk.views.dashboard import forget_fragments
from people.services import user_settings_update
from receivables.models import BookSnapshot, SnapshotCurrency
from receivables.services import LineInput, invoice_create
from receivables.snapshot import snapshot_latest, snapshot_refresh
from tests.factories import ClientFactory, TermsFactory, UserFactory
from tests.test_csp import Inline

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 17)
NOON = datetime(2026, 3, 17, 12, 0, tzinfo=BERLIN)
URL = "/desk/"


@pytest.fixture(autouse=True)
def at_noon(settings):
    settings.SETTLE_DEFAULT_TIMEZONE = "Europe/Berlin"
    settings.SETTLE_DEFAULT_COUNTRY = "GB"  # en_GB: "€1,260.00", "5%"
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def desk(client: Any) -> Any:
    client.force_login(UserFactory(username="bea"))
    return client


def invoice(client: Any, amount: str, *, due_in: int, currency: str = "EUR",
            number: str | None = None) -> Any:
    return invoice_create(client=client, number=number or f"DS-{client.pk}-{due_in}-{amount}",
                          issue_date=TODAY + timedelta(days=due_in - 30),
                          terms=TermsFactory(name="Net 30 dash", net_days=30), currency=currency,
                          lines=[LineInput("Work", amount)])


def page(desk: Any) -> str:
    response = desk.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_a_fresh_install_measures_the_book_once_then_reads_the_snapshot(desk):
    invoice(ClientFactory(), "250.00", due_in=-4)
    assert not BookSnapshot.objects.exists()
    html = page(desk)
    assert BookSnapshot.objects.count() == 1
    assert "€250.00" in html
    page(desk)
    assert BookSnapshot.objects.count() == 1  # read, not measured again


def test_the_page_costs_the_same_queries_however_big_the_book_and_never_reads_invoices(desk):
    """The first view of a snapshot reads it (header, rows, history: four queries) and caches
    what it renders of it; the views after it read the header only."""
    acme = ClientFactory()
    invoice(acme, "10.00", due_in=-1, number="SMALL-1")
    snapshot_refresh(now=NOON - timedelta(days=7))
    snapshot_refresh(now=NOON)
    page(desk)  # the session, the user's settings and the feed check warm up

    def queries(*, cached: bool) -> list[str]:
        if not cached:
            forget_fragments(BookSnapshot.objects.order_by("-id").first(), "en_GB")
        with CaptureQueriesContext(connection) as captured:
            page(desk)
        return [q["sql"] for q in captured.captured_queries]

    small = (queries(cached=False), queries(cached=True))
    for i in range(40):
        invoice(ClientFactory(default_currency="USD" if i % 2 else "EUR"), f"{20 + i}.00",
                due_in=30 - 3 * i, currency="USD" if i % 2 else "EUR", number=f"BIG-{i}")
    snapshot_refresh(now=NOON + timedelta(minutes=5))
    big = (queries(cached=False), queries(cached=True))
    for (cold, warm) in (small, big):
        assert not [sql for sql in cold + warm if "receivables_invoice" in sql]
        assert sum("receivables_" in sql and "snapshot" in sql for sql in cold) == 4
        assert sum("receivables_" in sql and "snapshot" in sql for sql in warm) == 1
    assert len(big[0]) == len(small[0]) <= 12
    assert len(big[1]) == len(small[1]) == len(small[0]) - 3


def test_a_new_snapshot_is_shown_at_once_though_the_last_one_was_cached(desk):
    invoice(ClientFactory(), "100.00", due_in=3, number="FIRST")
    snapshot_refresh(now=NOON - timedelta(minutes=1))
    assert "€100.00" in page(desk) and "€100.00" in page(desk)  # the second from the cache
    invoice(ClientFactory(), "23.00", due_in=3, number="SECOND")
    snapshot_refresh(now=NOON)
    assert "€123.00" in page(desk)


def test_the_figures_say_how_old_they_are_in_the_viewers_zone_and_a_bookkeeper_refreshes_them(
        client):
    viewer = UserFactory(username="nyc")
    user_settings_update(user=viewer, time_zone="America/New_York")
    client.force_login(viewer)
    acme = ClientFactory()
    invoice(acme, "100.00", due_in=3)
    snapshot_refresh(now=NOON - timedelta(minutes=2))  # 11:58 in Berlin, 06:58 in New York
    invoice(acme, "900.00", due_in=5)  # recorded after the tick
    html = page(client)
    assert re.search(r'as of <time datetime="2026-03-17T06:58:00-04:00">06:58</time>', html)
    assert "€100.00" in html and "€1,000.00" not in html
    assert '<form method="post" class="as-of">' in html and ">Refresh now</button>" in html

    response = client.post(URL)
    assert response.status_code == 302 and response["Location"] == URL
    html = page(client)
    assert "Figures refreshed: as of 07:00." in html  # noon in Berlin
    assert "€1,000.00" in html
    assert BookSnapshot.objects.count() == 2

    client.post(URL)  # a second click moments later takes no new snapshot
    assert BookSnapshot.objects.count() == 2
    assert "refreshed moments ago" in page(client)


def test_only_a_bookkeeper_may_refresh(client):
    snapshot_refresh(now=NOON - timedelta(hours=1))
    assert client.post(URL).status_code == 302  # to the login
    client.force_login(UserFactory(username="norole", role=""))
    assert client.post(URL).status_code == 403
    assert BookSnapshot.objects.count() == 1


def test_figures_the_scheduler_stopped_refreshing_are_marked(desk):
    invoice(ClientFactory(), "100.00", due_in=3)
    snapshot_refresh(now=NOON - timedelta(days=1, hours=2))
    html = page(desk)
    assert '<form method="post" class="as-of stale">' in html
    assert "Figures for Mon 16 Mar as of" not in html  # Berlin's day is the viewer's day here
    assert re.search(r'as of <time datetime="[^"]+">Mon 16 Mar 10:00</time>', html)
    assert "is it running?" in html


# --- Summary cards and trends ----------------------------------------------------------------

def snapshot(on: date, *, receivable: str, current: str, invoiced: str = "3000.00",
             cash_week: str = "0", currency: str = "EUR") -> BookSnapshot:
    """A snapshot by hand: the history the tick would have left."""
    header = BookSnapshot.objects.create(on=on, taken_at=datetime.combine(
        on, datetime.min.time(), tzinfo=BERLIN).replace(hour=12))
    SnapshotCurrency.objects.create(
        snapshot=header, currency=currency, receivable=Decimal(receivable), receivable_count=5,
        current=Decimal(current), current_count=2,
        late_1_30=Decimal(receivable) - Decimal(current), late_1_30_count=3,
        invoiced_90_days=Decimal(invoiced), cash_week=Decimal(cash_week))
    return header


@pytest.fixture
def history() -> None:
    snapshot(TODAY - timedelta(days=30), receivable="1000.00", current="600.00",
             cash_week="400.00")
    snapshot(TODAY - timedelta(days=8), receivable="1150.00", current="650.00")  # not the last
    snapshot(TODAY - timedelta(days=7), receivable="1200.00", current="700.00",
             cash_week="500.00")
    snapshot(TODAY, receivable="1260.00", current="860.00", cash_week="500.00")


def cards(html: str) -> dict[str, str]:
    """Each card's text, whitespace squeezed, by its figure."""
    found = re.findall(r'<li class="summary-card summary-(\w+)">(.*?)</ul>\s*</li>', html,
                       re.DOTALL)
    return {key: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for key, body in found}


def test_trends_compare_with_the_last_snapshot_7_and_30_days_before(history):
    [eur] = selectors.summary_cards(snapshot_latest())
    by_key = {card.figure.key: card for card in eur.cards}
    receivable = by_key["receivable"]
    assert receivable.value == Decimal("1260.00")
    assert [(c.days, c.on, c.before) for c in receivable.comparisons] == [
        (7, TODAY - timedelta(days=7), Decimal("1200.00")),
        (30, TODAY - timedelta(days=30), Decimal("1000.00"))]
    assert [c.before for c in by_key["overdue"].comparisons] == [Decimal("500.00"),
                                                                 Decimal("400.00")]
    # DSO: 1260 / 3000 * 90 = 38 days now, 36 a week ago, 30 a month ago
    assert by_key["dso"].value == 38
    assert [c.before for c in by_key["dso"].comparisons] == [36, 30]
    # the sparkline: a value for each day with a snapshot, the last one today's
    series = receivable.series
    assert len(series) == 31 and series[-1] == Decimal("1260.00")
    assert series[0] == Decimal("1000.00") and series[22] == Decimal("1150.00")
    assert series[1] is None


def test_the_cards_on_the_page(desk, history):
    html = page(desk)
    text = cards(html)
    assert text["receivable"].startswith("Receivable €1,260.00")
    assert "▲ 5% vs last week" in text["receivable"]
    assert "▲ 26% vs 30 days ago" in text["receivable"]
    assert "▼ 20% vs last week" in text["overdue"]  # 500 → 400
    assert "= vs" not in text["overdue"] and "no change vs 30 days ago" in text["overdue"]
    assert text["dso"].startswith("DSO (days) 38")
    assert "▲ 2 days vs last week" in text["dso"] and "▲ 8 days vs 30 days ago" in text["dso"]
    assert "no change vs last week" in text["cash_week"]
    assert "▲ 25% vs 30 days ago" in text["cash_week"]
    # A rise in overdue would be bad, a fall is good; a rise in expected cash is good.
    assert re.search(r'class="trend trend-down tone-good"[^>]*><span class="trend-value">▼ 20%',
                     html)
    assert re.search(r'class="trend trend-up tone-good"[^>]*><span class="trend-value">▲ 25%',
                     html)
    assert 'class="trend trend-up tone-bad"' in html  # DSO up
    assert 'class="trend trend-up tone-neutral"' in html  # receivable up


def test_sparklines_are_svg_attributes_and_the_page_needs_no_inline_style(desk, history):
    html = page(desk)
    assert html.count('<svg class="spark"') == 4
    points = re.findall(r'<polyline class="spark-line" points="([^"]+)"', html)
    assert len(points) == 4 and all(len(p.split()) == 4 for p in points)  # 4 days with figures
    assert all(re.fullmatch(r"[\d.]+,[\d.]+", xy) for p in points for xy in p.split())
    parser = Inline()
    parser.feed(html)
    assert parser.found == []
    assert '<link rel="stylesheet" href="/static/desk/dashboard.css">' in html


def test_a_week_without_snapshots_shows_no_trend_rather_than_a_wrong_one(desk):
    snapshot(TODAY - timedelta(days=11), receivable="1000.00", current="600.00")  # too old
    snapshot(TODAY - timedelta(days=33), receivable="800.00", current="600.00")  # 3 days early
    snapshot(TODAY, receivable="1260.00", current="860.00")
    text = cards(page(desk))
    assert "— vs last week" in text["receivable"]
    assert "▲ 58% vs 30 days ago" in text["receivable"]  # whole percents from 10 % up


def test_the_cards_are_per_currency_in_the_viewers_locale(desk, settings):
    from core.contact import babel_locale
    from tests.core.money_text import assert_money_text

    settings.SETTLE_DEFAULT_COUNTRY = "DE"
    snapshot(TODAY - timedelta(days=7), receivable="1000.00", current="1000.00",
             currency="USD")
    header = snapshot(TODAY, receivable="1234.50", current="1234.50", currency="USD")
    SnapshotCurrency.objects.create(snapshot=header, currency="EUR",
                                    receivable=Decimal("99.00"), receivable_count=1,
                                    current=Decimal("99.00"), current_count=1)
    html = page(desk)
    assert re.findall(r'<h3 class="summary-currency">(\w+)</h3>', html) == ["EUR", "USD"]
    usd = html[html.index('<h3 class="summary-currency">USD'):]
    [value] = re.findall(r'<span class="summary-value">([^<]*)</span>', usd)[:1]
    assert_money_text(value, locale=babel_locale("en", "DE"), digits="123450", decimals=2,
                      currency="$", grouped=True)
    assert "▲ 23 % vs last week" in cards(usd)["receivable"]  # de: a space before %
    eur = cards(html[:html.index('<h3 class="summary-currency">USD')])
    assert "▲ new vs last week" in eur["receivable"]  # no EUR a week ago: it is new
