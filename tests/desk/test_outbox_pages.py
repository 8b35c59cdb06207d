"""The bookkeeper's sent-messages and outbox pages: filters and pages over the messages, each
message exactly as sent (its HTML part served to a sandboxed frame under a strict policy of its
own), the outbox by state in the client's time, and the review decisions after a crash, which
move the rows through the outbox's own transitions, ask first and refuse GET."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from answers import links
from answers.models import PayLink
from clients.models import Interaction, InteractionKind
from reminders.models import (
    MessageEvent,
    MessageStatus,
    OutboundMessage,
    Reminder,
    ReminderStatus,
)
from reminders.outbox import recover
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, step

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(at_now):
    """The reminder tests' Tuesday (the browser test is tests/e2e/test_outbox_browser.py)."""

NEW_YORK = ZoneInfo("America/New_York")
HOSTILE = '<script>alert("x")</script>'
STYLED_HTML = ('<!doctype html><html lang="de"><head><style>p { color: #b42318; }</style></head>'
               '<body><p style="font-weight:bold">Bitte zahlen Sie &amp; danke.</p></body></html>')


@pytest.fixture
def desk(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def customer(owner):
    return ClientFactory(owner=owner, display_name="Acme GmbH", channel_preferences=["email"])


def outbox_message(customer, *, channel="email", status=MessageStatus.SENT, sent=True,
             created=None, **fields):
    message = OutboundMessage.objects.create(
        client=customer, channel=channel, language="de",
        to=customer.email if channel == "email" else customer.mobile_phone,
        subject=fields.pop("subject", "Zahlungserinnerung"), text=fields.pop("text", "Hallo"),
        html=fields.pop("html", STYLED_HTML if channel == "email" else ""),
        status=status, sent_at=NOW if sent else None, tone="friendly", **fields)
    if created is not None:
        OutboundMessage.objects.filter(pk=message.pk).update(created_at=created,
                                                             sent_at=created if sent else None)
        message.refresh_from_db()
    return message


def sent_for(invoice, message, offset=7):
    return Reminder.objects.create(invoice=invoice, client=invoice.client, step=step(offset),
                                   channel=message.channel, scheduled_for=NOW,
                                   status=ReminderStatus.SENT, message=message, sent_at=NOW)


def _listed(desk, **params):
    response = desk.get(reverse("reminders:sent-messages"), params)
    assert response.status_code == 200
    return {row["message"].pk for row in response.context["rows"]}


# --- Who may open the pages ----------------------------------------------------------------------

def _page_urls(message_pk, reminder_pk):
    return [reverse("reminders:sent-messages"), reverse("reminders:outbox"),
            reverse("reminders:sent-message", args=[message_pk]),
            reverse("reminders:sent-message-html", args=[message_pk])]


def test_anonymous_is_sent_to_the_login_and_a_user_without_a_role_is_refused(client, customer,
                                                                             overdue):
    message = outbox_message(customer)
    row = sent_for(overdue(customer, 8), message)
    review = reverse("reminders:outbox-review", args=[row.pk, "cancel"])
    for url in _page_urls(message.pk, row.pk):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("login")), url
    response = client.post(review)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(UserFactory(username="nobody", role=""))
    for url in _page_urls(message.pk, row.pk):
        assert client.get(url).status_code == 403, url
    assert client.post(review).status_code == 403


def test_a_bookkeeper_opens_both_pages_from_the_top_bar(desk, customer, overdue):
    sent_for(overdue(customer, 8), outbox_message(customer))
    html = desk.get(reverse("desk:dashboard")).content.decode()
    assert f'href="{reverse("reminders:sent-messages")}"' in html
    assert f'href="{reverse("reminders:outbox")}"' in html
    assert "/admin/" not in html  # the Django admin stays for superusers
    for url in (reverse("reminders:sent-messages"), reverse("reminders:outbox")):
        response = desk.get(url)
        assert response.status_code == 200
        assert b"<h1>" in response.content


def test_an_admin_role_opens_them_too(client, customer):
    client.force_login(UserFactory(username="ada", role="Admin"))
    assert client.get(reverse("reminders:outbox")).status_code == 200
    assert client.get(reverse("reminders:sent-messages")).status_code == 200


# --- Sent messages: filters and pages ------------------------------------------------------------

