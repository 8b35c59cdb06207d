"""`reminders_forecast`: what the cadence would send over the next days, read-only; and the
`--now` argument both management commands share."""

import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from clients.models import Interaction
from clients.services import client_pause_reminders, client_set_tags
from receivables import services as receivables
from receivables.models import Invoice, InvoiceStatus
from reminders.models import OutboundMessage, Reminder, ReminderStatus, SchedulerState
from reminders.tick import reminders_tick
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
UTC = ZoneInfo("UTC")
NOW = datetime(2026, 1, 13, 7, 0, tzinfo=UTC)  # a Tuesday: 08:00 Berlin, 02:00 New York
NOW_ISO = "2026-01-13T07:00:00+00:00"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def berlin(db: Any) -> Any:
    return ClientFactory(display_name="Müller Bau GmbH", reference="C-BER")


@pytest.fixture
def new_york(db: Any) -> Any:
    return ClientFactory(display_name="Acme Corp", reference="C-NYC", language="en",
                         country="US", timezone="America/New_York", default_currency="USD",
                         mobile_phone="+12125550123")


def forecast(*args: str, now: str = NOW_ISO, days: int = 30) -> list[dict[str, Any]]:
    out = StringIO()
    call_command("reminders_forecast", "--days", str(days), "--now", now, "--format", "json",
                 *args, stdout=out)
    return json.loads(out.getvalue())


def brief(entries: list[dict[str, Any]]) -> list[tuple[str, list[str], str, str, str]]:
    return [(e["client"], e["invoices"], e["step"], e["channel"], e["send_at"])
            for e in entries]


def test_json_lists_each_message_with_the_clients_offset(berlin, new_york, make_invoice):
    ber = make_invoice(berlin, issue_date=date(2025, 12, 20))  # due Mon 19 January
    nyc = make_invoice(new_york, issue_date=date(2025, 12, 22))  # due Wed 21 January
    entries = forecast()
    assert isinstance(entries, list) and all(isinstance(e, dict) for e in entries)
    for entry in entries:
        assert {"client", "invoices", "step", "channel", "send_at", "language"} <= set(entry)
        assert datetime.fromisoformat(entry["send_at"]).tzinfo is not None
    # At most one message a week: each "Due today", held past its day, is dropped (its words
    # would no longer be true); the follow-ups wait their week.
    assert brief(entries) == [
        ("Müller Bau GmbH", [ber.number], "Friendly nudge", "email",
         "2026-01-16T09:00:00+01:00"),  # -3 = Friday
        # -3 is Sunday 18th, Monday 19th is Martin Luther King Jr. Day: Tuesday.
        ("Acme Corp", [nyc.number], "Friendly nudge", "email", "2026-01-20T09:00:00-05:00"),
        ("Müller Bau GmbH", [ber.number], "Polite follow-up", "email",
         "2026-01-26T09:00:00+01:00"),
        ("Acme Corp", [nyc.number], "Polite follow-up", "email", "2026-01-28T09:00:00-05:00"),
        ("Müller Bau GmbH", [ber.number], "Firmer, offers a plan", "email",
         "2026-02-02T09:00:00+01:00"),
        ("Acme Corp", [nyc.number], "Firmer, offers a plan", "email",
         "2026-02-04T09:00:00-05:00"),
    ]
    assert {e["client"]: e["language"] for e in entries} == {"Müller Bau GmbH": "de",
                                                             "Acme Corp": "en"}
    assert {e["client_reference"] for e in entries} == {"C-BER", "C-NYC"}
    assert [e["tone"] for e in entries if e["client"] == "Acme Corp"] == [
        "friendly", "friendly", "firm"]


def test_invoices_due_together_are_one_message(berlin, make_invoice):
    invoices = [make_invoice(berlin, issue_date=date(2025, 12, 20)) for _ in range(3)]
    fourth = make_invoice(berlin, issue_date=date(2025, 12, 21))  # due a day later
    entries = [(e["step"], e["invoices"], e["send_at"][:10]) for e in forecast(days=21)]
    three = [i.number for i in invoices]
    assert entries == [
        ("Friendly nudge", three, "2026-01-16"),
        # The fourth's nudge (Monday 19th) and the three's "Due today" wait a week, and are
        # then untrue: dropped. The three's +7 goes out on Monday 26th.
        ("Polite follow-up", three, "2026-01-26"),
        # The fourth's +7 (Tuesday 27th) waits for the three's +14: one message for all four,
        # in the more advanced step's words.
        ("Firmer, offers a plan", [*three, fourth.number], "2026-02-02"),
    ]


