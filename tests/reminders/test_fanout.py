"""Dispatch fanned out over workers (issue 19): the tick hands the due clients out in chunks,
a chunk run twice sends nothing twice, a client leased by one worker is not sent by another,
provider calls run several at once (Postmark's API intercepted by ``responses``), and a 429
pauses the channel and reschedules what it did not send, without counting a failed attempt."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import responses

from reminders.dispatch import dispatch_clients, lease_clients
from reminders.handoff import RateLimit
from reminders.models import DispatchLease, OutboundMessage, Reminder, ReminderStatus
from reminders.outbox import TickReport
from reminders.planning import reminders_plan
from reminders.tasks import dispatch_chunk
from reminders.tick import reminders_tick
from tests.factories import ClientFactory
from tests.reminders.support import NOW, POSTMARK_URL

pytestmark = pytest.mark.django_db


def _postmark_ok(request: Any) -> tuple[int, dict[str, str], str]:
    body = json.loads(request.body)
    return 200, {}, json.dumps({"To": body["To"], "SubmittedAt": "2026-03-17T09:30:00Z",
                                "MessageID": f"pm-{body['Metadata']['settle_message_id']}",
                                "ErrorCode": 0, "Message": "OK"})


@pytest.fixture
def book(overdue: Any) -> list[Any]:
    """Seven clients, each with an invoice 7 days overdue (one follow-up due each)."""
    clients = [ClientFactory(email=f"ap{n}@client.example", channel_preferences=["email"])
               for n in range(7)]
    for customer in clients:
        overdue(customer, 7)
    return clients


def test_the_tick_hands_every_due_client_out_once_in_chunks(settings, at_now, book, postmark):
    settings.SETTLE_DISPATCH_CHUNK = 3
    postmark.add_callback(responses.POST, POSTMARK_URL, callback=_postmark_ok)
    chunks: list[list[int]] = []
    report = reminders_tick(now=NOW, fan_out=chunks.append)
    assert report.sent == 0 and len(postmark.calls) == 0  # the tick itself sends nothing
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert sorted(pk for c in chunks for pk in c) == sorted(c.pk for c in book)
    for chunk in chunks:
        dispatch_chunk(chunk)  # what each worker's task runs
    assert len(postmark.calls) == 7
    for chunk in chunks:  # a redelivered chunk, a second tick's copy: nothing goes twice
        dispatch_chunk(chunk)
    assert len(postmark.calls) == 7
    assert OutboundMessage.objects.filter(provider="postmark").count() == 7
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}
    assert not DispatchLease.objects.filter(until__gt=NOW).exists()  # all released


def test_a_client_leased_by_another_worker_is_left_to_it(settings, at_now, book, postmark):
    postmark.add_callback(responses.POST, POSTMARK_URL, callback=_postmark_ok)
    reminders_plan(now=NOW)
    busy = book[0].pk
    assert lease_clients([busy], "other-worker") == [busy]
    report = TickReport()
    dispatch_clients([c.pk for c in book], NOW, report)
    assert report.sent == 6
    assert Reminder.objects.get(client_id=busy).status == ReminderStatus.SCHEDULED
    assert lease_clients([busy], "third-worker") == []  # still the other worker's
    DispatchLease.objects.filter(token="other-worker").update(until=NOW - timedelta(hours=1))
    dispatch_clients([busy], NOW, report)  # its lease expired (the worker died): ours now
    assert report.sent == 7


def test_provider_calls_run_several_at_once_and_each_outcome_is_recorded(
        settings, at_now, book, postmark):
    settings.SETTLE_SEND_CONCURRENCY = 4
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def slow(request: Any) -> tuple[int, dict[str, str], str]:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.2)  # an ESP's latency: the others start meanwhile
        with lock:
            state["now"] -= 1
        return _postmark_ok(request)

    postmark.add_callback(responses.POST, POSTMARK_URL, callback=slow)
    reminders_plan(now=NOW)
    report = TickReport()
    dispatch_clients([c.pk for c in book], NOW, report)
    assert report.sent == 7
    assert state["most"] == 4  # never more than the setting, and not one at a time
    sent = OutboundMessage.objects.filter(provider="postmark")
    assert sorted(sent.values_list("provider_message_id", flat=True)) == sorted(
        f"pm-{pk}" for pk in sent.values_list("pk", flat=True))
    for message in sent:
        assert message.client.interactions.filter(metadata__message_id=message.pk).exists()


def test_a_429_pauses_the_channel_and_reschedules_without_a_failed_attempt(
        settings, at_now, book, postmark):
    settings.SETTLE_SEND_CONCURRENCY = 1  # in order: the first call gets the 429
    postmark.post(POSTMARK_URL, status=429, headers={"Retry-After": "120"},
                  json={"ErrorCode": 429, "Message": "Rate limit exceeded"})
    reminders_plan(now=NOW)
    report = TickReport()
    dispatch_clients([c.pk for c in book], NOW, report)
    assert len(postmark.calls) == 1  # the rest waited for the provider instead of hammering
    assert report.sent == 0 and report.failed == 0 and report.deferred == 7
    rows = Reminder.objects.all()
    assert {r.status for r in rows} == {ReminderStatus.SCHEDULED}
    assert {r.attempts for r in rows} == {0}
    first = rows.get(client=book[0])
    assert first.scheduled_for == NOW + timedelta(seconds=120)
    assert all(r.scheduled_for > NOW for r in rows)
    assert not OutboundMessage.objects.exists()  # nothing went out: no message is kept


def test_the_rate_limit_spaces_calls_and_a_pause_is_not_waited_out_when_long():
    clock = {"t": 100.0}
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))
        clock["t"] += seconds

    limit = RateLimit(4.0, clock=lambda: clock["t"], sleep=sleep)
    for _ in range(3):
        assert limit.acquire() == 0.0
    assert waits == [0.25, 0.25]  # 4 a second: a quarter of a second apart
    limit.pause(60)
    assert limit.acquire() == pytest.approx(60 - 0.0, abs=0.6)  # too long: not waited out
    clock["t"] += 61
    assert limit.acquire() == 0.0
