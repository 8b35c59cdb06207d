"""One truth about what happens next (issue 15, item 5): the client page and the worklist show
the forecast's next reminder for each invoice — pauses, promises, holds and the contact
policy applied, with the reason it moved — and the tick then does exactly that."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from clients.models import InteractionKind
from clients.services import client_pause_reminders, interaction_record
from receivables.services import invoice_pause_reminders
from reminders.models import OutboundMessage
from tests.factories import ClientFactory
from tests.reminders.support import BERLIN, NOW, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def page_next(browser: Any, client: Any) -> dict[int, Any]:
    rows = browser.get(reverse("desk:client", args=[client.pk])).context["rows"]
    return {r["invoice"].pk: r["next"] for r in rows}


def worklist_next(browser: Any) -> dict[int, Any]:
    page = browser.get(reverse("desk:worklist")).context["page"]
    return {r.invoice.pk: r.next_reminder for r in page.rows}


def test_a_paused_invoice_shows_when_it_resumes_and_why(browser, owner, overdue):
    customer = ClientFactory(owner=owner)
    invoice = overdue(customer, 5)  # +7 on Thursday 19th
    invoice_pause_reminders(invoice=invoice, until=date(2026, 3, 25), actor=owner)
    shown = page_next(browser, customer)[invoice.pk]
    # Resumes on Thursday 26th, 09:00 Berlin.
    assert shown["send_at"] == datetime(2026, 3, 26, 9, tzinfo=BERLIN)
    assert shown["why"] == "paused until 25 Mar"
    listed = worklist_next(browser)[invoice.pk]
    assert (listed.step, listed.at, listed.why) == (shown["step"], shown["send_at"],
                                                    shown["why"])
    for day in range(1, 10):  # daily ticks: nothing before the 26th, then that message
        tick(NOW + timedelta(days=day, hours=-1, minutes=-30))  # 09:00 Berlin
    [message] = OutboundMessage.objects.all()
    assert message.sent_at == shown["send_at"]
    sent = customer.interactions.get(kind=InteractionKind.EMAIL_REMINDER)
    assert sent.metadata["step"] == shown["step"]


def test_a_client_pause_and_a_hold_say_so(browser, owner, overdue):
    paused, held = ClientFactory(owner=owner), ClientFactory(owner=owner)
    first, second = overdue(paused, 5), overdue(held, 5)
    client_pause_reminders(client=paused, until=date(2026, 3, 20), actor=owner)
    interaction_record(client=held, kind=InteractionKind.CALL, actor=owner,
                       summary="No answer", occurred_at=NOW - timedelta(hours=1))
    assert page_next(browser, paused)[first.pk]["why"] == "paused until 20 Mar"
    assert page_next(browser, held)[second.pk]["why"] == "held: call logged 17 Mar"


def test_the_contact_policy_says_when_the_last_message_went_out(browser, owner, overdue):
    customer = ClientFactory(owner=owner)
    overdue(customer, 7)
    tick(NOW)  # +7 goes out today
    later = overdue(customer, 5)  # its +7 (Thursday 19th) waits a week after today's
    shown = page_next(browser, customer)[later.pk]
    assert shown["send_at"] == datetime(2026, 3, 24, 9, tzinfo=BERLIN)
    assert shown["why"] == "contact policy: the last message went out on 17 Mar"
    assert worklist_next(browser)[later.pk].why == shown["why"]
