"""Replies come back (issue 17, item 7): a client's e-mail reply through the ESP's inbound
webhook (anymail's Postmark inbound route, its payload shaped as Postmark documents it and
anymail's own tests quote it) and a text message through Twilio's inbound webhook (signed with
twilio-python's RequestValidator) land in the client's timeline, hold the automated messages
like any personal contact, and wait in Today's work as replies to read; auto-replies are
recorded and hold nothing; strangers are logged and counted, never shown."""

from __future__ import annotations

import base64
import io
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image
from twilio.request_validator import RequestValidator

from clients.models import InteractionKind
from desk import selectors as desk_selectors
from reminders.channels.inbound import thread_message_id, unknown_sender_replies
from reminders.models import MessageEvent, OutboundMessage
from reminders.selectors import last_personal_contact
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, tick
from work.models import Task, TaskKind, TaskStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

HOOK_AUTH = "hook:s3cret"
INBOUND = "/anymail/postmark/inbound/"
SITE = "https://settle.example"
TOKEN = "twilio-auth-token"
MOBILE = "+4915123456789"


@pytest.fixture(autouse=True)
def _webhooks(settings: Any) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": HOOK_AUTH}
    settings.SITE_URL = SITE
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = TOKEN


@pytest.fixture
def customer(owner: Any) -> Any:
    return ClientFactory(owner=owner, display_name="Bäckerei Schmidt",
                         email="Anna.Schmidt@Baeckerei.example",
                         channel_preferences=["email", "sms"])


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(595, 842)
    writer.write(out)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(out, "PNG")
    return out.getvalue() + b"trailing bytes ride along"


def attachment(name: str, content_type: str, data: bytes) -> dict[str, Any]:
    return {"Name": name, "Content": base64.b64encode(data).decode(),
            "ContentType": content_type, "ContentLength": len(data)}


def postmark_inbound(*, sender: str, subject: str = "Re: Payment reminder INV-0001",
                     text: str = "We paid on Friday, please check.\n\n> quoted reminder",
                     stripped: str = "We paid on Friday, please check.",
                     headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
                     message_id: str = "<CAF=reply-1@mail.baeckerei.example>",
                     attachments: list[dict[str, Any]] = ()  # type: ignore[assignment]
                     ) -> dict[str, Any]:
    """An inbound message as Postmark posts it (without the raw email), like anymail's
    test_postmark_inbound's sample."""
    return {
        "FromName": "Anna Schmidt", "From": sender,
        "FromFull": {"Email": sender, "Name": "Anna Schmidt", "MailboxHash": ""},
        "To": "billing@settle.example",
        "ToFull": [{"Email": "billing@settle.example", "Name": "Settle", "MailboxHash": ""}],
        "Cc": "", "CcFull": [], "OriginalRecipient": "billing@settle.example",
        "Subject": subject, "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "Date": "Tue, 17 Mar 2026 10:40:00 +0100", "MailboxHash": "", "Tag": "",
        "TextBody": text, "HtmlBody": f"<p>{text}</p>", "StrippedTextReply": stripped,
        "Headers": [{"Name": "Return-Path", "Value": f"<{sender}>"},
                    {"Name": "Message-ID", "Value": message_id},
                    *({"Name": n, "Value": v} for n, v in headers)],
        "Attachments": list(attachments)}


def post_inbound(client: Any, payload: dict[str, Any], auth: str = HOOK_AUTH,
                 path: str = INBOUND) -> Any:
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()}
    return client.post(path, json.dumps(payload), content_type="application/json", **headers)


