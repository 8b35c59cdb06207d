"""The receivables worklist: columns, filters, sort orders, keyset pages, bulk actions with
their confirmation, the CSV exports, roles, and a query count that does not grow with the
page."""

import csv
import io
from datetime import UTC, date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection
from django.urls import reverse

from clients.models import ClientTag, Interaction, InteractionKind
from clients.services import interaction_record
from desk import worklist as wl
from desk.worklist import bulk, pages
from receivables.models import Invoice
from receivables.services import invoice_transition
from reminders.models import Reminder, ReminderStatus
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, TUESDAY, step

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

URL = reverse("desk:worklist")
BULK = reverse("desk:worklist-bulk")
CSV = reverse("desk:worklist-csv")


def numbers(response: Any) -> list[str]:
    assert response.status_code == 200
    return [row.invoice.number for row in response.context["page"].rows]


def listed(browser: Any, **params: Any) -> list[str]:
    return numbers(browser.get(URL, params))


def note(customer: Any, days_ago: int, summary: str = "Called") -> Interaction:
    return interaction_record(client=customer, kind=InteractionKind.NOTE, summary=summary,
                              occurred_at=NOW - timedelta(days=days_ago))


def issued_long_ago(make: Any, *args: Any, **kwargs: Any) -> Invoice:
    """An invoice whose "issued" timeline entry is 200 days old, so tests set last contact."""
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        return make(*args, **kwargs)


def csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- Columns ----------------------------------------------------------------------------------

def test_columns_show_last_contact_and_next_reminder(browser, overdue, owner):
    customer = ClientFactory(display_name="Bäckerei Schmidt", owner=owner)
    invoice = issued_long_ago(overdue, customer, 12, amount="1200.50", reference="Project Apollo")
    note(customer, 9, "Older call")
    latest = note(customer, 3, "Latest call")
    Reminder.objects.create(invoice=invoice, client=customer, step=step(7), channel="email",
                            scheduled_for=NOW - timedelta(days=1), status=ReminderStatus.SENT)
    Reminder.objects.create(invoice=invoice, client=customer, step=step(30), channel="letter",
                            scheduled_for=NOW + timedelta(days=9))
    Reminder.objects.create(invoice=invoice, client=customer, step=step(14), channel="sms",
                            scheduled_for=NOW + timedelta(days=2))
    Invoice.objects.filter(pk=invoice.pk).update(promised_until=TUESDAY + timedelta(days=5))

    response = browser.get(URL)
    [row] = response.context["page"].rows
    assert row.last_contact == latest.occurred_at
    assert row.next_reminder == wl.NextReminder("Firmer, offers a plan", "SMS",
                                                NOW + timedelta(days=2))
    assert row.days_overdue == 12 and row.bucket.key == "1-30"
    assert row.promised_until == date(2026, 3, 22) and row.paused_until is None
    html = response.content.decode()
    for text in ("Bäckerei Schmidt", reverse("desk:client", args=[customer.pk]), invoice.number,
                 "Project Apollo", "€1,200.50", "2026-03-05", "Firmer, offers a plan",
                 "SMS · 2026-03-19", "promised until 2026-03-22", "1 invoice matches"):
        assert text in html, text


def test_pauses_show_until_when_they_end(browser, overdue):
    customer = ClientFactory(reminders_paused_until=TUESDAY + timedelta(days=3))
    invoice = overdue(customer, 5)
    Invoice.objects.filter(pk=invoice.pk).update(reminders_paused_until=TUESDAY + timedelta(1))
    lapsed = overdue(ClientFactory(), 5)
    Invoice.objects.filter(pk=lapsed.pk).update(reminders_paused_until=TUESDAY - timedelta(1),
                                                promised_until=TUESDAY - timedelta(1))
    rows = {row.invoice.pk: row for row in browser.get(URL).context["page"].rows}
    assert rows[invoice.pk].paused_until == date(2026, 3, 20)  # the client's, which ends later
    assert rows[lapsed.pk].paused_until is None and rows[lapsed.pk].promised_until is None


@pytest.mark.parametrize("params", [{}, {"sort": "-balance"}, {"q": "Client"},
                                    {"sort": "contact", "owner": "none"}])