def test_newest_first_and_filtered_by_channel_status_client_search_and_dates(desk, customer,
                                                                            overdue):
    other = ClientFactory(display_name="Other Ltd", channel_preferences=["sms"])
    day = lambda d: datetime(2026, 3, d, 10, tzinfo=ZoneInfo("UTC"))  # noqa: E731
    delivered = outbox_message(customer, status=MessageStatus.DELIVERED, created=day(10))
    opened = outbox_message(customer, status=MessageStatus.CLICKED, created=day(12))
    bounced = outbox_message(customer, status=MessageStatus.BOUNCED, created=day(14))
    failed = outbox_message(other, channel="sms", status=MessageStatus.UNDELIVERED, created=day(15))
    sent = outbox_message(other, channel="sms", status=MessageStatus.SENT, created=day(16))
    in_review = outbox_message(customer, status=MessageStatus.ACCEPTED, sent=False, created=day(16))
    sent_for(overdue(customer, 8, number="INV-7777"), bounced)

    response = desk.get(reverse("reminders:sent-messages"))
    assert [r["message"].pk for r in response.context["rows"]] == [
        in_review.pk, sent.pk, failed.pk, bounced.pk, opened.pk, delivered.pk]
    assert _listed(desk, channel="sms") == {failed.pk, sent.pk}
    assert _listed(desk, outcome="delivered") == {delivered.pk}
    assert _listed(desk, outcome="opened") == {opened.pk}
    assert _listed(desk, outcome="bounced") == {bounced.pk}
    assert _listed(desk, outcome="failed") == {failed.pk}
    assert _listed(desk, outcome="sent") == {sent.pk}  # handed over, nothing reported since
    assert _listed(desk, outcome="waiting") == {in_review.pk}
    assert _listed(desk, client=other.pk) == {failed.pk, sent.pk}
    assert _listed(desk, client=other.pk, outcome="failed") == {failed.pk}
    assert _listed(desk, q="INV-7777") == {bounced.pk}
    assert _listed(desk, q="other ltd") == {failed.pk, sent.pk}
    assert _listed(desk, **{"from": "2026-03-12", "to": "2026-03-15"}) == {
        opened.pk, bounced.pk, failed.pk}
    # Unknown values are ignored, a bad date is said (and not applied).
    assert len(_listed(desk, channel="pigeon", outcome="lost")) == 6
    response = desk.get(reverse("reminders:sent-messages"), {"from": "17.03.2026"})
    assert len(response.context["rows"]) == 6
    assert "is not a date for “From”" in response.content.decode()
    response = desk.get(reverse("reminders:sent-messages"),
                        {"from": "2026-03-15", "to": "2026-03-01"})
    assert len(response.context["rows"]) == 6 and "is after" in response.content.decode()


def test_each_row_says_client_invoices_step_channel_tone_time_and_delivery(desk, customer,
                                                                          overdue):
    customer.timezone = "America/New_York"
    customer.save()
    message = outbox_message(customer, status=MessageStatus.DELIVERED)
    sent_for(overdue(customer, 8, number="INV-0042"), message)
    sent_for(overdue(customer, 9, number="INV-0043"), message)
    MessageEvent.objects.create(message=message, provider="postmark", event_key="e1",
                                event="delivered", occurred_at=NOW + timedelta(minutes=2))
    html = desk.get(reverse("reminders:sent-messages")).content.decode()
    assert f'href="{reverse("desk:client", args=[customer.pk])}"' in html
    assert '<span class="nowrap">INV-0042</span>, <span class="nowrap">INV-0043</span>' in html
    assert step(7).name in html and step(7).template_key in html
    local = NOW.astimezone(NEW_YORK)  # 10:30 in Berlin is 05:30 in New York (EDT)
    assert f'{local:%-d %b %Y %H:%M}</a> <small class="muted" title="America/New_York">EDT' in html
    assert "Delivered" in html and "friendly" in html
    assert f'href="{reverse("reminders:sent-message", args=[message.pk])}"' in html


def test_pages_of_fifty_keep_the_filters(desk, customer):
    OutboundMessage.objects.bulk_create(
        OutboundMessage(client=customer, channel="sms", language="de", to="+49151",
                        text=f"Nachricht {n}", status=MessageStatus.SENT, sent_at=NOW)
        for n in range(53))
    outbox_message(customer)  # an e-mail, filtered out below
    first = desk.get(reverse("reminders:sent-messages"), {"channel": "sms"})
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 53
    html = first.content.decode()
    assert "?channel=sms&amp;page=2" in html
    second = desk.get(reverse("reminders:sent-messages"), {"channel": "sms", "page": "2"})
    assert len(second.context["rows"]) == 3
    seen = {r["message"].pk for r in first.context["rows"]} | {
        r["message"].pk for r in second.context["rows"]}
    assert len(seen) == 53
    assert desk.get(reverse("reminders:sent-messages"), {"page": "x" * 40}).status_code == 200


# --- One message ---------------------------------------------------------------------------------