def sms_inbound(client: Any, body: str, sid: str, number: str = MOBILE) -> Any:
    params = {"MessageSid": sid, "From": number, "To": "+4930123456", "Body": body}
    signature = RequestValidator(TOKEN).compute_signature(
        f"{SITE}/hooks/twilio/inbound/", params)
    return client.post("/hooks/twilio/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signature)


def replies(customer: Any) -> list[Any]:
    return list(customer.interactions.filter(kind=InteractionKind.NOTE,
                                             metadata__has_key="reply"))


# --- e-mail ------------------------------------------------------------------------------------

def test_a_reply_to_a_reminder_is_threaded_to_it_shown_and_to_be_read(client, customer, overdue):
    invoice = overdue(customer, 7)
    assert tick(NOW).sent == 1
    reminder = OutboundMessage.objects.get(client=customer, channel="email")
    [sent] = mail.outbox  # the reminder carries the Message-ID the reply will name
    sent_id = sent.extra_headers["Message-ID"]
    assert sent_id == thread_message_id(reminder, sent_id.rpartition("@")[2].rstrip(">"))
    other = ClientFactory(email="colleague@elsewhere.example")  # a colleague answers for Anna
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        response = post_inbound(client, postmark_inbound(
            sender="colleague@elsewhere.example",
            headers=[("In-Reply-To", sent_id),
                     ("References", f"<older@x.example> "
                                    f"{thread_message_id(reminder, 'settle.example')}")]))
    assert response.status_code == 200
    [reply] = replies(customer)
    assert not replies(other)  # the thread wins over the sender's address
    assert (reply.actor_label, reply.channel) == ("client", "email")
    assert reply.summary == ("Email from the client: Re: Payment reminder INV-0001 — We paid "
                             "on Friday, please check.")
    assert reply.content["text"] == "We paid on Friday, please check."  # the quote stripped
    assert list(reply.invoices.all()) == [invoice]
    assert reply.metadata["in_reply_to"] == reminder.pk

    task = Task.objects.get(kind=TaskKind.REPLY)
    assert (task.client, task.assigned_to, task.status) == (customer, customer.owner, "open")
    assert "We paid on Friday" in task.script and list(task.invoices.all()) == [invoice]
    work = {w.key: w for w in desk_selectors.todays_work(now=NOW, end_of_day=NOW)}
    assert work["replies"].count == 1 and work["replies"].url.endswith("kind=reply")

    client.force_login(UserFactory(username="bea"))
    dashboard = client.get(reverse("desk:dashboard")).content.decode()
    assert "Replies to read" in dashboard
    listed = client.get(work["replies"].url).content.decode()
    assert task.title in listed
    page = client.get(reverse("desk:client", args=[customer.pk])).content.decode()
    assert "Exactly as received from colleague@elsewhere.example" in page
    assert "We paid on Friday, please check." in page
    client.post(reverse("reminders:task-done", args=[task.pk]))
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE


def test_the_providers_message_id_threads_too(client, customer, overdue):
    overdue(customer, 7)
    tick(NOW)
    sent = OutboundMessage.objects.get(client=customer)
    OutboundMessage.objects.filter(pk=sent.pk).update(  # as Amazon SES would have sent it
        provider="amazon_ses", provider_message_id="0100018e4c3b7a2e-5f0e-4b1c-0000")
    post_inbound(client, postmark_inbound(
        sender="someone@else.example",
        headers=[("In-Reply-To", "<0100018e4c3b7a2e-5f0e-4b1c-0000@email.amazonses.com>")]))
    assert replies(customer)[0].metadata["in_reply_to"] == sent.pk


def test_a_raw_mime_reply_threads_and_keeps_its_attachment(client, customer, overdue):
    """Postmark's "Include raw email content in JSON payload": anymail parses the MIME."""
    from email.message import EmailMessage

    overdue(customer, 7)
    tick(NOW)
    sent = OutboundMessage.objects.get(client=customer)
    raw = EmailMessage()
    raw["From"] = "Anna Schmidt <anna@other-address.example>"
    raw["To"] = "billing@settle.example"
    raw["Subject"] = "Re: Zahlungserinnerung"
    raw["Message-ID"] = "<raw-1@mail.other-address.example>"
    raw["In-Reply-To"] = thread_message_id(sent, "settle.example")
    raw.set_content("Überwiesen am Freitag, Beleg anbei.")
    raw.add_attachment(_pdf(), maintype="application", subtype="pdf",
                       filename="Überweisung März.pdf")
    payload = postmark_inbound(sender="anna@other-address.example")
    payload["RawEmail"] = raw.as_string()
    assert post_inbound(client, payload).status_code == 200
    [reply] = replies(customer)
    assert reply.content["text"].startswith("We paid on Friday")  # Postmark's stripped reply
    assert reply.metadata["in_reply_to"] == sent.pk
    [kept] = reply.metadata["attachments"]
    assert kept["name"].endswith(".pdf") and kept["file"].startswith("replies/")
    payload["StrippedTextReply"] = ""
    payload["RawEmail"] = raw.as_string().replace("raw-1@", "raw-2@")
    post_inbound(client, payload)
    assert replies(customer)[0].content["text"] == "Überwiesen am Freitag, Beleg anbei."


def test_a_forged_thread_id_is_not_trusted(client, customer, overdue):
    overdue(customer, 7)
    tick(NOW)
    sent = OutboundMessage.objects.get(client=customer)
    forged = f"<settle.{sent.pk}.{'0' * 20}@settle.example>"
    post_inbound(client, postmark_inbound(sender="stranger@spam.example",
                                          headers=[("In-Reply-To", forged)]))
    assert replies(customer) == [] and not Task.objects.exists()


def test_matched_by_the_senders_address_in_any_case_and_it_holds(client, customer, overdue):
    overdue(customer, 7)  # the +7 step is due this morning
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        post_inbound(client, postmark_inbound(sender="anna.schmidt@baeckerei.EXAMPLE"))
    assert len(replies(customer)) == 1
    assert customer.pk in last_personal_contact([customer.pk], NOW)
    assert tick(NOW).sent == 0 and mail.outbox == []  # people first: the reminder waits


def test_a_retried_webhook_is_recorded_once(client, customer):
    payload = postmark_inbound(sender=customer.email)
    for _ in range(3):
        assert post_inbound(client, payload).status_code == 200
    assert len(replies(customer)) == 1
    assert Task.objects.filter(kind=TaskKind.REPLY).count() == 1
    assert MessageEvent.objects.filter(provider="postmark-inbound").count() == 1


def test_the_webhook_secret_is_required(client, customer):
    response = post_inbound(client, postmark_inbound(sender=customer.email), auth="hook:wrong")
    assert response.status_code in (400, 401, 403)
    assert replies(customer) == []


@pytest.mark.parametrize(("headers", "subject"), [
    ([("Auto-Submitted", "auto-replied")], "Re: Payment reminder INV-0001"),
    ([("Auto-Submitted", "auto-generated")], "Delivery report"),
    ([("Precedence", "auto_reply")], "Re: Payment reminder"),
    ([("X-Autoreply", "yes")], "Re: Payment reminder"),
    ([], "Out of Office: Re: Payment reminder INV-0001"),
    ([], "Automatische Antwort: Zahlungserinnerung"),
    ([], "Abwesenheitsnotiz: bis 30. März nicht im Büro"),
    ([], "Réponse automatique : Rappel de paiement"),
])
def test_auto_replies_are_recorded_but_do_not_hold(client, customer, overdue, headers, subject):
    overdue(customer, 7)
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        post_inbound(client, postmark_inbound(sender=customer.email, subject=subject,
                                              headers=headers,
                                              text="I am away until 30 March.", stripped=""))
    [reply] = replies(customer)
    assert reply.actor_label == "auto-reply" and reply.metadata["auto"] is True
    assert reply.summary.startswith("Automatic reply by email:")
    assert not Task.objects.exists()  # nothing to read
    assert customer.pk not in last_personal_contact([customer.pk], NOW)
    assert tick(NOW).sent == 1


def test_auto_submitted_no_is_a_person(client, customer):
    post_inbound(client, postmark_inbound(sender=customer.email,
                                          headers=[("Auto-Submitted", "no")]))
    assert replies(customer)[0].actor_label == "client"


def test_attachments_are_checked_and_stored_like_a_disputes(client, customer):
    pdf, png = _pdf(), _png()
    post_inbound(client, postmark_inbound(sender=customer.email, attachments=[
        attachment("remittance advice.pdf", "application/pdf", pdf),
        attachment("receipt.png", "image/png", png),
        attachment("invoice.html", "text/html", b"<script>alert(1)</script>"),
        attachment("evil.html", "text/html", pdf)]))  # a PDF, whatever it is called
    [reply] = replies(customer)
    kept = reply.metadata["attachments"]
    assert [a["name"] for a in kept] == ["remittance-advice.pdf", "receipt.png",
                                         "invoice.html", "evil.pdf"]
    assert "PDF, PNG or JPEG" in kept[2]["refused"] and "file" not in kept[2]
    assert all(a["file"].startswith("replies/2026/03/") for a in (kept[0], kept[1], kept[3]))
    assert default_storage.open(kept[0]["file"]).read() == pdf
    stored_png = default_storage.open(kept[1]["file"]).read()
    assert stored_png.startswith(b"\x89PNG") and b"trailing bytes" not in stored_png  # re-encoded
    assert "receipt.png" in Task.objects.get().script

    url = reverse("desk:reply-attachment", args=[reply.pk, 0])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory(username="bea"))
    page = client.get(reverse("desk:client", args=[customer.pk])).content.decode()
    assert url in page and "invoice.html" in page and "not kept" in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == pdf
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(reverse("desk:reply-attachment", args=[reply.pk, 2])).status_code == 404
    assert client.get(reverse("desk:reply-attachment", args=[reply.pk, 9])).status_code == 404