def test_only_receivable_invoices_are_listed(browser, overdue, make_invoice, make_payment,
                                             params):
    """Whichever way the query is written for the sort order (see filters._receivable)."""
    customer = ClientFactory()
    open_one, paid = overdue(customer, 5), overdue(customer, 6, amount="10.00")
    disputed, voided = overdue(customer, 7), overdue(customer, 8)
    invoice_transition(invoice=disputed, to="disputed")
    invoice_transition(invoice=voided, to="void")
    invoice_transition(invoice=overdue(customer, 9), to="written_off")
    make_invoice(customer, issue=False, number="DRAFT-1")
    make_payment(customer, "10.00", TUESDAY, invoices=[paid])
    assert sorted(listed(browser, **params)) == sorted([open_one.number, disputed.number])


# --- Filters ----------------------------------------------------------------------------------

@pytest.fixture
def book(overdue: Any, owner: Any) -> dict[str, Any]:
    """Four invoices of four clients that differ in every filtered attribute."""
    tag = ClientTag.objects.get_or_create(name="high-value")[0]
    other_owner = UserFactory(username="otto", first_name="Otto", last_name="Owner")
    alpha = ClientFactory(display_name="Alpha Bau GmbH", reference="K-100", owner=owner,
                          channel_preferences=["email", "sms"])
    alpha.tags.add(tag)
    bravo = ClientFactory(display_name="Bravo AG", reference="K-200", owner=other_owner,
                          channel_preferences=["sms", "email"])
    charlie = ClientFactory(display_name="Charlie Ltd", reference="K-300", owner=None,
                            channel_preferences=["letter"])
    delta = ClientFactory(display_name="Delta SE", reference="K-400", owner=owner)
    quiet = issued_long_ago(overdue, charlie, 100, currency="USD", reference="Harbour")
    invoices = {"alpha": overdue(alpha, 10), "bravo": overdue(bravo, 45, number="B-77"),
                "charlie": quiet, "delta": overdue(delta, -5)}
    invoice_transition(invoice=invoices["bravo"], to="disputed", reason="Wrong hours")
    return {"invoices": invoices, "other_owner": other_owner,
            "numbers": {k: v.number for k, v in invoices.items()}}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["charlie", "bravo", "alpha", "delta"]),
    ({"bucket": "current"}, ["delta"]),
    ({"bucket": "1-30"}, ["alpha"]),
    ({"bucket": "31-60"}, ["bravo"]),
    ({"bucket": "90+"}, ["charlie"]),
    ({"owner": "mine"}, ["alpha", "delta"]),
    ({"owner": "none"}, ["charlie"]),
    ({"tag": "high-value"}, ["alpha"]),
    ({"currency": "usd"}, ["charlie"]),
    ({"currency": "EUR"}, ["bravo", "alpha", "delta"]),
    ({"status": "disputed"}, ["bravo"]),
    ({"status": "open"}, ["charlie", "alpha", "delta"]),
    ({"channel": "sms"}, ["bravo"]),
    ({"channel": "letter"}, ["charlie"]),
    ({"quiet": "30"}, ["charlie"]),
    ({"q": "bau"}, ["alpha"]),  # client name, any case
    ({"q": "K-20"}, ["bravo"]),  # client reference, from the start
    ({"q": "B-77"}, ["bravo"]),  # invoice number
    ({"q": "harb"}, ["charlie"]),  # invoice reference
    ({"q": "nothing like it"}, []),
    ({"owner": "mine", "bucket": "1-30", "channel": "email", "tag": "high-value"}, ["alpha"]),
    ({"owner": "mine", "channel": "sms"}, []),
    # Unknown values are ignored, never an error.
    ({"bucket": "x", "status": "paid", "channel": "fax", "quiet": "-3", "currency": "EURO",
      "owner": "someone", "tag": "<b>"}, ["charlie", "bravo", "alpha", "delta"]),
])
def test_filters(browser, book, params, expected):
    assert listed(browser, **params) == [book["numbers"][k] for k in expected]


def test_filter_by_a_named_owner(browser, book):
    assert listed(browser, owner=book["other_owner"].pk) == [book["numbers"]["bravo"]]


