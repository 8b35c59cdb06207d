"""One voice per client (issue 15), as a property of whole books run through the real ticks:
random small books (1-4 clients in Germany, the UK or the US, random channel preferences,
1-8 invoices each issued within the 90 days before a random "now", one or two currencies)
and a random contact policy, ticked twice a day for 45 days. Read back from the database:

- per client, at most one automated message per ``min_days_between_messages`` and at most
  ``max_messages_per_30_days`` in any 30 days (on the client's local days, as the engine
  counts: messages that went out, not failed or bounced, and the call a person was asked to
  make instead of a message for a client who prefers the phone);
- the tone never steps back within an episode (no payments here: one episode per client);
- a pre-due or due-today step held past the due date is dropped, never sent late;
- no letter of demand by SMS or a call;
- no invoice in collections unless its letter of demand went out at least the cadence's
  notice days before the hand-over.

The checks (``policy_violations``, ``escalations_per_tick``) and the ticking are shared with
the outage test (test_outage.py). Letters skip their PDF (``cheap_letters``) to keep the file
under a minute.
Hypothesis is derandomized and keeps no example database, so CI runs the same books every
time; a failing book is printed by hypothesis and, for a real engine bug, kept below as a
concrete ``xfail(strict=True)`` regression test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from clients.models import Client, Interaction, InteractionKind
from core.planner import TONE_RANK, overdue_on
from receivables.models import Invoice, InvoiceStatus, Payment
from reminders.models import (
    FAILED_STATUSES,
    Cadence,
    OutboundMessage,
    Reminder,
    ReminderStatus,
    StepAction,
)
from reminders.tick import reminders_tick
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

# country → (time zone, home currency, a mobile number there)
COUNTRIES = {
    "DE": ("Europe/Berlin", "EUR", "+4915123456789"),
    "GB": ("Europe/London", "GBP", "+447700900123"),
    "US": ("America/New_York", "USD", "+12125550123"),
}
CHANNELS = ("email", "sms", "letter", "phone")
TICK_HOURS = ((8, 30), (14, 30))  # UTC: inside business hours in Berlin and London, and
#                                    (the afternoon one) in New York, whatever the season
DAYS = 45
NOT_BY = frozenset({"sms", "phone", "call"})  # never the way a legal notice goes


# --- Ticking ----------------------------------------------------------------------------------

def tick_at(at: datetime) -> None:
    """One scheduler pass at ``at``, with the wall clock there too."""
    with time_machine.travel(at, tick=False):
        reminders_tick(now=at)


def tick_twice_daily(start: datetime, days: int) -> list[datetime]:
    """A tick at ``start``, then two a day (``TICK_HOURS``) for ``days`` days; the moments."""
    moments = [start]
    for offset in range(days + 1):
        day = start.astimezone(UTC).date() + timedelta(days=offset)
        for hour, minute in TICK_HOURS:
            at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            if start < at <= start + timedelta(days=days):
                moments.append(at)
    for at in moments:
        tick_at(at)
    return moments


@pytest.fixture
def cheap_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Letters skip the WeasyPrint PDF (a second or so each): what they say is not checked
    here, only that and when they went out."""
    monkeypatch.setattr("reminders.channels.letter.render_pdf", lambda html: b"%PDF-1.7 test")


# --- The checks -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Contact:
    """An automated contact the policy counts: a message, or a call instead of one."""

    at: datetime
    day: date  # the client's local day
    tone: str  # "" for a call a person was asked to make
    channel: str
    what: str


def automated_contacts(client: Client) -> list[Contact]:
    """The client's automated messages that went out (not failed or bounced), and the calls a
    person was asked to make instead of a message, in the order they happened."""
    zone = ZoneInfo(client.timezone)
    found = []
    for message in (OutboundMessage.objects.filter(client=client, reminders__isnull=False,
                                                   sent_at__isnull=False)
                    .exclude(status__in=FAILED_STATUSES).distinct()):
        assert message.sent_at is not None
        steps = sorted({r.step.name for r in message.reminders.select_related("step")})
        found.append(Contact(message.sent_at, message.sent_at.astimezone(zone).date(),
                             message.tone, message.channel,
                             f"message {message.pk} ({message.tone}: {', '.join(steps)})"))
    calls: dict[datetime, list[str]] = defaultdict(list)
    for row in Reminder.objects.filter(client=client, status=ReminderStatus.SENT,
                                       message__isnull=True, channel__in=("phone", "call"),
                                       sent_at__isnull=False).select_related("step"):
        if row.sent_at is not None and StepAction.SEND_MESSAGE in row.step.actions:
            calls[row.sent_at].append(row.step.name)
    for at, steps in calls.items():
        found.append(Contact(at, at.astimezone(zone).date(), "", "phone",
                             f"call instead of a message ({', '.join(sorted(set(steps)))})"))
    return sorted(found, key=lambda c: (c.at, c.what))