def test_days_limit_the_horizon(berlin, make_invoice):
    make_invoice(berlin, issue_date=date(2025, 12, 20))
    assert forecast(days=0) == []
    # The nudge goes out on 16 January 09:00 Berlin = 08:00 UTC: three days from now plus
    # an hour, so just outside a three-day horizon.
    assert forecast(days=3) == []
    assert [e["step"] for e in forecast(days=4)] == ["Friendly nudge"]
    # "Due today" (19th) is three days after the nudge: held a week, then untrue, dropped.
    assert [e["step"] for e in forecast(days=13)] == ["Friendly nudge"]
    assert [e["step"] for e in forecast(days=14)] == ["Friendly nudge", "Polite follow-up"]
    assert len(forecast(days=365)) == 5  # the whole cadence: -3, +7, +14, +30, +45


def test_offsets_follow_daylight_saving_time(berlin, new_york, make_invoice):
    make_invoice(berlin, issue_date=date(2026, 2, 20))  # due Sun 22 March
    make_invoice(new_york, issue_date=date(2026, 1, 5))  # due Wed 4 February
    entries = forecast(now="2026-02-20T12:00:00+00:00", days=45)
    ber = {e["step"]: e["send_at"] for e in entries if e["client"] == "Müller Bau GmbH"}
    nyc = {e["step"]: e["send_at"] for e in entries if e["client"] == "Acme Corp"}
    # Europe moves to summer time on 29 March, the US on 8 March.
    assert ber["Friendly nudge"] == "2026-03-19T09:00:00+01:00"
    assert "Due today" not in ber  # four days after the nudge: held, then untrue
    assert ber["Polite follow-up"] == "2026-03-30T09:00:00+02:00"  # +7 = Sun 29th → Mon 30th
    # Catch-up: +7 (11 Feb) passed unplanned; +14 (18 Feb) is the latest, sent today.
    assert "Polite follow-up" not in nyc
    assert nyc["Firmer, offers a plan"] == "2026-02-20T09:00:00-05:00"
    assert nyc["Letter of demand"] == "2026-03-06T09:00:00-05:00"
    assert nyc["Hand to collections"] == "2026-03-23T09:00:00-04:00"


def test_catch_up_escalation_and_stops(berlin, new_york, make_invoice):
    late = make_invoice(berlin, issue_date=date(2025, 11, 4))  # due 4 Dec: 40 days overdue
    disputed = make_invoice(berlin, issue_date=date(2025, 12, 20))
    receivables.invoice_transition(invoice=disputed, to=InvoiceStatus.DISPUTED)
    paused = make_invoice(new_york, issue_date=date(2025, 12, 22))  # due 21 January
    client_pause_reminders(client=new_york, until=date(2026, 1, 27), actor=None)
    entries = forecast()
    assert brief(entries) == [
        # Only the latest step that has come; the earlier ones are skipped, not listed.
        ("Müller Bau GmbH", [late.number], "Letter of demand", "letter",
         "2026-01-13T09:00:00+01:00"),
        # +45 is Sun 18 Jan, but the hand-over waits the letter's 14 days of notice.
        ("Müller Bau GmbH", [late.number], "Hand to collections", "call",
         "2026-01-27T09:00:00+01:00"),
        # Paused through the 27th: the -3 and 0 steps fell in the pause, +7 is on the 28th.
        ("Acme Corp", [paused.number], "Polite follow-up", "email",
         "2026-01-28T09:00:00-05:00"),
        ("Acme Corp", [paused.number], "Firmer, offers a plan", "email",
         "2026-02-04T09:00:00-05:00"),
    ]


