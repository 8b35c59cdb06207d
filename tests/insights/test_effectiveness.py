"""Reminder effectiveness, built through the real engine: ``reminders_tick`` sends the
reminders, ``payment_record`` pays the invoices, provider events move message statuses."""

from datetime import timedelta
from typing import Any

import pytest

from insights.selectors import Effectiveness, EffectRow, reminder_effectiveness
from reminders.channels.events import record_event
from reminders.models import OutboundMessage, Reminder
from tests.factories import ClientFactory
from tests.reminders.support import NOW, POSTMARK_URL, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

LATER = NOW + timedelta(days=12)  # every reminder sent at NOW has had its week


def effect(now: Any = LATER, days: int = 30, currency: str | None = None) -> Effectiveness:
    return reminder_effectiveness(now=now, days=days, currency=currency)


def row(rows: list[EffectRow], label_part: str) -> EffectRow:
    [found] = [r for r in rows if label_part in r.label]
    return found


def test_two_of_three_paid_within_a_week_convert_and_the_median_is_over_the_paid(
        overdue, pay_after):
    invoices = [overdue(ClientFactory(), 7) for _ in range(3)]
    assert tick(NOW).sent == 3  # the +7 "Polite follow-up" for each
    pay_after(invoices[0], 2)
    pay_after(invoices[1], 5)
    pay_after(invoices[2], 9)  # paid, but not within the week

    result = effect()
    step = row(result.by_step, "Polite follow-up")
    assert step.counts.reminders == step.counts.judged == 3
    assert (step.conversion.hits, step.conversion.out_of) == (2, 3)
    assert step.conversion.percent == 66.7
    assert step.median_days_to_pay == 5  # of 2, 5 and 9 days
    assert step.paid == 3
    assert step.too_few  # 3 < 20
    assert result.total.conversion.percent == 66.7


@pytest.mark.parametrize(("days", "converted"), [(0, 1), (7, 1), (8, 0)])
def test_the_week_ends_on_the_seventh_day(overdue, pay_after, days, converted):
    invoice = overdue(ClientFactory(), 7)
    tick(NOW)
    pay_after(invoice, days)
    step = row(effect().by_step, "Polite follow-up")
    assert step.counts.converted == converted
    assert step.median_days_to_pay == days


def test_partly_paid_and_unpaid_invoices_do_not_convert(overdue, pay_after):
    part, unpaid = overdue(ClientFactory(), 7), overdue(ClientFactory(), 7)
    tick(NOW)
    pay_after(part, 1, amount="500.00")
    step = row(effect().by_step, "Polite follow-up")
    assert (step.conversion.hits, step.conversion.out_of) == (0, 2)
    assert step.median_days_to_pay is None and step.paid == 0
    del unpaid


def test_the_settling_payment_is_the_last_one(overdue, pay_after):
    invoice = overdue(ClientFactory(), 7)
    tick(NOW)
    pay_after(invoice, 1, amount="100.00")
    pay_after(invoice, 10)  # the rest: settled on day 10
    step = row(effect(now=NOW + timedelta(days=20)).by_step, "Polite follow-up")
    assert step.counts.converted == 0
    assert step.median_days_to_pay == 10


def test_reminders_without_their_week_behind_them_are_not_judged_yet(overdue, pay_after):
    invoice = overdue(ClientFactory(), 7)
    tick(NOW)
    pay_after(invoice, 2)
    step = row(effect(now=NOW + timedelta(days=5)).by_step, "Polite follow-up")
    assert step.counts.reminders == 1
    assert (step.counts.judged, step.conversion.percent, step.median_days_to_pay) == (0, None,
                                                                                     None)


def test_a_consolidated_message_is_one_message_for_several_reminders(overdue):
    customer = ClientFactory()
    overdue(customer, 7)
    overdue(customer, 7)
    tick(NOW)
    assert OutboundMessage.objects.count() == 1
    step = row(effect().by_step, "Polite follow-up")
    assert (step.counts.reminders, step.counts.messages, step.counts.kept_locally) == (2, 1, 1)