def _policy_breaches(client: Client, cadence: Cadence) -> list[str]:
    contacts = automated_contacts(client)
    gap, cap = cadence.min_days_between_messages, cadence.max_messages_per_30_days
    found = []
    for before, after in pairwise(contacts):
        if (after.day - before.day).days < gap:
            found.append(f"{client}: {after.what} on {after.day} only "
                         f"{(after.day - before.day).days} days after {before.what} on "
                         f"{before.day} (at least {gap})")
    if cap:
        for first, last in zip(contacts, contacts[cap:], strict=False):
            if (last.day - first.day).days < 30:
                found.append(f"{client}: {cap + 1} automated contacts within 30 days, "
                             f"{first.day} to {last.day} (at most {cap})")
    return found


def _tone_breaches(client: Client) -> list[str]:
    """Without payments every client is in one episode: its tones never step back."""
    assert not Payment.objects.filter(client=client).exists(), "the checks assume no payments"
    spoken = [c for c in automated_contacts(client) if c.tone]
    return [f"{client}: {after.what} on {after.day} is gentler than {before.what} on "
            f"{before.day}" for before, after in pairwise(spoken)
            if TONE_RANK[after.tone] < TONE_RANK[before.tone]]


def _legal_channel_breaches() -> list[str]:
    found = [f"{r.client}: the letter of demand for {r.invoice.number} by {r.channel} "
             f"({r.status})"
             for r in Reminder.objects.filter(step__legal_notice=True, channel__in=NOT_BY)
             .select_related("client", "invoice")]
    found += [f"{m.client}: a legal notice went out as message {m.pk} by {m.channel}"
              for m in OutboundMessage.objects.filter(reminders__step__legal_notice=True,
                                                      channel__in=NOT_BY).distinct()]
    return found


def handed_over_at(invoice: Invoice) -> datetime | None:
    """When the invoice went to collections: the status change on the timeline, or the
    hand-over step's row, whichever is earlier."""
    moments = [i.occurred_at for i in Interaction.objects.filter(
        kind=InteractionKind.STATUS_CHANGE, invoices=invoice)
        if i.metadata.get("to") == InvoiceStatus.IN_COLLECTIONS]
    moments += [at for at in Reminder.objects.filter(
        invoice=invoice, step__needs_notice=True, status=ReminderStatus.SENT).values_list(
        "sent_at", flat=True) if at is not None]
    return min(moments, default=None)


def _notice_breaches(notice_days: int) -> list[str]:
    found = []
    handed = set(Invoice.objects.filter(status=InvoiceStatus.IN_COLLECTIONS))
    handed |= {r.invoice for r in Reminder.objects.filter(
        step__needs_notice=True, status=ReminderStatus.SENT).select_related("invoice")}
    for invoice in sorted(handed, key=lambda i: i.pk):
        zone = ZoneInfo(invoice.client.timezone)
        when = handed_over_at(invoice)
        notice = Reminder.objects.filter(invoice=invoice, step__legal_notice=True,
                                         status=ReminderStatus.SENT).first()
        if when is None:
            found.append(f"{invoice.client}: {invoice.number} is in collections with no "
                         "hand-over on record")
        elif notice is None or notice.sent_at is None:
            found.append(f"{invoice.client}: {invoice.number} handed to collections at "
                         f"{when:%Y-%m-%d %H:%M %Z} without a letter of demand")
        else:
            days = (when.astimezone(zone).date() - notice.sent_at.astimezone(zone).date()).days
            if days < notice_days:
                found.append(f"{invoice.client}: {invoice.number} handed to collections "
                             f"{days} days after its letter of demand (at least "
                             f"{notice_days})")
    return found


def _stale_breaches() -> list[str]:
    """A pre-due or due-today step ("due in three days", "due today") held past the due date
    is dropped, never sent late."""
    found = []
    for row in Reminder.objects.filter(status=ReminderStatus.SENT, step__offset_days__lte=0,
                                       message__isnull=False, instalment__isnull=True
                                       ).select_related("client", "invoice", "step"):
        assert row.sent_at is not None
        day = row.sent_at.astimezone(ZoneInfo(row.client.timezone)).date()
        if overdue_on(row.invoice.due_date, day, row.client.country):
            found.append(f"{row.client}: '{row.step.name}' for {row.invoice.number} (due "
                         f"{row.invoice.due_date}) went out on {day}, when it was overdue")
    return found