def test_the_detail_page_shows_subject_text_a_framed_html_part_and_the_events(desk, customer,
                                                                              overdue):
    message = outbox_message(customer, subject="Erinnerung: INV-0042",
                       text="Guten Tag,\n\nbitte zahlen Sie.\n  Danke")
    sent_for(overdue(customer, 8, number="INV-0042"), message)
    MessageEvent.objects.create(message=message, provider="postmark", event_key="a",
                                event="delivered", occurred_at=NOW + timedelta(minutes=1))
    MessageEvent.objects.create(message=message, provider="postmark", event_key="b",
                                event="opened", occurred_at=NOW + timedelta(hours=2),
                                detail={"user_agent": "Mail"})
    response = desk.get(reverse("reminders:sent-message", args=[message.pk]))
    html = response.content.decode()
    assert "Erinnerung: INV-0042" in html
    assert '<pre class="sent-text">Guten Tag,\n\nbitte zahlen Sie.\n  Danke</pre>' in html
    frame = reverse("reminders:sent-message-html", args=[message.pk])
    assert f'<iframe class="sent-html" sandbox src="{frame}"' in html
    assert "Bitte zahlen Sie" not in html  # the HTML part is only in its own frame
    assert "srcdoc" not in html
    assert html.index("delivered") < html.index("opened")  # oldest first
    assert "17 Mar 2026 10:31:00 CET" in html  # the client's time (Berlin)
    assert response.context["events"][1].detail == {"user_agent": "Mail"}