def test_promised_and_paused_statuses(browser, book):
    alpha, delta = book["invoices"]["alpha"], book["invoices"]["delta"]
    Invoice.objects.filter(pk=alpha.pk).update(promised_until=TUESDAY)
    delta.client.reminders_paused_until = TUESDAY + timedelta(days=2)
    delta.client.save()
    assert listed(browser, status="promised") == [alpha.number]
    assert listed(browser, status="paused") == [delta.number]


def test_no_contact_counts_any_timeline_entry(browser, book):
    charlie = book["invoices"]["charlie"]
    assert listed(browser, quiet=30) == [charlie.number]
    note(charlie.client, 20)
    assert listed(browser, quiet=30) == []
    assert listed(browser, quiet=14) == [charlie.number]


def test_filter_menus_offer_the_choices(browser, book):
    html = browser.get(URL).content.decode()
    for text in ('value="high-value"', 'value="USD"', 'value="EUR"', "Otto Owner",
                 "No contact in 30 days", "Prefers sms", 'value="promised"'):
        assert text in html, text


# --- Sort orders ------------------------------------------------------------------------------

@pytest.fixture
def trio(overdue: Any) -> dict[str, Invoice]:
    alpha, bravo, charlie = (ClientFactory(display_name=n) for n in ("Alpha", "Bravo", "Charlie"))
    invoices = {"a": issued_long_ago(overdue, alpha, 10, amount="300.00"),
                "b": issued_long_ago(overdue, bravo, 40, amount="100.00"),
                "c": issued_long_ago(overdue, charlie, 2, amount="200.00")}
    note(alpha, 5)
    note(bravo, 20)
    note(charlie, 1)
    return invoices


@pytest.mark.parametrize(("sort", "expected"), [
    ("", "bac"), ("-overdue", "bac"), ("overdue", "cab"), ("due", "bac"), ("-due", "cab"),
    ("-balance", "acb"), ("balance", "bca"), ("client", "abc"), ("-client", "cba"),
    ("contact", "bac"), ("-contact", "cab"), ("nonsense", "bac"), ("--due", "bac"),
])
def test_sort_orders(browser, trio, sort, expected):
    assert listed(browser, sort=sort) == [trio[k].number for k in expected]


def test_sort_links_flip_the_current_column_and_keep_filters(browser, trio):
    response = browser.get(URL, {"sort": "-balance", "currency": "EUR"})
    sorts = response.context["sorts"]
    assert parse_qs(sorts["balance"]["url"][1:]) == {"currency": ["EUR"], "sort": ["balance"]}
    assert sorts["balance"]["arrow"] == "↓"
    assert parse_qs(sorts["client"]["url"][1:]) == {"currency": ["EUR"], "sort": ["client"]}
    assert parse_qs(sorts["overdue"]["url"][1:]) == {"currency": ["EUR"]}  # the default


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


# --- Bulk actions -----------------------------------------------------------------------------

def ask(browser: Any, action: str, invoices: list[Invoice], **extra: Any) -> Any:
    return browser.post(BULK, {"action": action, "invoice": [i.pk for i in invoices],
                               "back": "currency=EUR&sort=-balance", **extra})


def confirm(browser: Any, asked: Any, **extra: Any) -> Any:
    """Press the confirmation page's button (its form, as rendered, plus ``extra``)."""
    context = asked.context
    data = {"action": context["action"], "confirm": "1", "token": context["token"],
            "back": "currency=EUR&sort=-balance",
            "invoice": [item["invoice"].pk for item in context["invoices"]],
            "until": context["form"]["until"].value() or "",
            "reason": context["form"]["reason"].value() or "",
            "owner": context["form"]["owner"].value() or "", **extra}
    return browser.post(BULK, data, follow=True)