def policy_violations() -> list[str]:
    """Everything issue 15's contact policy and legal steps forbid, found in the database
    (every client on the default cadence)."""
    cadence = Cadence.objects.get(is_default=True, purpose="invoices")
    found = []
    for client in Client.objects.order_by("pk"):
        found += _policy_breaches(client, cadence)
        found += _tone_breaches(client)
    return (found + _stale_breaches() + _legal_channel_breaches()
            + _notice_breaches(cadence.notice_days))


def escalations_per_tick() -> dict[tuple[str, datetime], set[str]]:
    """(client, tick) → the escalating steps (a legal notice, a hand-over, a step marked
    escalated) that went out for the client at that tick, where there was more than one."""
    steps: dict[tuple[str, datetime], set[str]] = defaultdict(set)
    for row in Reminder.objects.filter(status=ReminderStatus.SENT, sent_at__isnull=False
                                       ).select_related("client", "step"):
        if (row.step.legal_notice or row.step.needs_notice
                or {StepAction.HAND_TO_COLLECTIONS, StepAction.MARK_ESCALATED}
                & set(row.step.actions)) and row.sent_at is not None:
            steps[(str(row.client), row.sent_at)].add(row.step.name)
    return {key: names for key, names in steps.items() if len(names) > 1}


# --- Books ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceDraw:
    issued_days_before: int
    cents: int
    foreign: bool  # in the client's second currency


@dataclass(frozen=True)
class ClientDraw:
    country: str
    channels: tuple[str, ...]
    second_currency: str
    invoices: tuple[InvoiceDraw, ...]


@dataclass(frozen=True)
class Policy:
    min_days: int = 7
    per_30_days: int = 4
    notice_days: int = 14


invoices = st.builds(InvoiceDraw, issued_days_before=st.integers(0, 90),
                     cents=st.integers(1_00, 25_000_00), foreign=st.booleans())
clients = st.builds(
    ClientDraw, country=st.sampled_from(sorted(COUNTRIES)),
    channels=st.permutations(CHANNELS).flatmap(
        lambda order: st.integers(1, 4).map(lambda n: tuple(order[:n]))),
    second_currency=st.sampled_from(["EUR", "GBP", "USD"]),
    invoices=st.lists(invoices, min_size=1, max_size=8).map(tuple))
books = st.lists(clients, min_size=1, max_size=4).map(tuple)
policies = st.one_of(st.just(Policy()), st.builds(
    Policy, min_days=st.integers(1, 10), per_30_days=st.integers(1, 6),
    notice_days=st.integers(5, 21)))
starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30),
                      timezones=st.just(UTC))


def seed_book(book: tuple[ClientDraw, ...], start: datetime, policy: Policy,
              make_invoice: Callable[..., Invoice]) -> None:
    Cadence.objects.filter(is_default=True, purpose="invoices").update(
        min_days_between_messages=policy.min_days,
        max_messages_per_30_days=policy.per_30_days, notice_days=policy.notice_days)
    with time_machine.travel(start, tick=False):
        for n, drawn in enumerate(book):
            zone, currency, mobile = COUNTRIES[drawn.country]
            client = ClientFactory(display_name=f"Client {n} ({drawn.country}, "
                                                f"{'/'.join(drawn.channels)})",
                                   country=drawn.country, timezone=zone,
                                   default_currency=currency, mobile_phone=mobile,
                                   phone=mobile, channel_preferences=list(drawn.channels))
            for inv in drawn.invoices:
                make_invoice(client, str(Decimal(inv.cents) / 100),
                             issue_date=start.date() - timedelta(days=inv.issued_days_before),
                             currency=drawn.second_currency if inv.foreign else currency)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each example in a savepoint rolled back after it: hypothesis runs many examples in one
    test (and one database transaction)."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


# --- The property -----------------------------------------------------------------------------

@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(book=books, start=starts, policy=policies)
def test_ticks_keep_the_contact_policy_and_the_legal_steps(
        book: tuple[ClientDraw, ...], start: datetime, policy: Policy,
        make_invoice: Callable[..., Invoice], cheap_letters: None) -> None:
    with rolled_back():
        seed_book(book, start, policy, make_invoice)
        tick_twice_daily(start, DAYS)
        assert policy_violations() == []
        # Run with --hypothesis-show-statistics to see how far the books got.
        event("handed over to collections" if Invoice.objects.filter(
            status=InvoiceStatus.IN_COLLECTIONS).exists() else "no hand-over")
