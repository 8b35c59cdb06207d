"""Table-driven tests of the pure planner: time zones across DST, weekends and holidays,
pay-run alignment, catch-up and every stop condition."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.planner import ClientSpec, InvoiceSpec, StepSpec, Stop, plan, send_time, step_day

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

# The default cadence, by offset: -3, 0, +7, +14, +21 (call, high-value only), +30, +45.
STEPS = (StepSpec(1, -3), StepSpec(2, 0), StepSpec(3, 7), StepSpec(4, 14),
         StepSpec(5, 21, "call", frozenset({"high-value"})), StepSpec(6, 30, "letter"),
         StepSpec(7, 45, "call"))
DE = ClientSpec("Europe/Berlin", "DE", ("email", "sms", "letter"))
US = ClientSpec("America/New_York", "US", ("sms", "email"))


def invoice(due: date, **kwargs) -> InvoiceSpec:
    return InvoiceSpec(id=1, status=kwargs.pop("status", "open"),
                       issue_date=kwargs.pop("issue", date(2026, 1, 1)), due_date=due,
                       balance=kwargs.pop("balance", Decimal("100.00")), **kwargs)


@pytest.mark.parametrize(("status", "balance", "stop"), [
    ("paid", Decimal(0), Stop.PAID),
    ("open", Decimal(0), Stop.PAID),
    ("void", Decimal(100), Stop.VOID),
    ("written_off", Decimal(0), Stop.WRITTEN_OFF),
    ("disputed", Decimal(100), Stop.DISPUTED),
    ("in_collections", Decimal(100), Stop.IN_COLLECTIONS),
    ("draft", Decimal(100), Stop.DRAFT),
])
def test_stop_conditions_from_the_invoice(status, balance, stop):
    result = plan(invoice(date(2026, 3, 2), status=status, balance=balance), DE, STEPS,
                  datetime(2026, 3, 20, 10, tzinfo=BERLIN))
    assert (result.stop, result.due_step, result.next_action_at) == (stop, None, None)


def test_pause_stops_until_the_day_after_and_says_when_to_look_again():
    client = ClientSpec("Europe/Berlin", "DE", ("email",), paused_until=date(2026, 3, 27))
    result = plan(invoice(date(2026, 3, 2)), client, STEPS,
                  datetime(2026, 3, 20, 10, tzinfo=BERLIN))
    assert result.stop == Stop.PAUSED
    assert result.due_step is None
    assert result.next_action_at == datetime(2026, 3, 30, 9, tzinfo=BERLIN)  # Sat → Mon


def test_promise_not_yet_due_stops_then_resumes():
    promised = invoice(date(2026, 3, 2), promised_until=date(2026, 3, 24))
    during = plan(promised, DE, STEPS, datetime(2026, 3, 24, 16, tzinfo=BERLIN))
    after = plan(promised, DE, STEPS, datetime(2026, 3, 25, 10, tzinfo=BERLIN))
    assert (during.stop, during.due_step) == (Stop.PROMISED, None)
    assert after.stop is None and after.due_step == StepSpec(4, 14)


def test_no_usable_channel_stops():
    client = ClientSpec("Europe/Berlin", "DE", ())
    result = plan(invoice(date(2026, 3, 2)), client, STEPS,
                  datetime(2026, 3, 10, 10, tzinfo=BERLIN))
    assert result.stop == Stop.NO_CHANNEL


def test_catch_up_sends_only_the_latest_step():
    # Imported 40 days overdue: -3, 0, +7, +14, +30 all passed; only +30 is due.
    due = date(2026, 2, 2)
    result = plan(invoice(due), DE, STEPS, datetime(2026, 3, 14, 10, tzinfo=BERLIN))
    assert result.due_step == StepSpec(6, 30, "letter")
    assert result.channel == "letter"
    assert result.skipped_step_ids == (1, 2, 3, 4)
    assert result.next_action_at == datetime(2026, 3, 19, 9, tzinfo=BERLIN)  # +45


def test_call_step_only_for_tagged_clients():
    due = date(2026, 2, 2)
    now = datetime(2026, 2, 23, 10, tzinfo=BERLIN)  # +21
    plain = plan(invoice(due, planned_step_ids=frozenset({1, 2, 3, 4})), DE, STEPS, now)
    vip = ClientSpec("Europe/Berlin", "DE", ("email",), tags=frozenset({"high-value"}))
    tagged = plan(invoice(due, planned_step_ids=frozenset({1, 2, 3, 4})), vip, STEPS, now)
    assert plain.due_step is None
    assert (tagged.due_step, tagged.channel) == (StepSpec(5, 21, "call",
                                                          frozenset({"high-value"})), "call")


def test_planned_steps_are_not_planned_again_nor_earlier_ones():
    due = date(2026, 2, 2)
    result = plan(invoice(due, planned_step_ids=frozenset({4})), DE, STEPS,
                  datetime(2026, 2, 17, 10, tzinfo=BERLIN))
    assert result.due_step is None
    assert result.next_action_at == datetime(2026, 3, 4, 9, tzinfo=BERLIN)


@pytest.mark.parametrize(("now", "expected"), [
    # Inside business hours on the day: now.
    (datetime(2026, 3, 2, 10, 30, tzinfo=BERLIN), datetime(2026, 3, 2, 10, 30, tzinfo=BERLIN)),
    # Before hours: the day's start.
    (datetime(2026, 3, 2, 6, 0, tzinfo=BERLIN), datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)),
    # After hours: next business day.
    (datetime(2026, 3, 2, 18, 0, tzinfo=BERLIN), datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN)),
    # Friday evening: Monday.
    (datetime(2026, 3, 6, 17, 0, tzinfo=BERLIN), datetime(2026, 3, 9, 9, 0, tzinfo=BERLIN)),
    # 21:30 UTC Sunday is still Sunday evening in New York... for a Berlin client it's Sunday
    # night: Monday 09:00 Berlin.
    (datetime(2026, 3, 8, 21, 30, tzinfo=UTC), datetime(2026, 3, 9, 9, 0, tzinfo=BERLIN)),
])
def test_send_time_respects_business_hours(now, expected):
    assert send_time(date(2026, 3, 2), now, DE) == expected


@pytest.mark.parametrize(("due", "expected_day"), [
    (date(2026, 12, 25), date(2026, 12, 28)),  # Christmas (Fri) → Mon (26th is a holiday too)
    (date(2026, 3, 7), date(2026, 3, 9)),  # Saturday → Monday
    (date(2026, 4, 3), date(2026, 4, 7)),  # Good Friday, Easter Monday → Tuesday
])
def test_step_day_moves_to_the_next_business_day(due, expected_day):
    assert step_day(StepSpec(2, 0), invoice(due), DE) == expected_day


def test_dst_change_keeps_local_wall_clock():
    # Europe switches to summer time on 2026-03-29; 09:00 local is 08:00 UTC before and
    # 07:00 UTC after.
    before = send_time(date(2026, 3, 27), datetime(2026, 3, 26, 20, tzinfo=UTC), DE)
    after = send_time(date(2026, 3, 30), datetime(2026, 3, 29, 20, tzinfo=UTC), DE)
    assert (before.astimezone(UTC).time(), after.astimezone(UTC).time()) == (time(8), time(7))
    # New York switched on 2026-03-08: 09:00 local is 13:00 UTC after.
    ny = send_time(date(2026, 3, 9), datetime(2026, 3, 8, 23, tzinfo=UTC), US)
    assert ny.astimezone(UTC) == datetime(2026, 3, 9, 13, tzinfo=UTC)


def test_same_utc_instant_different_local_decisions():
    now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 16:30 Berlin, 10:30 New York
    assert send_time(date(2026, 3, 2), now, DE) == now.astimezone(BERLIN)
    tokyo = ClientSpec("Asia/Tokyo", "JP", ("email",))  # 00:30 Tuesday in Tokyo
    assert send_time(date(2026, 3, 2), now, tokyo) == datetime(2026, 3, 3, 9,
                                                               tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.mark.parametrize(("pay_run", "due", "expected"), [
    # Pays on the 15th and last business day; due Tue 2026-12-15 → the run is the 15th,
    # nudge two business days before: Fri 11th (earlier than the plain -3 = Sat 12th).
    ((15, "last-business"), date(2026, 12, 15), date(2026, 12, 11)),
    # Due the 20th: the run before is the 15th → nudge Fri 11th, not the 17th.
    ((15, "last-business"), date(2026, 12, 20), date(2026, 12, 11)),
    # No pay run: plain 3 days before (Thu 17th).
    ((), date(2026, 12, 20), date(2026, 12, 17)),
])
def test_pre_due_nudge_aligned_with_pay_run(pay_run, due, expected):
    client = ClientSpec("America/New_York", "US", ("email",), pay_run_days=pay_run)
    assert step_day(StepSpec(1, -3), invoice(due), client) == expected


def test_pre_due_nudge_never_before_the_invoice_exists():
    client = ClientSpec("America/New_York", "US", ("email",), pay_run_days=(1,))
    spec = invoice(date(2026, 12, 20), issue=date(2026, 12, 10))
    assert step_day(StepSpec(1, -3), spec, client) == date(2026, 12, 10)


def test_quiet_hours_cannot_be_configured_away():
    with pytest.raises(ValueError, match="between 08:00 and 21:00"):
        ClientSpec("Europe/Berlin", "DE", ("email",), business_start=time(7),
                   business_end=time(17))
    with pytest.raises(ValueError):
        ClientSpec("Europe/Berlin", "DE", ("email",), business_end=time(22))


def test_fixed_channel_falls_back_to_preferred_when_unusable():
    client = ClientSpec("Europe/Berlin", "DE", ("sms",))
    due = date(2026, 2, 2)
    result = plan(invoice(due, planned_step_ids=frozenset({1, 2, 3, 4})), client, STEPS,
                  datetime(2026, 3, 4, 10, tzinfo=BERLIN))
    assert result.due_step.id == 6 and result.channel == "sms"


def test_cadence_complete_when_nothing_left():
    result = plan(invoice(date(2026, 1, 5), planned_step_ids=frozenset({7})), DE, STEPS,
                  datetime(2026, 6, 1, 10, tzinfo=BERLIN))
    assert (result.stop, result.due_step, result.next_action_at) == (Stop.CADENCE_DONE, None,
                                                                     None)