def said(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def two_clients(overdue: Any) -> dict[str, Any]:
    first = ClientFactory(display_name="First Client", channel_preferences=["email"])
    second = ClientFactory(display_name="Second Client", channel_preferences=["email"])
    return {"first": first, "second": second,
            "invoices": [overdue(first, 2), overdue(first, 9), overdue(second, 2)]}


def test_pause_asks_first_then_pauses_each_invoice(browser, two_clients, owner):
    invoices = two_clients["invoices"]
    asked = ask(browser, "pause", invoices, until="2026-04-01", reason="Audit")
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Pause reminders: 3 invoices of 2 clients?" in html
    assert all(i.number in html for i in invoices)
    assert not Invoice.objects.filter(reminders_paused_until__isnull=False).exists()

    done = confirm(browser, asked)
    assert done.redirect_chain == [(URL + "?currency=EUR&sort=-balance", 302)]
    assert said(done) == ["Reminders paused until 2026-04-01 for 3 of 3 invoices."]
    assert set(Invoice.objects.values_list("reminders_paused_until", flat=True)) == {
        date(2026, 4, 1)}
    entry = Interaction.objects.filter(client=two_clients["first"],
                                       kind=InteractionKind.STATUS_CHANGE).first()
    assert entry.summary == f"Reminders for {invoices[0].number} paused until 2026-04-01: Audit"
    assert entry.actor == owner


def test_pause_needs_a_day_from_today_on(browser, two_clients):
    asked = ask(browser, "pause", two_clients["invoices"])
    assert asked.status_code == 200 and "Pause until which day?" not in asked.content.decode()
    missing = confirm(browser, asked)
    assert missing.status_code == 400 and "Pause until which day?" in missing.content.decode()
    late = confirm(browser, missing, until="2026-03-16")
    assert late.status_code == 400 and "Choose today or a later day." in late.content.decode()
    assert not Invoice.objects.filter(reminders_paused_until__isnull=False).exists()


def test_resume(browser, two_clients):
    paused = two_clients["invoices"][0]
    Invoice.objects.filter(pk=paused.pk).update(reminders_paused_until=date(2026, 4, 1))
    done = confirm(browser, ask(browser, "resume", [paused]))
    assert said(done) == ["Reminders resumed for 1 of 1 invoices."]
    paused.refresh_from_db()
    assert paused.reminders_paused_until is None
    assert Interaction.objects.filter(summary=f"Reminders for {paused.number} resumed").exists()


def test_send_now_sends_and_reports_each_failure(browser, two_clients):
    first_due, first_older, second_due = two_clients["invoices"]
    invoice_transition(invoice=first_older, to="disputed", reason="Wrong amount")
    asked = ask(browser, "send_now", [first_due, first_older, second_due])
    assert "will be reported as not sent" in asked.content.decode()  # the disputed one
    done = confirm(browser, asked)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [two_clients["first"].email, two_clients["second"].email])
    messages = said(done)
    assert messages[0] == "Next reminder sent now for 2 of 3 invoices."
    assert messages[1].startswith(f"Not done for {first_older.number}: Invoice "
                                  f"{first_older.number} has no next reminder step")


def test_send_now_says_when_a_reminder_waits(browser, two_clients):
    first_due, first_older, _ = two_clients["invoices"]
    done = confirm(browser, ask(browser, "send_now", [first_due, first_older]))
    assert len(mail.outbox) == 1  # one message per client a day: the second waits
    messages = said(done)
    assert messages[0] == "Next reminder sent now for 2 of 2 invoices."
    assert "waits in the outbox until 2026-03-18" in messages[1]


def test_a_confirmation_is_used_once(browser, two_clients):
    asked = ask(browser, "send_now", two_clients["invoices"][:1])
    confirm(browser, asked)
    again = confirm(browser, asked)
    assert len(mail.outbox) == 1
    assert "already used" in said(again)[0]
    assert Reminder.objects.count() == 1


def test_assign_owner_to_the_selected_invoices_clients(browser, two_clients, owner):
    otto = UserFactory(username="otto", first_name="Otto", last_name="Owner")
    nobody = UserFactory(username="norole", role="")
    asked = ask(browser, "assign", two_clients["invoices"], owner=otto.pk)
    html = asked.content.decode()
    assert "Assign an owner: 3 invoices of 2 clients?" in html
    assert "Otto Owner" in html and "norole" not in html  # only bookkeepers and admins
    refused = confirm(browser, asked, owner=nobody.pk)
    assert refused.status_code == 400
    done = confirm(browser, ask(browser, "assign", two_clients["invoices"], owner=otto.pk))
    assert said(done) == ["Otto Owner now owns 2 of 2 clients (3 invoices selected)."]
    for customer in (two_clients["first"], two_clients["second"]):
        customer.refresh_from_db()
        assert customer.owner == otto
        assert Interaction.objects.filter(client=customer, summary="Owner: Otto Owner",
                                          actor=owner).exists()


