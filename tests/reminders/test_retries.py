"""Transient ESP failures back off and give up after a few attempts; a credentials error is
not blamed on the client's address."""

from datetime import timedelta

import pytest
import responses

from reminders.dispatch import MAX_ATTEMPTS
from reminders.models import Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import NOW, POSTMARK_URL, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


@pytest.fixture
def client(owner):
    return ClientFactory(owner=owner)


def test_backoff_doubles_then_gives_up(client, overdue, postmark):
    invoice = overdue(client, 7)
    for _ in range(MAX_ATTEMPTS):
        postmark.post(POSTMARK_URL, status=503, json={"ErrorCode": 100, "Message": "down"})
    at, waits = NOW, []
    for _ in range(MAX_ATTEMPTS):
        tick(at)
        reminder = Reminder.objects.get(invoice=invoice, step__offset_days=7)
        if reminder.status != ReminderStatus.SCHEDULED:
            break
        waits.append(reminder.scheduled_for - at)
        at = reminder.scheduled_for
    assert waits == [timedelta(minutes=15 * 2 ** n) for n in range(MAX_ATTEMPTS - 1)]
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == MAX_ATTEMPTS
    assert f"Gave up after {MAX_ATTEMPTS} attempts" in reminder.last_error
    assert len(postmark.calls) == MAX_ATTEMPTS


def test_bad_server_token_is_retried_not_blamed_on_the_address(client, overdue,
                                                                 postmark):
    invoice = overdue(client, 7)
    postmark.post(POSTMARK_URL, status=401, json={"ErrorCode": 10, "Message": "Bad token"})
    tick(NOW)
    reminder = Reminder.objects.get(invoice=invoice, step__offset_days=7)
    assert (reminder.status, reminder.attempts) == (ReminderStatus.SCHEDULED, 1)
    assert isinstance(postmark, responses.RequestsMock)
