"""The print queue: waiting letters, a print batch from the queue to posted, its PDF and each
letter's."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from clients.models import Client, InteractionKind
from reminders.models import MessageStatus, OutboundMessage
from tests.factories import ClientFactory
from tests.reminders.pages_support import html_of, pdf_text, row_with
from tests.reminders.support import NOW, tick
from work.models import PrintBatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# --- Print queue -----------------------------------------------------------------------------

@pytest.fixture
def letters(overdue):
    """Two clients who prefer letters, each with an invoice a week overdue: one tick puts
    their (real, rendered) letters into the print queue."""
    customers = [ClientFactory(display_name="Bäckerei Schmidt", channel_preferences=[
                     "letter", "email"]),
                 ClientFactory(display_name="Weber Logistik", legal_name="Weber Logistik AG",
                               channel_preferences=["letter", "email"])]
    for customer in customers:
        overdue(customer, 7)
    assert tick(NOW).sent == 2
    assert mail.outbox == []
    found = list(OutboundMessage.objects.order_by("client_id"))
    assert [(m.channel, m.status) for m in found] == [("letter", "print_queue")] * 2
    return found


def test_print_queue_lists_waiting_letters(client, me, letters):
    html = html_of(client.get(reverse("reminders:print-queue")))
    for letter in letters:
        row = row_with(html, letter.client.name_on_letters)
        assert escape(letter.subject) in row
        assert f'href="{reverse("reminders:letter-pdf", args=[letter.pk])}"' in row
    assert "Weber Logistik AG" in html  # the name on letters, not the display name
    assert "Create a print batch of these 2 letters" in html
    assert "No batches yet." in html


def test_print_batch_from_queue_to_posted(client, me, letters, tmp_path):
    assert not Client.objects.filter(
        interactions__kind=InteractionKind.LETTER_REMINDER).exists()
    response = client.post(reverse("reminders:print-batch-create"))
    assert response["Location"] == reverse("reminders:print-queue")
    batch = PrintBatch.objects.get()
    html = html_of(client.get(response["Location"]))
    assert (f"Print batch {batch.pk} created with 2 letters: download, print, post, then "
            "mark it posted.") in html
    assert "No letters are waiting." in html
    assert "Mark posted" in html and "not yet" in html
    for letter in letters:
        letter.refresh_from_db()
        assert (letter.status, letter.print_batch) == (MessageStatus.PRINTING, batch)
    assert batch.created_by == me
    # Still not in any timeline as sent: it is not in the post yet.
    assert not Client.objects.filter(
        interactions__kind=InteractionKind.LETTER_REMINDER).exists()

    response = client.get(reverse("reminders:print-batch-pdf", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="settle-print-batch-{batch.pk}.pdf"')
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert f"Print batch {batch.pk}" in text
    assert "2 letters" in text
    for letter in letters:
        assert text.count(letter.client.name_on_letters) >= 2  # cover sheet and the letter
    assert "Nachfrage zu Rechnung" in text

    later = NOW + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        response = client.post(reverse("reminders:print-batch-posted", args=[batch.pk]))
        html = html_of(client.get(response["Location"]))
    assert f"Print batch {batch.pk} marked posted: each letter is in its client" in html
    batch.refresh_from_db()
    assert (batch.posted_at, batch.posted_by) == (later, me)
    for letter in letters:
        letter.refresh_from_db()
        assert letter.status == MessageStatus.POSTED
        sent = letter.client.interactions.get(kind=InteractionKind.LETTER_REMINDER)
        assert sent.occurred_at == later
        assert sent.metadata["message_id"] == letter.pk
        assert sent.summary == f"Polite follow-up: {letter.subject}"
        assert list(sent.invoices.all()) == list(letter.client.invoices.all())
    assert "Mark posted" not in html

    # Marking it again is refused, and writes nothing more.
    html = html_of(client.post(reverse("reminders:print-batch-posted", args=[batch.pk]),
                               follow=True))
    assert f"Print batch {batch.pk} was already marked posted on" in html
    assert Client.objects.filter(
        interactions__kind=InteractionKind.LETTER_REMINDER).count() == 2
    batch.refresh_from_db()
    assert batch.posted_at == later


def test_creating_a_batch_with_nothing_waiting_is_refused(client, me):
    html = html_of(client.post(reverse("reminders:print-batch-create"), follow=True))
    assert "No letters are waiting to be printed." in html
    assert not PrintBatch.objects.exists()


def test_single_letter_pdf(client, me, letters, tmp_path):
    letter = letters[1]
    response = client.get(reverse("reminders:letter-pdf", args=[letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="settle-letter-{letter.pk}.pdf"'
    assert response.content == bytes(letter.document)
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert "Weber Logistik AG" in text
    assert "Erika Mustermann" in text


def test_letter_pdf_is_only_for_letters(client, me, overdue):
    overdue(ClientFactory(), 7)
    tick(NOW)
    email = OutboundMessage.objects.get(channel="email")
    assert client.get(reverse("reminders:letter-pdf", args=[email.pk])).status_code == 404
    assert client.get(reverse("reminders:print-batch-pdf", args=[999])).status_code == 404