def test_the_frame_serves_the_stored_html_under_a_strict_policy_of_its_own(desk, customer):
    message = outbox_message(customer)
    response = desk.get(reverse("reminders:sent-message-html", args=[message.pk]))
    assert response.status_code == 200
    assert response.content.decode() == STYLED_HTML  # exactly as stored
    assert response["Content-Type"] == "text/html; charset=utf-8"
    policy = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["sandbox"] == []
    assert directives["default-src"] == ["'none'"]
    assert directives["style-src"] == ["'unsafe-inline'"]  # the message's own styles
    assert directives["img-src"] == ["data:"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert "script-src" not in directives  # default-src 'none': no script at all
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response["Cache-Control"]
    # The site's pages keep their own policy, which allows no inline style.
    shown = desk.get(reverse("reminders:sent-message", args=[message.pk]))
    assert "'unsafe-inline'" not in shown["Content-Security-Policy"]
    assert shown["X-Frame-Options"] == "DENY"


def test_the_frame_has_nothing_for_a_letter_an_sms_or_an_unknown_message(desk, customer):
    letter = outbox_message(customer, channel="letter", status=MessageStatus.PRINT_QUEUE,
                      html="<p>Sehr geehrte Damen und Herren</p>")
    sms = outbox_message(customer, channel="sms")
    for pk in (letter.pk, sms.pk, 999999):
        assert desk.get(reverse("reminders:sent-message-html", args=[pk])).status_code == 404
    assert desk.get(reverse("reminders:sent-message", args=[999999])).status_code == 404
    html = desk.get(reverse("reminders:sent-message", args=[letter.pk])).content.decode()
    assert "<iframe" not in html


def test_client_supplied_text_is_escaped_everywhere(desk, owner, overdue):
    hostile = ClientFactory(owner=owner, display_name=HOSTILE, channel_preferences=["email"])
    message = outbox_message(hostile, subject=f"Re {HOSTILE}", text=f"Text {HOSTILE}")
    sent_for(overdue(hostile, 8, number="INV-<b>1</b>"), message)
    MessageEvent.objects.create(message=message, provider="postmark", event_key="x",
                                event="bounced", occurred_at=NOW, recipient=HOSTILE,
                                detail={"why": HOSTILE})
    pages = [desk.get(reverse("reminders:sent-messages")).content.decode(),
             desk.get(reverse("reminders:sent-messages"), {"q": HOSTILE}).content.decode(),
             desk.get(reverse("reminders:sent-message", args=[message.pk])).content.decode()]
    for html in pages:
        assert "<script>" not in html and "<b>1</b>" not in html
        assert "&lt;script&gt;" in html


# --- The outbox ----------------------------------------------------------------------------------

def _in_review(invoice, *, channel="email"):
    """A row a crashed worker left in ``sending`` after composing its message, recovered to
    review as the scheduler does."""
    customer = invoice.client
    message = outbox_message(customer, channel=channel, status=MessageStatus.ACCEPTED, sent=False,
                       subject=f"Erinnerung {invoice.number}")
    links.link_store(client=customer, token=links.new_token(), now=NOW, message=message)
    row = Reminder.objects.create(invoice=invoice, client=customer, step=step(7),
                                  channel=channel, scheduled_for=NOW - timedelta(minutes=20),
                                  status=ReminderStatus.SENDING, message=message,
                                  claimed_at=NOW - timedelta(minutes=15), claim_token="dead")
    assert recover(NOW) == 1
    row.refresh_from_db()
    assert row.status == ReminderStatus.REVIEW
    return row


def test_the_outbox_groups_rows_by_state_in_the_clients_time(desk, owner, overdue):
    far = ClientFactory(owner=owner, display_name="Far Away Inc", timezone="America/New_York",
                        channel_preferences=["email"])
    planned = Reminder.objects.create(
        invoice=overdue(far, 3, number="INV-0100"), client=far, step=step(7), channel="email",
        scheduled_for=datetime(2026, 3, 23, 9, tzinfo=NEW_YORK))
    busy = Reminder.objects.create(
        invoice=overdue(far, 20, number="INV-0101"), client=far, step=step(14),
        channel="email", scheduled_for=NOW, status=ReminderStatus.CLAIMED, claimed_at=NOW,
        claim_token="live")
    review = _in_review(overdue(ClientFactory(owner=owner, display_name="Crash Co"), 8,
                                number="INV-0102"))
    response = desk.get(reverse("reminders:outbox"))
    html = response.content.decode()
    assert [r.pk for r in response.context["scheduled"]] == [planned.pk]
    assert [r.pk for r in response.context["in_flight"]] == [busy.pk]
    assert [g.key for g in response.context["review"]] == [review.pk]
    assert 'Mon 23 Mar 2026 09:00 <small class="muted" title="America/New_York">EDT' in html
    assert "INV-0102" in html and "Erinnerung INV-0102" in html
    for decision in ("sent", "again", "cancel"):
        action = reverse("reminders:outbox-review", args=[review.pk, decision])
        assert f'<form method="post" action="{action}">' in html
    assert html.index('id="review-h"') < html.index('id="flight-h"') < html.index(
        'id="scheduled-h"')


def test_scheduled_rows_come_in_pages(desk, customer, overdue):
    invoices = [overdue(customer, n, number=f"INV-{n:04d}") for n in range(1, 56)]
    for n, invoice in enumerate(invoices):
        Reminder.objects.create(invoice=invoice, client=customer, step=step(7), channel="email",
                                scheduled_for=NOW + timedelta(hours=n))
    first = desk.get(reverse("reminders:outbox"))
    assert len(first.context["scheduled"]) == 50
    assert first.context["scheduled"][0].invoice.number == "INV-0001"
    second = desk.get(reverse("reminders:outbox"), {"page": "2"})
    assert [r.invoice.number for r in second.context["scheduled"]] == [
        f"INV-{n:04d}" for n in range(51, 56)]


# --- Review decisions ----------------------------------------------------------------------------

def _decide(desk, row, decision, *, confirm=True):
    url = reverse("reminders:outbox-review", args=[row.pk, decision])
    first = desk.post(url)
    assert first.status_code == 200  # asks first
    if not confirm:
        return first
    rows = first.context["group"].row_ids
    return desk.post(url, {"confirm": decision, "rows": rows})


def test_review_actions_refuse_get_and_ask_before_they_act(desk, customer, overdue):
    row = _in_review(overdue(customer, 8))
    for decision in ("sent", "again", "cancel"):
        url = reverse("reminders:outbox-review", args=[row.pk, decision])
        assert desk.get(url).status_code == 405
        html = desk.post(url).content.decode()
        assert 'name="csrfmiddlewaretoken"' in html
        assert f'<input type="hidden" name="confirm" value="{decision}">' in html
    assert "Nothing is sent" in _decide(desk, row, "sent", confirm=False).content.decode()
    row.refresh_from_db()
    assert row.status == ReminderStatus.REVIEW
    assert desk.post(reverse("reminders:outbox-review", args=[row.pk, "resend"])
                     ).status_code == 404


def test_the_forms_need_the_csrf_token(client, owner, customer, overdue):
    from django.test import Client

    row = _in_review(overdue(customer, 8))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    response = strict.post(reverse("reminders:outbox-review", args=[row.pk, "cancel"]),
                           {"confirm": "cancel", "rows": str(row.pk)})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == ReminderStatus.REVIEW


def test_it_was_sent_marks_the_rows_and_the_message_sent_and_tells_the_timeline(
        desk, customer, overdue):
    row = _in_review(overdue(customer, 8, number="INV-0042"))
    response = _decide(desk, row, "sent")
    assert response.status_code == 302 and response["Location"] == reverse("reminders:outbox")
    row.refresh_from_db()
    message = row.message
    assert row.status == ReminderStatus.SENT and row.sent_at == message.created_at
    assert message.sent_at == message.created_at and "Confirmed sent by" in message.status_detail
    entries = Interaction.objects.filter(client=customer)
    sent = entries.get(kind=InteractionKind.EMAIL_REMINDER)
    assert sent.content["subject"] == "Erinnerung INV-0042"
    assert [i.number for i in sent.invoices.all()] == ["INV-0042"]
    note = entries.get(kind=InteractionKind.NOTE)
    assert "went out" in note.summary and note.actor is not None
    assert mail.outbox == []  # nothing is sent
    followed = desk.get(response["Location"]).content.decode()
    assert "Marked as sent" in followed and "Nothing to review." in followed


def test_not_sent_send_again_sends_a_new_message_and_retires_the_first(desk, customer, overdue):
    row = _in_review(overdue(customer, 8, number="INV-0042"))
    first = row.message
    link = PayLink.objects.get(message=first)
    response = _decide(desk, row, "again")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == ReminderStatus.SENT and row.message_id != first.pk
    [email] = mail.outbox
    assert email.to == [customer.email] and "INV-0042" in email.body
    first.refresh_from_db()
    assert first.status == MessageStatus.FAILED and first.sent_at is None
    assert "confirmed it never went out" in first.status_detail
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert Interaction.objects.filter(client=customer, kind=InteractionKind.NOTE,
                                      summary__contains="sending it again").exists()
    assert "Sent again" in desk.get(reverse("reminders:outbox")).content.decode()


def test_not_sent_cancel_cancels_without_sending(desk, customer, overdue):
    row = _in_review(overdue(customer, 8))
    link = PayLink.objects.get(message=row.message)
    assert _decide(desk, row, "cancel").status_code == 302
    row.refresh_from_db()
    assert row.status == ReminderStatus.CANCELLED and "cancelled it" in row.last_error
    row.message.refresh_from_db()
    assert row.message.status == MessageStatus.FAILED
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert mail.outbox == []
    assert Interaction.objects.filter(client=customer, kind=InteractionKind.NOTE,
                                      summary__contains="cancelled").exists()


def test_one_message_for_several_invoices_is_decided_once_for_all(desk, customer, overdue):
    row = _in_review(overdue(customer, 8, number="INV-0001"))
    twin = Reminder.objects.create(invoice=overdue(customer, 9, number="INV-0002"),
                                   client=customer, step=step(7), channel="email",
                                   scheduled_for=NOW, status=ReminderStatus.REVIEW,
                                   message=row.message, claimed_at=row.claimed_at)
    groups = desk.get(reverse("reminders:outbox")).context["review"]
    assert [[r.pk for r in g.rows] for g in groups] == [[row.pk, twin.pk]]
    assert _decide(desk, twin, "cancel").status_code == 302
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.CANCELLED}