def test_unassign(browser, two_clients, owner):
    customer = two_clients["first"]
    customer.owner = owner
    customer.save()
    confirm(browser, ask(browser, "assign", two_clients["invoices"][:1], owner="none"))
    customer.refresh_from_db()
    assert customer.owner is None


def test_a_failure_does_not_undo_the_others(two_clients, owner, monkeypatch):
    from django.core.exceptions import ValidationError

    real = bulk.invoice_pause_reminders
    unlucky = two_clients["invoices"][1]

    def pause(*, invoice: Invoice, **kwargs: Any) -> Invoice:
        real(invoice=invoice, **kwargs)  # written, then the failure rolls it back
        if invoice.pk == unlucky.pk:
            raise ValidationError("Locked by the auditor.")
        return invoice

    monkeypatch.setattr(bulk, "invoice_pause_reminders", pause)
    result = wl.bulk_pause(invoices=wl.selected_invoices([i.pk for i in two_clients["invoices"]]),
                           until=date(2026, 4, 1), reason="", actor=owner)
    assert result.failed == [(unlucky.number, "Locked by the auditor.")]
    assert len(result.succeeded) == 2
    paused = dict(Invoice.objects.values_list("number", "reminders_paused_until"))
    assert paused.pop(unlucky.number) is None
    assert set(paused.values()) == {date(2026, 4, 1)}
    assert not Interaction.objects.filter(summary__contains=unlucky.number,
                                          kind=InteractionKind.STATUS_CHANGE).exists()


def test_the_selection_leaves_out_invoices_no_longer_open(browser, two_clients, make_payment):
    paid = two_clients["invoices"][2]
    asked = ask(browser, "pause", two_clients["invoices"], until="2026-04-01")
    make_payment(two_clients["second"], paid.balance, TUESDAY, invoices=[paid])
    again = confirm(browser, asked)  # the set changed: asked once more, for what is left
    assert "Pause reminders: 2 invoices of 1 client?" in again.content.decode()
    assert "1 of the selected invoices is no longer open" in again.content.decode()
    assert not Invoice.objects.filter(reminders_paused_until__isnull=False).exists()


def test_apply_to_all_on_this_page(browser, two_clients):
    invoices = two_clients["invoices"]
    asked = browser.post(BULK, {"action": "resume", "scope": "page",
                                "page_invoice": [i.pk for i in invoices]})
    listed_in_order = [item["invoice"] for item in asked.context["invoices"]]
    assert listed_in_order == [invoices[1], invoices[0], invoices[2]]  # by client, then due


@pytest.mark.parametrize(("data", "error"), [
    ({"action": "pause"}, "Tick at least one invoice first."),
    ({"action": "pause", "invoice": ["1", "x"]}, "The selection is garbled"),
    ({"action": "explode", "invoice": ["1"]}, "Choose what to do."),
    ({"action": "resume", "invoice": [str(n) for n in range(1, 300)]}, "act on at most 200"),
    ({"action": "resume", "invoice": ["999999"]}, "None of the selected invoices is still open"),
])
def test_bad_selections_go_back_with_a_message(browser, data, error):
    response = browser.post(BULK, {**data, "back": "bucket=90%2B&evil=1"}, follow=True)
    assert response.redirect_chain == [(URL + "?bucket=90%2B", 302)]
    assert error in said(response)[0]


def test_back_never_leaves_the_worklist(browser):
    response = browser.post(BULK, {"action": "resume", "back": "https://evil.example/"})
    assert response.url == URL + "?"


def test_export_the_selection(browser, two_clients):
    chosen = two_clients["invoices"][:2]
    asked = ask(browser, "export", chosen)
    assert "Export as CSV: 2 invoices of 1 client?" in asked.content.decode()
    response = browser.post(BULK, {"action": "export", "confirm": "1",
                                   "token": asked.context["token"],
                                   "invoice": [i.pk for i in chosen]})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == wl.CSV_HEADER
    assert sorted(r[0] for r in rows[1:]) == sorted(i.number for i in chosen)


# --- CSV of the whole filter ------------------------------------------------------------------

