"""People first (issue 15, item 4): a logged call, a note, a promise, a reply or a call-back
request holds the automated messages to that client for the cadence's hold (3 business days by
default); the tick and the forecast agree on when they resume, and what the system itself
writes to the timeline holds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from clients.models import InteractionChannel, InteractionKind
from clients.services import interaction_record
from reminders.forecast import forecast
from reminders.models import Cadence, OutboundMessage, Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import BERLIN, NOW, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]
MONDAY = datetime(2026, 3, 23, 9, tzinfo=BERLIN)  # Tue 17 March + 3 business days, then Mon


@pytest.fixture
def customer(owner: Any) -> Any:
    return ClientFactory(owner=owner, display_name="Bäckerei Schmidt")


def forecast_times(customer: Any) -> list[str]:
    return [e["send_at"] for e in forecast(now=NOW, days=30)
            if e["client"] == customer.display_name]


@pytest.mark.parametrize(("kind", "by_client"), [
    (InteractionKind.CALL, False),  # "no answer" logged at 09:30
    (InteractionKind.NOTE, False),  # "invoice approved, paying next week"
    (InteractionKind.NOTE, True),  # an SMS or e-mail reply from the client
    (InteractionKind.PROMISE_TO_PAY, True),
])
def test_a_personal_contact_holds_the_automated_message(customer: Any, owner: Any, overdue: Any,
                                                        kind: str, by_client: bool) -> None:
    overdue(customer, 7)  # the +7 step is due this morning
    interaction_record(client=customer, kind=kind, channel=InteractionChannel.PHONE,
                       summary="Spoke with the client", occurred_at=NOW - timedelta(hours=1),
                       **({"actor_label": "client"} if by_client else {"actor": owner}))
    assert tick(NOW).sent == 0 and mail.outbox == []
    assert forecast_times(customer)[0] == MONDAY.isoformat()  # the forecast says the same
    assert tick(MONDAY - timedelta(minutes=1)).sent == 0
    assert tick(MONDAY + timedelta(hours=1)).sent == 1
    assert OutboundMessage.objects.filter(client=customer).count() == 1


def test_what_the_system_writes_holds_nothing(customer: Any, overdue: Any) -> None:
    overdue(customer, 7)
    interaction_record(client=customer, kind=InteractionKind.CALL,
                       summary="Call task created: Call Bäckerei Schmidt",
                       occurred_at=NOW - timedelta(hours=1))  # by the system
    assert tick(NOW).sent == 1


def test_the_admin_can_switch_the_hold_off(customer: Any, owner: Any, overdue: Any) -> None:
    Cadence.objects.update(hold_business_days=0)
    overdue(customer, 7)
    interaction_record(client=customer, kind=InteractionKind.NOTE, actor=owner,
                       summary="Left a message", occurred_at=NOW - timedelta(hours=1))
    assert tick(NOW).sent == 1


def test_a_contact_after_planning_holds_the_outbox_row_too(customer: Any, owner: Any,
                                                           overdue: Any) -> None:
    overdue(customer, 7)  # +7 is today
    early = NOW.replace(hour=8, minute=0)  # before business hours: planned for 09:00
    assert tick(early).sent == 0
    assert Reminder.objects.get().status == ReminderStatus.SCHEDULED
    interaction_record(client=customer, kind=InteractionKind.CALL, actor=owner,
                       summary="Client says the payment is on its way",
                       occurred_at=early + timedelta(minutes=30))
    assert tick(NOW).sent == 0
    assert Reminder.objects.get().status == ReminderStatus.SCHEDULED  # waits, not dropped
    # The hold ends on Monday (three business days after the call).
    assert tick(MONDAY - timedelta(days=3, hours=-1)).sent == 0  # Friday
    assert tick(MONDAY + timedelta(hours=1)).sent == 1