def test_a_decision_someone_else_made_first_changes_nothing(desk, customer, overdue):
    row = _in_review(overdue(customer, 8))
    url = reverse("reminders:outbox-review", args=[row.pk, "again"])
    asked = desk.post(url)
    Reminder.objects.filter(pk=row.pk).update(status=ReminderStatus.CANCELLED)
    response = desk.post(url, {"confirm": "again", "rows": asked.context["group"].row_ids})
    assert response.status_code == 302
    assert "no longer in review" in desk.get(response["Location"]).content.decode()
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.status == ReminderStatus.CANCELLED


def test_a_group_that_changed_since_the_question_is_asked_again(desk, customer, overdue):
    row = _in_review(overdue(customer, 8))
    Reminder.objects.create(invoice=overdue(customer, 9), client=customer, step=step(7),
                            channel="email", scheduled_for=NOW, status=ReminderStatus.REVIEW,
                            message=row.message, claimed_at=row.claimed_at)
    url = reverse("reminders:outbox-review", args=[row.pk, "cancel"])
    response = desk.post(url, {"confirm": "cancel", "rows": str(row.pk)})
    assert response.status_code == 200 and "changed since" in response.content.decode()
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.REVIEW}


def test_a_letter_cannot_be_marked_sent(desk, customer, overdue):
    row = _in_review(overdue(customer, 8), channel="letter")
    html = desk.get(reverse("reminders:outbox")).content.decode()
    assert reverse("reminders:outbox-review", args=[row.pk, "sent"]) not in html
    response = desk.post(reverse("reminders:outbox-review", args=[row.pk, "sent"]),
                         {"confirm": "sent", "rows": str(row.pk)})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == ReminderStatus.REVIEW