def test_call_step_is_listed_only_for_high_value_clients(berlin, make_invoice):
    vip = ClientFactory(display_name="Big Spender AG")
    client_set_tags(client=vip, tags=["high-value"])
    for client in (berlin, vip):
        make_invoice(client, issue_date=date(2025, 12, 20))  # due 19 Jan: +21 is 9 Feb
    entries = forecast(days=30)
    steps = ["Friendly nudge", "Polite follow-up", "Firmer, offers a plan"]
    assert [e["step"] for e in entries if e["client"] == "Müller Bau GmbH"] == steps
    assert [e["step"] for e in entries if e["client"] == "Big Spender AG"] == [
        *steps, "Call high-value clients"]
    assert (entries[-1]["channel"], entries[-1]["send_at"]) == ("call",
                                                                "2026-02-09T09:00:00+01:00")


def test_forecast_sends_nothing_and_writes_nothing(berlin, new_york, make_invoice):
    for client, issued in ((berlin, date(2025, 11, 4)), (berlin, date(2025, 12, 20)),
                           (new_york, date(2025, 12, 22))):
        make_invoice(client, issue_date=issued)
    reminders_tick(now=datetime(2026, 1, 12, 9, 30, tzinfo=BERLIN))  # some history exists

    def snapshot() -> tuple[Any, ...]:
        return (list(Reminder.objects.values_list("pk", "status", "scheduled_for")),
                OutboundMessage.objects.count(), Interaction.objects.count(),
                list(Invoice.objects.values_list("pk", "status", "next_action_at", "balance")),
                list(SchedulerState.objects.values_list("ticks", "last_tick_at")))

    before, outbox = snapshot(), len(mail.outbox)
    assert forecast(days=60)
    out = StringIO()
    call_command("reminders_forecast", "--days", "60", "--now", NOW_ISO, stdout=out)
    assert snapshot() == before
    assert len(mail.outbox) == outbox


def test_table_format(berlin, make_invoice):
    invoice = make_invoice(berlin, issue_date=date(2025, 12, 20))
    out = StringIO()
    call_command("reminders_forecast", "--days", "30", "--now", NOW_ISO, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["2026-01-16T09:00", "email", "de", "Friendly", "nudge",
                                "Müller", "Bau", "GmbH", f"({invoice.number})"]
    assert lines[-1] == "3 messages and tasks in the next 30 days."
    assert len(lines) == 4


def _tick_daily(first: date, last: date) -> None:
    """Two ticks a day (08:30 and 14:30 UTC): inside business hours in Berlin and, in the
    afternoon, in New York, whatever the season."""
    day = first
    while day <= last:
        for hour in (8, 14):
            at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=hour, minutes=30)
            with time_machine.travel(at, tick=False):
                reminders_tick(now=at)
        day += timedelta(days=1)


def _what_went_out(zones: dict[str, ZoneInfo]) -> set[tuple[str, str, str, tuple[str, ...]]]:
    """Per message (by the tone it took: its lead step's, or the episode's firmer one; one
    message covers every invoice then due), and per step for what sends no message (a call
    task, a hand-over)."""
    by_message: dict[int, list[Reminder]] = defaultdict(list)
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in (Reminder.objects.filter(status=ReminderStatus.SENT)
              .select_related("client", "step", "invoice", "message")):
        if r.message_id is not None:
            by_message[r.message_id].append(r)
            continue
        local_day = r.sent_at.astimezone(zones[r.client.reference]).date().isoformat()
        grouped[(r.client.reference, r.step.name, local_day)].append(r.invoice.number)
    for rows in by_message.values():
        local_day = rows[0].sent_at.astimezone(zones[rows[0].client.reference]).date()
        grouped[(rows[0].client.reference, rows[0].message.tone, local_day.isoformat())].extend(
            r.invoice.number for r in rows)
    return {(*key, tuple(sorted(set(numbers)))) for key, numbers in grouped.items()}


def _predicted(entries: list[dict[str, Any]]) -> set[tuple[str, str, str, tuple[str, ...]]]:
    return {(e["client_reference"], e["tone"] if e["channel"] != "call" else e["step"],
             e["send_at"][:10], tuple(sorted(e["invoices"]))) for e in entries}