def test_csv_of_the_current_filter(browser, overdue, owner):
    customer = ClientFactory(display_name="=HYPERLINK(evil)", reference="K-9", owner=owner)
    invoice = issued_long_ago(overdue, customer, 12, amount="1234.5", reference="Apollo")
    note(customer, 3)
    Reminder.objects.create(invoice=invoice, client=customer, step=step(14), channel="sms",
                            scheduled_for=NOW + timedelta(days=2))
    overdue(ClientFactory(), 3, currency="USD", amount="9.99")
    response = browser.get(CSV, {"currency": "EUR"})
    assert response["Content-Disposition"] == 'attachment; filename="worklist-2026-03-17.csv"'
    header, row, *rest = csv_rows(response)
    assert rest == []
    record = dict(zip(header, row, strict=True))
    assert record == {
        "Invoice": invoice.number, "Invoice reference": "Apollo", "Client reference": "K-9",
        "Client": "'=HYPERLINK(evil)", "Owner": "Berta Keeper", "Currency": "EUR",
        "Amount": "1234.50", "Balance": "1234.50", "Issue date": "2026-02-03",
        "Due date": "2026-03-05", "Days overdue": "12", "Status": "Open",
        "Promised until": "", "Reminders paused until": "",
        "Last contact": (NOW - timedelta(days=3)).astimezone(UTC).isoformat(timespec="minutes"),
        "Next reminder": "Firmer, offers a plan", "Next reminder channel": "SMS",
        "Next reminder at": (NOW + timedelta(days=2)).astimezone(UTC).isoformat(
            timespec="minutes"),
    }


def test_csv_link_carries_the_filters(browser, trio):
    response = browser.get(URL, {"sort": "-balance", "q": "a"})
    assert response.context["csv_url"] == CSV + "?q=a&sort=-balance"
    rows = csv_rows(browser.get(CSV, {"sort": "-balance"}))
    assert [r[0] for r in rows[1:]] == [trio[k].number for k in "acb"]


# --- Roles and cost ---------------------------------------------------------------------------

ALL = [("get", URL), ("post", BULK), ("get", CSV)]


@pytest.mark.parametrize(("method", "url"), ALL)
def test_anonymous_goes_to_the_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("method", "url"), ALL)
def test_no_role_is_forbidden(client, two_clients, method, url):
    client.force_login(UserFactory(username="norole", role=""))
    response = getattr(client, method)(url, {"action": "resume", "confirm": "1",
                                             "invoice": [two_clients["invoices"][0].pk]})
    assert response.status_code == 403


def test_admins_may_use_it(client, db):
    client.force_login(UserFactory(username="ada", role="Admin"))
    assert client.get(URL).status_code == 200


def test_bulk_is_post_only(browser):
    assert browser.get(BULK).status_code == 405


def _book(overdue: Any, how_many: int) -> None:
    """``how_many`` invoices over several clients, with tags, owners, notes and reminders."""
    tag = ClientTag.objects.get_or_create(name="high-value")[0]
    owners = [UserFactory(username=f"owner{n}") for n in range(3)]
    clients = [ClientFactory(owner=owners[n % 3]) for n in range(max(how_many // 4, 1))]
    for n, customer in enumerate(clients):
        customer.tags.add(tag)
        note(customer, n % 20)
    for n in range(how_many):
        customer = clients[n % len(clients)]
        invoice = overdue(customer, n % 50)
        Reminder.objects.create(invoice=invoice, client=customer, step=step(7),
                                channel="email", scheduled_for=NOW + timedelta(hours=n))


@pytest.mark.parametrize("how_many", [5, 60])
@pytest.mark.parametrize("sort", ["-overdue", "contact"])
def test_queries_do_not_grow_with_the_page(browser, overdue, django_assert_max_num_queries,
                                           how_many, sort):
    """Session, user, roles; the page's keys, rows, tags and count; owners and tags for the
    menus; the request's savepoint. PostgreSQL's time limit on the count adds a savepoint and
    two settings."""
    _book(overdue, how_many)
    browser.get(URL)  # the currency menu is cached after the first page
    limit = 12 + (4 if connection.vendor == "postgresql" else 0)
    with django_assert_max_num_queries(limit):
        response = browser.get(URL, {"sort": sort})
    assert len(response.context["page"].rows) == min(how_many, 50)
