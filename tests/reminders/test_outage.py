"""The scheduler outage (issue 15, "Tests"): a book with invoices at every stage, two normal
days of ticks (some clients messaged, some letters of demand out), then no tick for 30 days,
then a week of ticks.

The issue asks for a tick every 5 minutes for the week after the gap: about 2,000 ticks, too
slow for the suite. Instead the first day after the gap ticks every 5 minutes through the
clients' business hours (09:00 in Berlin to 17:00 in New York: 08:00-22:00 UTC, 169 ticks),
when the catch-up happens, and the rest of the week hourly (a tick in every business hour of
every client; what is due waits for the next tick in any case).

After the outage: no client skips a required notice (nothing goes to collections without its
letter of demand sent at least the notice period before; the catch-up sends the notice
instead), the first tick after the gap hands nobody over who never had the notice, nobody gets
more automated messages than the contact policy allows (the messages from before the outage
count too), no tone steps back, and at most one escalation (a letter of demand or a hand-over)
per client per tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from clients.models import Client
from receivables.models import Invoice, InvoiceStatus
from reminders.models import Reminder, ReminderStatus
from tests.factories import ClientFactory, TermsFactory
from tests.reminders.test_policy_property import (
    automated_contacts,
    cheap_letters,  # noqa: F401 (the fixture)
    escalations_per_tick,
    handed_over_at,
    policy_violations,
    tick_at,
)
from work.models import Task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cheap_letters")]

START = date(2026, 1, 12)  # a Monday: the two normal days are 12 and 13 January
BEFORE = [datetime(2026, 1, day, hour, 30, tzinfo=UTC) for day in (12, 13) for hour in (8, 14)]
RESUMED = datetime(2026, 2, 13, 8, 0, tzinfo=UTC)  # Friday: 30 days after the last tick
FIRST_DAY = [RESUMED + timedelta(minutes=5 * n) for n in range(14 * 12 + 1)]  # to 22:00 UTC
REST_OF_WEEK = [FIRST_DAY[-1] + timedelta(hours=n) for n in range(1, 6 * 24 + 10)]
END = REST_OF_WEEK[-1]  # Friday 20 February, 07:00 UTC

# (name, country, time zone, currency, channels, [(days overdue on 12 January, currency)])
BOOK: list[tuple[str, str, str, str, list[str], list[tuple[int, str | None]]]] = [
    # Its letter of demand goes out before the outage; the hand-over becomes due in the gap,
    # as does the letter for the 16-day invoice (one escalation, then the other).
    ("Müller Bau", "DE", "Europe/Berlin", "EUR", ["email", "letter"],
     [(-5, None), (3, None), (16, None), (33, None), (9, "USD")]),
    # SMS only: a letter of demand cannot reach it, so nothing goes to collections.
    ("Wagner Architekten", "DE", "Europe/Berlin", "EUR", ["sms"],
     [(40, None), (10, None), (2, None)]),
    # Prefers the phone, but the letter of demand goes by letter (and, as the message's lead,
    # carries the invoices then due for a call).
    ("Williams Print", "GB", "Europe/London", "GBP", ["phone", "letter", "email"],
     [(50, None), (20, None), (0, None), (-2, None)]),
    ("Acme Corp", "US", "America/New_York", "USD", ["email", "letter"],
     [(18, None), (31, None), (7, None), (-1, None), (60, "EUR")]),
    # Letters only: noticed on the first day, the hand-over due during the gap; the 25-day
    # invoice's letter of demand came due in the gap and was never sent.
    ("Brown & Sons", "GB", "Europe/London", "GBP", ["letter"], [(45, None), (25, None)]),
    ("Lopez Trading", "US", "America/New_York", "USD", ["sms", "email"],
     [(5, None), (12, None)]),
    # On Net 60: messaged before the outage, then steps on different days of the week after
    # it (+7 on the 13th and 16th, +14 on the 18th, the nudges): the policy allows one.
    ("Schmidt Logistik", "DE", "Europe/Berlin", "EUR", ["email"],
     [(7, None), (-25, None), (-23, None), (-28, None), (-35, None), (-38, None)]),
]
NET_60 = {"Schmidt Logistik"}


@dataclass
class Outage:
    clients: dict[str, Client]
    invoices: dict[tuple[str, int], Invoice]  # (client, days overdue on 12 January)


def run_outage(make_invoice: Callable[..., Invoice], *, until: datetime = END) -> Outage:
    net60 = TermsFactory(name="Net 60", net_days=60)
    clients: dict[str, Client] = {}
    invoices: dict[tuple[str, int], Invoice] = {}
    for name, country, zone, currency, channels, owed in BOOK:
        client = clients[name] = ClientFactory.create(
            display_name=name, country=country, timezone=zone, default_currency=currency,
            mobile_phone="+4915123456789", phone="+4930123456", channel_preferences=channels)
        net = 60 if name in NET_60 else 30
        for n, (late, other) in enumerate(owed):
            invoices[(name, late)] = make_invoice(
                client, f"{1234 + 111 * n}.50", currency=other or currency,
                issue_date=START - timedelta(days=net + late),
                terms=net60 if name in NET_60 else None)
    for at in [*BEFORE, *FIRST_DAY, *REST_OF_WEEK]:
        if at > until:
            break
        tick_at(at)
    return Outage(clients, invoices)


def letter_of_demand_sent(invoice: Invoice) -> datetime | None:
    row = Reminder.objects.filter(invoice=invoice, step__legal_notice=True,
                                  status=ReminderStatus.SENT).first()
    return row.sent_at if row is not None else None


def test_the_outage_keeps_the_notices_and_the_contact_policy(make_invoice: Any) -> None:
    outage = run_outage(make_invoice)
    # Nobody gets more than the policy allows, counting the messages before the outage; no
    # tone steps back; no letter of demand by SMS or call; nothing in collections without
    # its notice period.
    assert policy_violations() == []
    assert any(c.at < RESUMED for client in outage.clients.values()
               for c in automated_contacts(client)), "the clients were messaged before"
    # Steps came due on four days of the week after the gap: one message.
    assert len([c for c in automated_contacts(outage.clients["Schmidt Logistik"])
                if c.at >= RESUMED]) == 1
    # No required notice skipped: a letter of demand is never dropped in a catch-up, and
    # every invoice whose hand-over has come got its notice (or a person was told why not).
    assert not Reminder.objects.filter(step__legal_notice=True).exclude(
        status__in=(ReminderStatus.SENT, ReminderStatus.SCHEDULED)).exists()
    for (name, late), invoice in outage.invoices.items():
        invoice.refresh_from_db()
        if late + (END.date() - START).days < 45 + 1:
            continue  # its hand-over has not come by the end of the week
        if "letter" in outage.clients[name].channel_preferences:
            assert letter_of_demand_sent(invoice) is not None, (name, late)
        else:
            assert invoice.status != InvoiceStatus.IN_COLLECTIONS, (name, late)
            assert Task.objects.filter(
                client=outage.clients[name],
                title=f"The letter of demand for {invoice.number} cannot go out").exists()
    # Noticed on 12 January, the notice ran out in the gap: handed over after it.
    for key in (("Müller Bau", 33), ("Brown & Sons", 45), ("Williams Print", 50)):
        invoice = outage.invoices[key]
        invoice.refresh_from_db()
        sent = letter_of_demand_sent(invoice)
        assert sent is not None and sent < RESUMED, key
        assert invoice.status == InvoiceStatus.IN_COLLECTIONS, key
    # Never noticed before the gap: the catch-up sent the notice, and the hand-over waits
    # its 14 days (beyond the end of the week).
    for key in (("Williams Print", 20), ("Brown & Sons", 25), ("Acme Corp", 18)):
        invoice = outage.invoices[key]
        invoice.refresh_from_db()
        sent = letter_of_demand_sent(invoice)
        assert sent is not None and sent >= RESUMED, key
        assert invoice.status == InvoiceStatus.OPEN, key


def test_the_first_tick_after_the_gap_hands_over_only_the_noticed(make_invoice: Any) -> None:
    outage = run_outage(make_invoice, until=RESUMED)
    handed = Invoice.objects.filter(status=InvoiceStatus.IN_COLLECTIONS)
    for invoice in handed:
        sent = letter_of_demand_sent(invoice)
        assert sent is not None and sent < RESUMED, invoice.number
        assert handed_over_at(invoice) == RESUMED
    # Never noticed: not handed over, whatever the gap.
    for key in (("Williams Print", 20), ("Brown & Sons", 25), ("Acme Corp", 18),
                ("Müller Bau", 16), ("Wagner Architekten", 40)):
        invoice = outage.invoices[key]
        invoice.refresh_from_db()
        assert invoice.status != InvoiceStatus.IN_COLLECTIONS, key
    assert policy_violations() == []


def test_at_most_one_escalation_per_client_per_tick(make_invoice: Any) -> None:
    run_outage(make_invoice)
    assert escalations_per_tick() == {}