def test_forecast_matches_what_the_ticks_then_send(berlin, new_york, make_invoice):
    vip = ClientFactory(display_name="Big Spender AG", reference="C-VIP")
    client_set_tags(client=vip, tags=["high-value"])
    make_invoice(berlin, issue_date=date(2025, 12, 20))
    make_invoice(berlin, issue_date=date(2025, 12, 20))
    make_invoice(vip, issue_date=date(2025, 12, 10))
    make_invoice(new_york, issue_date=date(2025, 12, 22))
    make_invoice(new_york, issue_date=date(2025, 11, 1))  # deep in arrears
    predicted = _predicted(forecast(days=50))
    assert len(predicted) >= 12
    _tick_daily(NOW.date(), (NOW + timedelta(days=50)).date())
    zones = {"C-BER": BERLIN, "C-VIP": BERLIN, "C-NYC": NEW_YORK}
    assert _what_went_out(zones) == predicted


def test_forecast_includes_reminders_waiting_in_the_outbox(berlin, make_invoice):
    invoice = make_invoice(berlin, issue_date=date(2025, 12, 14))  # due today, 13 January
    reminders_tick(now=NOW)  # 08:00 Berlin: planned for 09:00, nothing sent yet
    waiting = Reminder.objects.get(status=ReminderStatus.SCHEDULED)
    assert waiting.scheduled_for == datetime(2026, 1, 13, 9, tzinfo=BERLIN)
    entries = forecast(days=1)
    assert brief(entries) == [("Müller Bau GmbH", [invoice.number], "Due today", "email",
                               "2026-01-13T09:00:00+01:00")]


def test_forecast_respects_one_message_per_client_per_day(berlin, make_invoice):
    make_invoice(berlin, issue_date=date(2025, 12, 14))  # due 13 Jan: "Due today"
    make_invoice(berlin, issue_date=date(2025, 12, 7))  # due 6 Jan: +7 on 13 Jan
    entries = forecast(days=3)
    _tick_daily(NOW.date(), date(2026, 1, 16))
    assert _what_went_out({"C-BER": BERLIN}) == _predicted(entries)


def test_entries_are_in_send_order_across_time_zones(berlin, make_invoice):
    tokyo = ClientFactory(display_name="Tokyo KK", language="en", country="JP",
                          timezone="Asia/Tokyo", default_currency="JPY",
                          mobile_phone="+819012345678")
    make_invoice(berlin, issue_date=date(2025, 12, 14))  # both due today, 13 January
    make_invoice(tokyo, issue_date=date(2025, 12, 14))
    entries = forecast(days=1)
    assert [e["client"] for e in entries[:2]] == ["Tokyo KK", "Müller Bau GmbH"]
    instants = [datetime.fromisoformat(e["send_at"]) for e in entries]
    assert instants == sorted(instants)


# --- --now -----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["reminders_tick", "reminders_forecast"])
def test_naive_now_is_refused_clearly(command):
    with pytest.raises(CommandError, match=re.escape(
            "--now needs a UTC offset, e.g. 2026-11-23T09:30:00+01:00.")):
        call_command(command, "--now", "2026-01-13T09:30:00", stdout=StringIO())
    assert not SchedulerState.objects.exists()


@pytest.mark.parametrize("command", ["reminders_tick", "reminders_forecast"])
def test_garbage_now_is_refused_clearly(command):
    with pytest.raises(CommandError, match=re.escape(
            "--now 'next tuesday' is not an ISO 8601 date-time.")):
        call_command(command, "--now", "next tuesday", stdout=StringIO())


def test_tick_command_runs_one_pass_at_the_given_moment(berlin, make_invoice):
    invoice = make_invoice(berlin, issue_date=date(2025, 12, 7))  # +7 on 13 January
    out = StringIO()
    call_command("reminders_tick", "--now", "2026-01-13T10:30:00+01:00", stdout=out,
                 stderr=StringIO())
    assert out.getvalue().strip() == (
        "Examined 1 invoices: planned 1, caught up 2; sent 1, deferred 0, cancelled 0, "
        "failed 0, recovered 0.")
    [email] = mail.outbox
    assert invoice.number in email.subject
    sent = Reminder.objects.get(status=ReminderStatus.SENT)
    assert sent.sent_at == datetime(2026, 1, 13, 9, 30, tzinfo=UTC)