def test_an_unknown_sender_is_logged_and_counted_not_shown(client, customer, caplog):
    with caplog.at_level(logging.WARNING, logger="reminders.channels.inbound"):
        response = post_inbound(client, postmark_inbound(sender="nobody@unknown.example",
                                                         attachments=[attachment(
                                                             "a.pdf", "application/pdf",
                                                             _pdf())]))
    assert response.status_code == 200
    assert not customer.interactions.exists() and not Task.objects.exists()
    assert unknown_sender_replies() == 1
    assert "unknown sender (nobody@unknown.example)" in caplog.text


def test_the_inbound_route_answers_without_its_trailing_slash(client, customer):
    response = post_inbound(client, postmark_inbound(sender=customer.email),
                            path=INBOUND.rstrip("/"))
    assert response.status_code == 200
    assert len(replies(customer)) == 1


# --- SMS ---------------------------------------------------------------------------------------

def test_an_sms_reply_is_recorded_holds_and_is_to_be_read(client, customer, overdue):
    overdue(customer, 7)
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        assert sms_inbound(client, "Paid yesterday", "SM" + "1" * 32).status_code == 200
    [reply] = replies(customer)
    assert (reply.summary, reply.actor_label, reply.channel) == (
        "SMS from the client: Paid yesterday", "client", "sms")
    task = Task.objects.get(kind=TaskKind.REPLY)
    assert task.title == "Read the SMS reply from Bäckerei Schmidt"
    assert tick(NOW).sent == 0  # held, like after a call
    sms_inbound(client, "Paid yesterday", "SM" + "1" * 32)  # Twilio retries: harmless
    assert len(replies(customer)) == 1 and Task.objects.count() == 1


def test_an_sms_from_an_unknown_number_is_counted_not_recorded(client, customer, caplog):
    with caplog.at_level(logging.WARNING, logger="reminders.channels.inbound"):
        sms_inbound(client, "Who is this?", "SM" + "2" * 32, number="+4917000000000")
        sms_inbound(client, "STOP", "SM" + "3" * 32, number="+4917000000001")  # not a reply
    assert not customer.interactions.exists() and not Task.objects.exists()
    assert unknown_sender_replies() == 1
    assert "+4917000000000" in caplog.text



def test_replies_go_to_the_inbound_address_when_one_is_set(customer, overdue, settings):
    settings.SETTLE_REPLY_TO = "replies@in.settle.example"
    overdue(customer, 7)
    tick(NOW)
    [sent] = mail.outbox
    assert sent.reply_to == ["replies@in.settle.example"]
