"""The demo book's reminder history (receivables.demo.history): 90 days of the engine's life
before the book's day, kept to the engine's rules, so analytics and timelines mean something
at first login and the forecast after it stays trustworthy."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from clients.business import business
from clients.models import Client, ContactFlag, Interaction, InteractionKind
from core import calendar as cal
from core import planner
from receivables.demo import DemoOptions, seed_demo_book, verify_book
from receivables.demo.options import HISTORY_DAYS, HISTORY_MAX_INVOICES
from receivables.models import Invoice, InvoiceStatus
from reminders import selectors
from reminders.dispatch import tone_floors
from reminders.forecast import forecast
from reminders.models import (
    FAILED_STATUSES,
    CadenceStep,
    MessageEvent,
    OutboundMessage,
    Reminder,
    StepAction,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 3)  # a Wednesday
NOON = datetime(2026, 6, 3, 12, tzinfo=UTC)
START = TODAY - timedelta(days=HISTORY_DAYS)
SMALL = {"clients": 20, "invoices": 150}


@pytest.fixture(autouse=True)
def on_today() -> Any:
    with time_machine.travel(NOON, tick=False):
        yield


def seed(**options: Any) -> Any:
    return seed_demo_book(DemoOptions(today=TODAY, **{
        **SMALL, "history_days": HISTORY_DAYS, **options}))


def local(moment: datetime | None, client: Client) -> datetime:
    assert moment is not None
    return moment.astimezone(ZoneInfo(client.timezone))


def contact_days(client: Client) -> list[tuple[date, int]]:
    """(local day, tone rank) of each contact the policy counts: messages that reached the
    client with reminders in them, and calls asked for instead of a message."""
    found: dict[date, int] = {}
    for message in OutboundMessage.objects.filter(client=client, reminders__isnull=False,
                                                  sent_at__isnull=False).exclude(
            status__in=FAILED_STATUSES).distinct():
        day = local(message.sent_at, client).date()
        found[day] = max(found.get(day, 0), planner.TONE_RANK[message.tone])
    for reminder in Reminder.objects.filter(client=client, status="sent", message__isnull=True,
                                            channel__in=("phone", "call")).select_related("step"):
        if StepAction.SEND_MESSAGE in reminder.step.actions:
            day = local(reminder.sent_at, client).date()
            found[day] = max(found.get(day, 0), planner.TONE_RANK[reminder.step.tone])
    return sorted(found.items())


def assert_policy(days: list[date], who: str) -> None:
    """At most one contact per 7 days and four per 30 days (the standard cadence's policy)."""
    for earlier, later in pairwise(days):
        assert (later - earlier).days >= 7, (who, earlier, later)
    for first in days:
        assert sum(1 for d in days if first <= d < first + timedelta(days=30)) <= 4, (who, first)


def test_the_book_gets_its_history_and_stays_consistent() -> None:
    report = seed()

    assert verify_book() == []
    sent = Reminder.objects.filter(status="sent", message__isnull=False)
    assert sent.count() > 50 and report.history["messages"] > 30
    moments = [at for at in sent.values_list("sent_at", flat=True) if at is not None]
    assert min(moments).date() >= START and max(moments) < NOON
    assert {"email", "sms", "letter"} <= set(OutboundMessage.objects.values_list(
        "channel", flat=True))
    statuses = set(OutboundMessage.objects.values_list("status", flat=True))
    assert {"delivered", "opened", "clicked", "posted"} <= statuses
    assert MessageEvent.objects.filter(event__in=["delivered", "opened", "clicked"]).exists()
    kinds = set(Interaction.objects.filter(occurred_at__date__gte=START).values_list(
        "kind", flat=True))
    assert {"email_reminder", "sms_reminder", "letter_reminder", "delivery", "call", "note",
            "promise_to_pay", "payment", "escalation"} <= kinds
    # Promises kept (paid by the promised day) and broken (flagged, reminders resumed).
    assert Interaction.objects.filter(kind=InteractionKind.ESCALATION,
                                      summary__startswith="Broken promise").exists()
    assert report.history.get("promises kept", 0) > 0
    # Payments that came in after a reminder.
    reminded_then_paid = [r for r in sent.filter(invoice__status=InvoiceStatus.PAID)
                          .select_related("invoice") if r.invoice.allocations.filter(
                              payment__received_on__gte=local(r.sent_at, r.client).date())
                          .exists()]
    assert reminded_then_paid
    # Each message's timeline entry names it, with what was sent.
    message: Any = OutboundMessage.objects.filter(channel="email", reminders__isnull=False
                                                  ).first()
    entry = Interaction.objects.get(kind="email_reminder", metadata__message_id=message.pk)
    assert entry.content["subject"] == message.subject and message.text
    assert message.created_at == message.sent_at


def test_history_keeps_the_contact_policy_and_never_softens_the_tone() -> None:
    seed()
    owed_until = _owed_until()
    for client in Client.objects.all():
        assert_policy([d for d, _ in contact_days(client)], client.reference)
        # Within an episode (while something a message chased is still owed) the tone
        # never goes back to a gentler one.
        messages = list(OutboundMessage.objects.filter(
            client=client, reminders__isnull=False).exclude(status__in=FAILED_STATUSES)
            .distinct().order_by("sent_at"))
        for n, message in enumerate(messages):
            assert message.sent_at is not None
            floor = max((planner.TONE_RANK[m.tone] for m in messages[:n]
                         if any(owed_until[i] > message.sent_at
                                for i in m.reminders.values_list("invoice_id", flat=True))),
                        default=0)
            assert planner.TONE_RANK[message.tone] >= floor, (client.reference, message.pk)


def _owed_until() -> dict[int, datetime]:
    """Invoice id → when it stopped being owed (paid, disputed, written off), else far away."""
    far = datetime(9999, 1, 1, tzinfo=UTC)
    until: dict[int, datetime] = defaultdict(lambda: far)
    for entry in Interaction.objects.filter(kind__in=["status_change", "payment"]).order_by(
            "occurred_at").prefetch_related("invoices"):
        for invoice in entry.invoices.all():
            to = entry.metadata.get("to")
            paid = entry.kind == "payment" and invoice.status == InvoiceStatus.PAID and (
                not invoice.allocations.filter(
                    payment__received_on__gt=local(entry.occurred_at, invoice.client).date())
                .exists())
            if (to in ("disputed", "written_off", "paid") or paid) and until[invoice.pk] > \
                    entry.occurred_at:
                until[invoice.pk] = entry.occurred_at
    return until


def test_messages_follow_the_cadence_the_clock_and_the_client_s_channels() -> None:
    seed()
    assert_messages_follow_the_rules()


def assert_messages_follow_the_rules() -> None:
    profile = business()
    flags = list(ContactFlag.objects.all())
    book = selectors.CadenceBook()
    for reminder in Reminder.objects.filter(status="sent", message__isnull=False).select_related(
            "message", "client", "invoice", "step"):
        client, step = reminder.client, reminder.step
        message: Any = reminder.message
        when = local(message.sent_at, client)
        # On a business day of the client's country, in business hours, in their zone.
        assert cal.is_business_day(when.date(), client.country), reminder.pk
        assert profile.start <= when.time() < profile.end, (reminder.pk, when)
        # The step's day had come, and a step before the due date is never sent once overdue.
        spec = selectors.client_spec(client, frozenset(t.name for t in client.tags.all()))
        day = planner.step_day(book.steps[step.cadence_id][[s.id for s in book.steps[
            step.cadence_id]].index(step.pk)], selectors.invoice_spec(reminder.invoice, set()),
            spec)
        assert day <= when.date(), (reminder.pk, day, when)
        assert not planner.stale_on(step.offset_days, reminder.invoice.due_date, when.date(),
                                    client.country), reminder.pk
        # The message speaks at least as firmly as its own step.
        assert planner.TONE_RANK[message.tone] >= planner.TONE_RANK[step.tone]
        # By the client's first working channel then (a legal notice by its own channel),
        # never to a contact point flagged before.
        flagged = {f.channel for f in flags if f.client_id == client.pk
                   and f.created_at <= message.sent_at}
        usable = [c for c in client.channel_preferences
                  if c not in flagged and client.contact_for(c)]
        assert message.channel in usable, reminder.pk
        lead = max(Reminder.objects.filter(message=message).select_related("step"),
                   key=lambda r: (planner.TONE_RANK[r.step.tone], r.step.offset_days,
                                  r.step.pk))
        if lead.step.legal_notice:
            assert message.channel in ("letter", "email")
        elif not reminder.failed_channels:
            assert message.channel == usable[0], (reminder.pk, message.channel, usable)
    for flag in flags:
        assert not OutboundMessage.objects.filter(
            client=flag.client, channel=flag.channel, to=flag.value,
            sent_at__gt=flag.created_at).exists(), flag


def test_bounces_and_opt_outs_flag_the_contact_point_and_fall_back(monkeypatch: Any) -> None:
    """Many bounces and STOP replies: each flags its contact point, the bounced reminders go
    on by the client's next channel, and nothing is sent to a flagged point again."""
    from receivables.demo import history

    monkeypatch.setattr(history, "BOUNCE", 0.5)
    monkeypatch.setattr(history, "OPT_OUT", 0.5)
    seed()
    bounced = list(OutboundMessage.objects.filter(status="bounced").select_related("client"))
    assert bounced and ContactFlag.objects.filter(reason="opted_out").exists()
    for message in bounced:
        assert ContactFlag.objects.filter(client=message.client, channel="email",
                                          value=message.to, reason="bounced").exists()
        for reminder in message.reminders.all():  # they went on by the next channel
            assert "email" in reminder.failed_channels and reminder.channel != "email"
    moved = [r for r in Reminder.objects.filter(status="sent", message__isnull=False)
             .select_related("message") if "email" in r.failed_channels]
    assert moved
    for reminder in moved:
        carrier: Any = reminder.message
        if reminder.channel in ("phone", "call"):  # a person called: no new message
            assert carrier.status == "bounced"
            continue
        assert carrier.channel == reminder.channel != "email"
    assert_messages_follow_the_rules()
    for client in Client.objects.all():
        assert_policy([d for d, _ in contact_days(client)], client.reference)


def test_the_forecast_after_the_history_keeps_the_policy() -> None:
    """What the engine will send next, with what the history sent: at most four contacts in
    30 days, a week apart, and no gentler tone than the episode has reached."""
    seed()
    now = datetime.combine(TODAY, time(7, 30), tzinfo=UTC)
    sends = {s.name: StepAction.SEND_MESSAGE in s.actions for s in CadenceStep.objects.all()}
    entries = [e for e in forecast(now=now, days=30) if sends[e["step"]]]
    assert entries
    clients = {c.reference: c for c in Client.objects.all()}
    floors = tone_floors([c.pk for c in clients.values()])
    ahead: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for entry in entries:
        ahead[entry["client_reference"]].append(
            (datetime.fromisoformat(entry["send_at"]).date(), planner.TONE_RANK[entry["tone"]]))
    for reference, client in clients.items():
        past = contact_days(client)
        days = sorted({d for d, _ in past} | {d for d, _ in ahead[reference]})
        assert_policy(days, reference)
        tones = [t for _, t in sorted(ahead[reference])]
        assert tones == sorted(tones) and all(t >= floors.get(client.pk, 0) for t in tones), (
            reference, tones)


def test_the_real_planner_finds_nothing_the_history_missed() -> None:
    """A pass of the engine's planner over the book at the end of its day plans only steps
    whose day is that day: every earlier step was planned by the history."""
    from reminders.planning import reminders_plan

    seed()
    before = set(Reminder.objects.values_list("pk", flat=True))
    end = datetime.combine(TODAY, time(20), tzinfo=UTC)  # business hours began everywhere
    book = selectors.CadenceBook()
    reminders_plan(now=end)
    for reminder in Reminder.objects.exclude(pk__in=before).select_related(
            "client", "invoice", "step"):
        client = reminder.client
        spec = selectors.client_spec(client, frozenset(t.name for t in client.tags.all()))
        steps = book.steps[reminder.step.cadence_id]
        step = next(s for s in steps if s.id == reminder.step_id)
        day = planner.step_day(step, selectors.invoice_spec(reminder.invoice, set()), spec)
        assert day == client.local_today(end), (reminder.invoice.number, reminder.step.name,
                                                day)


def test_the_analytics_page_shows_real_numbers() -> None:
    seed()
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(get_user_model().objects.get(username="bookkeeper"))
    response = browser.get(reverse("insights:analytics"))
    assert response.status_code == 200
    total = response.context["total"]
    assert total["reminders"] > 30 and total["messages"] > 20
    for rate in ("delivery", "opens", "clicks", "conversion"):
        assert total[rate]["text"] != "—", (rate, total[rate])
    assert total["median"] != "—" and total["paid"] > 0
    steps = {row["label"] for row in response.context["tables"][0]["rows"]}
    assert any("Letter of demand" in label for label in steps)
    assert any("Friendly nudge" in label for label in steps)


def test_history_is_reproducible_and_leaves_the_money_alone() -> None:
    def fingerprint(**options: Any) -> tuple[list[Any], list[Any]]:
        with transaction.atomic():
            seed(clients=8, invoices=60, **options)
            messages = list(OutboundMessage.objects.order_by("sent_at", "client__reference",
                                                             "channel").values_list(
                "client__reference", "channel", "sent_at", "subject", "text", "status"))
            money = list(Invoice.objects.order_by("number").values_list(
                "number", "total", "amount_paid", "charges_total", "reductions_total"))
            transaction.set_rollback(True)
        return messages, money

    with_history = fingerprint()
    assert with_history == fingerprint()
    without = fingerprint(history_days=0)
    assert with_history[0] and not without[0]
    assert with_history[1] == without[1]  # the same invoices and payments either way


def test_history_is_off_for_benchmark_books_unless_asked() -> None:
    assert DemoOptions().history == 0  # seed_demo_book's callers ask for it
    assert DemoOptions(history_days=None).history == HISTORY_DAYS
    assert DemoOptions(history_days=None, invoices=HISTORY_MAX_INVOICES + 1).history == 0
    assert DemoOptions(history_days=30, invoices=HISTORY_MAX_INVOICES + 1).history == 30
