"""One voice per client: within an episode (until what it chased is paid) the tone never steps
back. A firmer message about an invoice still owed sets the floor; a later, gentler step of
another invoice goes out in the floor's words when that invoice is overdue, and not at all
before it is due; paying up ends the episode."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from receivables.services import payment_record
from reminders.dispatch import floor_voice, speaks_at_floor, tone_floors
from reminders.models import CadenceStep, OutboundMessage, Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import NOW, TUESDAY, step, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

WEEK_LATER = NOW + timedelta(days=7)  # Tuesday 24 March: the contact policy allows a message


@pytest.fixture
def firm_episode(owner: Any, overdue: Any) -> tuple[Any, Any]:
    """A client whose invoice is 14 days overdue and got the firm (+14) message today."""
    client = ClientFactory(owner=owner)
    chased = overdue(client, 14)
    tick(NOW)
    [message] = OutboundMessage.objects.all()
    assert message.tone == "firm"
    return client, chased


def test_an_overdue_invoice_takes_the_episode_s_firmer_words(firm_episode, overdue):
    client, _chased = firm_episode
    later = overdue(client, 1)  # due yesterday (16 March): +7 "Polite follow-up" on the 23rd
    assert tone_floors([client.pk]) == {client.pk: 1}
    tick(WEEK_LATER)
    message = OutboundMessage.objects.exclude(tone="").latest("pk")
    assert len(mail.outbox) == 2
    assert message.tone == "firm"
    # The firm step's words, about the later invoice, from its own +7 row (whose own words
    # would be "Nachfrage zu Rechnung …").
    assert mail.outbox[1].subject == f"Überfällig: Rechnung {later.number} (8 Tage)"
    row = Reminder.objects.get(invoice=later, status=ReminderStatus.SENT)
    assert (row.step, row.message) == (step(7), message)


def test_a_nudge_amid_a_firmer_conversation_is_not_sent(firm_episode, overdue):
    client, _chased = firm_episode
    upcoming = overdue(client, -9)  # due Thursday 26 March: its nudge falls on Monday 23rd
    tick(WEEK_LATER)
    assert len(mail.outbox) == 1  # only the firm message of a week ago
    row = Reminder.objects.get(invoice=upcoming, step=step(-3))
    assert row.status == ReminderStatus.SKIPPED and row.message is None
    assert "firmer message" in row.last_error


def test_paying_what_was_chased_ends_the_episode(firm_episode, overdue):
    client, chased = firm_episode
    upcoming = overdue(client, -9)
    payment_record(client=client, amount=chased.balance, received_on=TUESDAY,
                   invoices=[chased])
    assert tone_floors([client.pk]) == {}
    tick(WEEK_LATER)
    assert len(mail.outbox) == 2
    message = OutboundMessage.objects.latest("pk")
    assert message.tone == "friendly"
    assert Reminder.objects.get(invoice=upcoming, step=step(-3)).message == message


def test_a_bounced_message_sets_no_floor(firm_episode):
    client, _chased = firm_episode
    OutboundMessage.objects.update(status="bounced")
    assert tone_floors([client.pk]) == {}


@pytest.mark.parametrize(("floor", "offset", "overdue", "speaks"), [
    (0, -3, False, True),   # no episode yet: every step speaks
    (1, 14, True, True),    # at the floor
    (1, 7, True, True),     # below it, overdue: in the floor's words
    (1, 0, False, False),   # below it, due today: not sent
    (1, -3, False, False),  # below it, not due yet: not sent
    (2, 7, True, False),    # after the letter of demand: no ordinary "final" words to borrow
    (2, 30, True, True),    # the next letter of demand itself
])
def test_which_steps_speak_at_a_floor(floor, offset, overdue, speaks):
    steps = list(CadenceStep.objects.filter(cadence__is_default=True))
    voice = floor_voice(steps, floor)
    due = TUESDAY - timedelta(days=offset) if overdue else TUESDAY
    assert speaks_at_floor(step(offset), due, floor, voice, TUESDAY, "DE") is speaks


def test_the_floor_borrows_ordinary_words_never_a_legal_notice():
    steps = list(CadenceStep.objects.filter(cadence__is_default=True))
    assert floor_voice(steps, 1) == step(14)  # "Firmer, offers a plan"
    assert floor_voice(steps, 2) is None  # only the letter of demand is "final"
    assert floor_voice(steps, 0) == step(7)
