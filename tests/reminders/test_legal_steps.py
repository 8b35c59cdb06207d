"""Legal steps keep their channel and escalation needs its notice (issue 15, items 2 and 3):
table-driven planner cases, a property over random invoices and days, and the tick's side (a
task instead of a downgrade, no fallback to SMS)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.planner import ClientSpec, InvoiceSpec, StepSpec, Stop, plan

BERLIN = ZoneInfo("Europe/Berlin")
DEMAND = StepSpec(6, 30, "letter", legal_notice=True)
HANDOVER = StepSpec(7, 45, "call", needs_notice=True, notice_days=14)
STEPS = (StepSpec(1, -3), StepSpec(2, 0), StepSpec(3, 7), StepSpec(4, 14), DEMAND, HANDOVER)
DUE = date(2026, 1, 5)  # a Monday


def client(*channels: str) -> ClientSpec:
    return ClientSpec("Europe/Berlin", "DE", channels)


def invoice(planned: tuple[int, ...] = (), sent_on: date | None = None) -> InvoiceSpec:
    return InvoiceSpec(id=1, status="open", issue_date=DUE - timedelta(days=30), due_date=DUE,
                       balance=Decimal("100.00"), planned_step_ids=frozenset(planned),
                       notice_sent_on=sent_on)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=BERLIN)


@pytest.mark.parametrize(("channels", "step_channel", "expected"), [
    (("email", "sms", "letter"), "letter", "letter"),  # the letter, not the first preference
    (("sms", "email"), "letter", None),  # no address: nobody is sent an SMS instead
    (("sms", "email"), "preferred", "email"),  # "preferred": by letter or e-mail only
    (("sms", "phone"), "preferred", None),
])
def test_a_legal_notice_goes_by_its_own_channel_or_not_at_all(channels: tuple[str, ...],
                                                               step_channel: str,
                                                               expected: str | None) -> None:
    demand = StepSpec(6, 30, step_channel, legal_notice=True)
    result = plan(invoice(planned=(1, 2, 3, 4)), client(*channels), (*STEPS[:4], demand),
                  at(DUE + timedelta(days=30)))
    if expected is None:
        assert (result.due_step, result.stop) == (None, Stop.NO_LEGAL_CHANNEL)
    else:
        assert (result.due_step, result.channel) == (demand, expected)


def test_a_catch_up_sends_the_notice_instead_of_handing_over() -> None:
    # 75 days late and never reminded: the +45 hand-over has come, but the notice comes first.
    result = plan(invoice(), client("email", "letter"), STEPS, at(DUE + timedelta(days=75)))
    assert result.due_step == DEMAND and result.channel == "letter"
    assert set(result.skipped_step_ids) == {1, 2, 3, 4}  # never the hand-over
    # Saturday 21 March: looked at again on Monday (the notice is out, then it runs).
    assert result.next_action_at == datetime(2026, 3, 23, 9, tzinfo=BERLIN)


@pytest.mark.parametrize(("sent_on", "today", "due", "look_again"), [
    (None, date(2026, 3, 2), False, date(2026, 3, 3)),  # planned, still in the outbox
    (date(2026, 2, 10), date(2026, 2, 23), False, date(2026, 2, 24)),  # 13 days of 14
    (date(2026, 2, 10), date(2026, 2, 24), True, None),  # the notice has run
])
def test_the_hand_over_waits_for_the_notice_period(sent_on: date | None, today: date,
                                                   due: bool, look_again: date | None) -> None:
    result = plan(invoice(planned=(1, 2, 3, 4, 6), sent_on=sent_on), client("email", "letter"),
                  STEPS, at(today))
    assert (result.due_step == HANDOVER) is due
    if look_again is not None:
        assert result.next_action_at == datetime.combine(look_again, datetime.min.time()
                                                         ).replace(hour=9, tzinfo=BERLIN)


def test_a_cadence_without_a_legal_notice_hands_over_as_before() -> None:
    steps = (*STEPS[:4], HANDOVER)
    result = plan(invoice(planned=(1, 2, 3, 4)), client("email"), steps,
                  at(DUE + timedelta(days=46)))
    assert result.due_step == HANDOVER


@settings(max_examples=300, deadline=None, database=None)
@given(days_late=st.integers(min_value=-5, max_value=120),
       planned=st.sets(st.sampled_from([1, 2, 3, 4, 6])),
       sent_days_ago=st.one_of(st.none(), st.integers(min_value=0, max_value=60)),
       channels=st.permutations(["email", "sms", "letter", "phone"]).flatmap(
           lambda order: st.integers(min_value=1, max_value=4).map(lambda n: order[:n])))
def test_property_no_demand_by_sms_or_call_and_no_hand_over_without_notice(
        days_late: int, planned: set[int], sent_days_ago: int | None,
        channels: list[str]) -> None:
    today = DUE + timedelta(days=days_late)
    sent_on = None
    if 6 in planned and sent_days_ago is not None:
        sent_on = today - timedelta(days=sent_days_ago)
    result = plan(invoice(planned=tuple(planned), sent_on=sent_on), client(*channels), STEPS,
                  at(today))
    if result.due_step == DEMAND:
        assert result.channel == "letter"
    if result.due_step == HANDOVER:
        assert 6 in planned and sent_on is not None
        assert today >= sent_on + timedelta(days=14)


# --- The tick's side ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_no_postal_address_a_task_not_a_downgrade(owner: Any, overdue: Any, at_now: Any) -> None:
    from django.core import mail

    from reminders.models import OutboundMessage, Reminder
    from tests.factories import ClientFactory
    from tests.reminders.support import NOW, tick
    from work.models import Task

    customer = ClientFactory(owner=owner, address_line1="", mobile_phone="+4915112345678",
                             channel_preferences=["sms", "email", "letter"])
    late = overdue(customer, 35)
    tick(NOW)
    assert not Reminder.objects.filter(invoice=late).exists()
    assert not OutboundMessage.objects.exists() and mail.outbox == []
    task = Task.objects.get(client=customer)
    assert task.title == f"The letter of demand for {late.number} cannot go out"
    assert "never by SMS or a call" in task.script


@pytest.mark.django_db
def test_a_failed_letter_of_demand_never_falls_back_to_sms(owner: Any, overdue: Any,
                                                          at_now: Any) -> None:
    from reminders.channels.fallback import fall_back
    from reminders.models import CadenceStep, Reminder, ReminderStatus
    from tests.factories import ClientFactory
    from tests.reminders.support import NOW
    from work.models import Task

    customer = ClientFactory(owner=owner, mobile_phone="+4915112345678",
                             channel_preferences=["letter", "sms", "email"])
    late = overdue(customer, 35)
    row = Reminder.objects.create(invoice=late, client=customer, channel="letter",
                                  step=CadenceStep.objects.get(template_key="demand_30"),
                                  status=ReminderStatus.SENT, scheduled_for=NOW, sent_at=NOW)
    assert fall_back(rows=[row], expected=ReminderStatus.SENT, failed_channel="letter",
                     why="Letter returned: addressee unknown.", now=NOW) is None
    row.refresh_from_db()
    assert row.status == ReminderStatus.FAILED and row.channel == "letter"
    assert Task.objects.filter(client=customer, kind="no_channel").exists()


@pytest.mark.django_db
def test_one_escalation_per_client_per_tick(owner: Any, overdue: Any, at_now: Any) -> None:
    """A hand-over and another invoice's letter of demand fall due together (after downtime,
    say): the hand-over goes now, the letter the next business day, never both at once."""
    from receivables.models import InvoiceStatus
    from reminders.models import Reminder, ReminderStatus
    from tests.factories import ClientFactory
    from tests.reminders.support import BERLIN, NOW, tick

    customer = ClientFactory(owner=owner, channel_preferences=["email", "letter"])
    first = overdue(customer, 60)
    tick(NOW - timedelta(days=20))  # 40 days late then: its letter of demand goes out
    assert Reminder.objects.get(invoice=first, step__legal_notice=True).status == "sent"
    second = overdue(customer, 31)  # +30: its own letter of demand is due today
    tick(NOW)  # the first's +45 hand-over (notice passed) and the second's letter: one goes
    first.refresh_from_db()
    assert first.status == InvoiceStatus.IN_COLLECTIONS
    waiting = Reminder.objects.get(invoice=second, step__legal_notice=True)
    assert waiting.status == ReminderStatus.SCHEDULED
    assert waiting.scheduled_for == datetime(2026, 3, 18, 9, tzinfo=BERLIN)
    tick(datetime(2026, 3, 18, 10, tzinfo=BERLIN))
    waiting.refresh_from_db()
    assert waiting.status == ReminderStatus.SENT


@pytest.mark.django_db
def test_the_letter_of_demand_has_an_email_copy_where_there_is_an_address(
        owner: Any, overdue: Any, at_now: Any) -> None:
    from django.core import mail

    from reminders.models import MessageStatus, OutboundMessage
    from tests.factories import ClientFactory
    from tests.reminders.support import NOW, tick

    customer = ClientFactory(owner=owner, channel_preferences=["letter", "email"])
    without = ClientFactory(owner=owner, email="", channel_preferences=["letter"])
    late, other = overdue(customer, 35), overdue(without, 35)
    tick(NOW)
    letter = OutboundMessage.objects.get(client=customer, channel="letter")
    assert letter.status == MessageStatus.PRINT_QUEUE
    [copy] = mail.outbox  # only the client with an address gets one
    assert copy.to == [customer.email] and late.number in copy.body
    assert copy.body.startswith("Dies ist eine Kopie des Schreibens")
    stored = OutboundMessage.objects.get(client=customer, channel="email")
    assert (stored.tone, stored.sent_at) == ("final", NOW)
    assert customer.interactions.filter(kind="email_reminder").exists()
    assert OutboundMessage.objects.filter(client=without).count() == 1  # the letter alone
    assert other.number not in copy.body


@pytest.mark.django_db
def test_a_letter_of_demand_names_only_overdue_invoices(owner: Any, overdue: Any,
                                                        at_now: Any) -> None:
    from reminders.models import OutboundMessage, Reminder, ReminderStatus
    from tests.factories import ClientFactory
    from tests.reminders.support import NOW, tick

    customer = ClientFactory(owner=owner, channel_preferences=["letter"])
    late = overdue(customer, 31)
    upcoming = overdue(customer, -3)  # its nudge is today
    tick(NOW)
    letter = OutboundMessage.objects.get(channel="letter")
    assert late.number in letter.html and upcoming.number not in letter.html
    nudge = Reminder.objects.get(invoice=upcoming)
    assert nudge.status == ReminderStatus.SKIPPED and "only overdue" in nudge.last_error