def test_rows_per_channel_template_and_language(overdue, pay_after):
    overdue(ClientFactory(language="de"), 7)
    paid = overdue(ClientFactory(language="en"), 7)
    overdue(ClientFactory(language="en", channel_preferences=["sms", "email"]), 7)
    overdue(ClientFactory(language="en"), 14)  # the +14 step
    tick(NOW)
    pay_after(paid, 3)
    result = effect()
    assert [(r.key, r.counts.reminders) for r in result.by_channel] == [("email", 3),
                                                                         ("sms", 1)]
    assert [(r.key, r.counts.reminders) for r in result.by_language] == [("de", 1), ("en", 3)]
    assert [(r.key, r.counts.reminders) for r in result.by_template] == [("overdue_14", 1),
                                                                          ("overdue_7", 3)]
    # Templates are named after the steps that send them, not by their keys.
    assert [r.label for r in result.by_template] == ["Firmer, offers a plan",
                                                     "Polite follow-up"]
    assert [r.label for r in result.by_step] == ["Standard · Polite follow-up (+7 d)",
                                                 "Standard · Firmer, offers a plan (+14 d)"]
    assert row(result.by_language, "English").conversion.hits == 1
    sms = row(result.by_channel, "SMS")
    assert (sms.counts.kept_locally, sms.delivery.percent) == (1, None)  # no Twilio: local


def test_period_and_currency_filters(overdue, pay_after):
    eur = overdue(ClientFactory(), 47)  # 7 days overdue 40 days before NOW
    tick(NOW - timedelta(days=40))
    pay_after(eur, -39)  # paid the next day: nothing more is sent for it
    overdue(ClientFactory(language="en", default_currency="USD"), 7, currency="USD")
    tick(NOW)
    assert Reminder.objects.filter(status="sent").count() == 2

    assert effect(now=NOW, days=30).total.counts.reminders == 1  # the USD one
    assert effect(now=NOW, days=90).total.counts.reminders == 2
    assert effect(now=NOW, days=90, currency="USD").total.counts.reminders == 1
    in_eur = effect(now=NOW, days=90, currency="EUR").total
    assert (in_eur.counts.reminders, in_eur.conversion.percent) == (1, 100.0)
    assert effect(now=NOW, days=90, currency="GBP").total.counts.reminders == 0


def test_delivery_open_and_click_rates_follow_provider_events(overdue, postmark):
    for n in range(5):
        postmark.post(POSTMARK_URL, json={"MessageID": f"pm-{n}", "ErrorCode": 0,
                                          "Message": "OK", "To": "x@example.com"})
        overdue(ClientFactory(), 7)
    overdue(ClientFactory(channel_preferences=["sms", "email"]), 7)  # stays local (no Twilio)
    assert tick(NOW).sent == 6
    emails = list(OutboundMessage.objects.filter(provider="postmark").order_by("pk"))
    assert len(emails) == 5

    def event(message: OutboundMessage, name: str, **kwargs: Any) -> None:
        record_event(provider="postmark", event_key=f"{message.pk}-{name}", event=name,
                     occurred_at=NOW + timedelta(minutes=5), message=message, **kwargs)

    for message in emails[:3]:
        event(message, "delivered")
    event(emails[0], "opened")
    event(emails[1], "opened")
    event(emails[1], "clicked")
    event(emails[3], "bounced", permanent=False)  # a soft bounce: the reminder stays sent
    # emails[4]: no report yet

    result = effect()
    email = row(result.by_channel, "Email")
    assert (email.delivery.hits, email.delivery.out_of, email.delivery.percent) == (3, 5, 60.0)
    assert (email.opens.hits, email.opens.out_of, email.opens.percent) == (2, 3, 66.7)
    assert (email.clicks.hits, email.clicks.out_of, email.clicks.percent) == (1, 3, 33.3)
    assert email.counts.kept_locally == 0
    sms = row(result.by_channel, "SMS")
    assert (sms.counts.kept_locally, sms.delivery.out_of) == (1, 0)
    total = result.total
    assert (total.counts.messages, total.counts.kept_locally, total.delivery.percent) == (
        6, 1, 60.0)
