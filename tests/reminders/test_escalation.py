"""Escalation: handing invoices to collections (the engine stops, the package tells the whole
story), a letter of demand issued by hand, and the pages for both."""

import csv
import hashlib
import io
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from answers.disputes import dispute_open
from answers.models import PaymentPlan, PlanStatus
from clients.models import Interaction, InteractionKind
from escalation.demand import letter_of_demand_issue
from escalation.handover import escalate_to_collections
from escalation.package import collections_package
from receivables.models import InvoiceStatus
from receivables.services import invoice_transition
from reminders.models import CadenceStep, MessageStatus, OutboundMessage, Reminder, ReminderStatus
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, TUESDAY, step, tick
from work import calls, printing
from work.models import CallAttempt, Task, TaskKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text in content order (a table cell's lines stay together), whitespace
    folded so wrapped lines read as one."""
    path = tmp_path / "package.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                         check=True, text=True).stdout
    return " ".join(out.replace("\u00a0", " ").split())


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


@pytest.fixture
def customer(owner: Any) -> Any:
    return ClientFactory(owner=owner, channel_preferences=["email", "sms", "letter", "phone"])


@pytest.fixture
def history(customer: Any, owner: Any, overdue: Any, make_invoice: Any) -> dict[str, Any]:
    """A client's story before the hand-over: an email reminder, a letter of demand, a call
    with a promise, and a dispute of a second invoice in another currency."""
    first = overdue(customer, 8, number="INV-0001")  # the +7 follow-up is due now
    tick(NOW)
    email = OutboundMessage.objects.get(channel="email")
    second = make_invoice(customer, "400.00", currency="USD", number="INV-0002",
                          issue_date=TUESDAY - timedelta(days=40))
    letter = letter_of_demand_issue(client=customer, invoices=[first], actor=owner,
                                    now=NOW + timedelta(hours=1))
    task = calls.task_call_create(client=customer, invoices=[first], step=None,
                                  now=NOW + timedelta(hours=2))
    calls.call_record(task=task, number=customer.mobile_phone, outcome="promise", actor=owner,
                      note="Promised to pay after the audit", promised_on=TUESDAY
                      + timedelta(days=7), promised_amount="927.31",
                      now=NOW + timedelta(hours=2))
    dispute_open(client=customer, invoice_id=second.pk, reason="wrong_amount",
                         message="=SUM(A1) the hours are wrong", upload=None,
                         now=NOW + timedelta(hours=3))
    return {"first": first, "second": second, "email": email, "letter": letter}


# --- Handing over ------------------------------------------------------------------------------

def test_escalation_stops_the_engine_for_the_invoices(customer, owner, overdue):
    invoice = overdue(customer, 8)
    other = overdue(customer, 1, number="KEEP-1")  # not handed over: its cadence carries on
    tick(NOW)
    assert len(mail.outbox) == 1
    waiting = Reminder.objects.create(invoice=invoice, client=customer, step=step(14),
                                      channel="email", scheduled_for=NOW + timedelta(days=6))

    package = escalate_to_collections(invoices=[invoice], actor=owner,
                                      now=NOW + timedelta(hours=1), note="Ignored 3 reminders")

    invoice.refresh_from_db()
    other.refresh_from_db()
    assert invoice.status == InvoiceStatus.IN_COLLECTIONS
    assert other.status == InvoiceStatus.OPEN
    waiting.refresh_from_db()
    assert waiting.status == ReminderStatus.CANCELLED
    assert "handed to collections by Berta Keeper" in waiting.last_error
    entry = customer.interactions.get(kind=InteractionKind.ESCALATION)
    assert entry.actor == owner
    assert list(entry.invoices.all()) == [invoice]
    assert "Ignored 3 reminders" in entry.summary
    manifest = entry.metadata["package"]
    assert manifest["files"] == package.files
    assert manifest["pdf"]["sha256"] == hashlib.sha256(package.pdf).hexdigest()
    assert manifest["zip"]["sha256"] == hashlib.sha256(package.zip).hexdigest()
    assert entry.metadata["reminders_cancelled"] == 1

    before = list(Reminder.objects.filter(invoice=invoice).values_list("pk", "status"))
    report = tick(NOW + timedelta(days=8))
    assert list(Reminder.objects.filter(invoice=invoice).values_list("pk", "status")) == before
    assert report.sent == 1  # the engine still runs for the client's other invoice ...
    assert other.number in mail.outbox[-1].body
    assert not [m for m in mail.outbox[1:] if invoice.number in m.body]  # ... not for this one


def test_package_zip_has_every_part(history, owner, tmp_path):
    first, second, email, letter = (history[k] for k in ("first", "second", "email", "letter"))
    package = escalate_to_collections(invoices=[first, second], actor=owner,
                                      now=NOW + timedelta(hours=4), note="Over to Inkasso")
    archive = zipfile.ZipFile(io.BytesIO(package.zip))
    day = TUESDAY.isoformat()
    assert sorted(archive.namelist()) == sorted([
        "cover.pdf", "statement-EUR.pdf", "statement-USD.pdf", "invoices/INV-0001.pdf",
        "invoices/INV-0002.pdf",
        f"reminders/{day}-email-{email.pk}.txt", f"reminders/{day}-email-{email.pk}.html",
        f"reminders/{day}-letter-{letter.pk}.txt", f"reminders/{day}-letter-{letter.pk}.html",
        f"reminders/{day}-letter-{letter.pk}.pdf",
        "reminders.csv", "calls.csv", "disputes.csv", "timeline.csv"])
    assert set(package.files) == set(archive.namelist())
    for name in archive.namelist():
        assert package.files[name] == hashlib.sha256(archive.read(name)).hexdigest()
        if name.endswith(".pdf"):
            assert archive.read(name).startswith(b"%PDF")
    assert archive.read(f"reminders/{day}-letter-{letter.pk}.pdf") == bytes(letter.document)
    eml = archive.read(f"reminders/{day}-email-{email.pk}.txt").decode()
    assert f"Subject: {email.subject}" in eml and f"To: {email.to}" in eml
    assert "X-Settle-Invoices: INV-0001" in eml and email.text in eml

    [call] = read_csv(archive, "calls.csv")
    assert (call["outcome"], call["note"], call["promised_amount"], call["currency"],
            call["invoices"], call["called_by"]) == (
        "promise", "Promised to pay after the audit", "927.31", "EUR", "INV-0001",
        "Berta Keeper")
    assert call["called_at"].startswith(f"{day}T12:30:00+01:00")
    [dispute] = read_csv(archive, "disputes.csv")
    assert (dispute["invoice"], dispute["reason"], dispute["status"]) == (
        "INV-0002", "wrong_amount", "open")
    assert dispute["message"] == "'=SUM(A1) the hours are wrong"  # never run as a formula
    sent = read_csv(archive, "reminders.csv")
    assert [(r["channel"], r["subject_or_first_line"], r["status"]) for r in sent] == [
        ("email", email.subject, "accepted"), ("letter", letter.subject, "print_queue")]
    timeline = read_csv(archive, "timeline.csv")
    kinds = [row["kind"] for row in timeline]
    assert kinds.count("promise_to_pay") == 1 and "dispute" in kinds
    handed = [r for r in timeline if r["kind"] == "status_change" and "in collections"
              in r["summary"]]
    assert {r["invoices"] for r in handed} == {"INV-0001", "INV-0002"}
    assert all(r["actor"] == "Berta Keeper" for r in handed)


def test_package_pdf_tells_the_story(history, owner, tmp_path):
    first, second, email, letter = (history[k] for k in ("first", "second", "email", "letter"))
    package = escalate_to_collections(invoices=[first, second], actor=owner,
                                      now=NOW + timedelta(hours=4), note="Over to Inkasso")
    text = pdf_text(package.pdf, tmp_path)
    for expected in ("Handed to collections", first.client.display_name, "INV-0001",
                     "INV-0002", email.subject, letter.subject, "Promised to pay after the audit",
                     "The amount is wrong", "=SUM(A1) the hours are wrong", "Over to Inkasso",
                     "Berta Keeper", "In collections", "Kontoauszug", "Promise"):
        assert expected in text, expected
    # Totals per currency on the cover, in the business's locale (en_DE).
    assert "EUR 1 927,31 € 0,00 € 927,31 €" in text and "USD 1 400,00 US$" in text
    cover = pdf_text(zipfile.ZipFile(io.BytesIO(package.zip)).read("cover.pdf"), tmp_path)
    assert "Escalated" in cover and "Berta Keeper" in cover and first.client.email in cover


def test_package_queries_do_not_grow_with_the_history(customer, owner, overdue):
    invoice = overdue(customer, 40)
    invoice_transition(invoice=invoice, to=InvoiceStatus.IN_COLLECTIONS, actor=owner)

    def add_history(count: int) -> None:
        steps = list(CadenceStep.objects.filter(cadence__is_default=True)
                     .exclude(pk__in=Reminder.objects.values("step_id")))
        for index in range(count):
            message = OutboundMessage.objects.create(
                client=customer, channel="email", language="de", to=customer.email,
                subject=f"Reminder {index}", text="Please pay", sent_at=NOW)
            Reminder.objects.create(invoice=invoice, client=customer, step=steps[index],
                                    channel="email", scheduled_for=NOW, status="sent",
                                    message=message)
            task = Task.objects.create(kind=TaskKind.CALL, client=customer, title="Call",
                                       due_at=NOW)
            task.invoices.set([invoice])
            CallAttempt.objects.create(task=task, client=customer, number=customer.phone or
                                       customer.mobile_phone, outcome="no_answer",
                                       note=f"Try {index}", called_by=owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            collections_package(client=customer, invoices=[invoice], now=NOW)
        return len(captured)

    add_history(1)
    queries()  # warm: the business profile is read once a minute, not per package
    few = queries()
    add_history(3)
    assert queries() == few
    assert few <= 20


@pytest.mark.parametrize(("make_unfit", "why"), [
    (lambda i, pay: pay(i.client, "927.31", TUESDAY, invoices=[i]), "is paid: nothing is owed"),
    (lambda i, pay: invoice_transition(invoice=i, to="void"), "is void"),
    (lambda i, pay: invoice_transition(invoice=i, to="written_off"), "is written off"),
    (lambda i, pay: invoice_transition(invoice=i, to="in_collections"),
     "is already in collections"),
])
def test_escalation_refuses_invoices_not_owed(customer, owner, overdue, make_payment,
                                              make_unfit, why):
    fine, unfit = overdue(customer, 20), overdue(customer, 10)
    make_unfit(unfit, make_payment)
    with pytest.raises(ValidationError, match=why):
        escalate_to_collections(invoices=[fine, unfit], actor=owner, now=NOW)
    fine.refresh_from_db()
    assert fine.status == InvoiceStatus.OPEN  # all or nothing
    assert not Interaction.objects.filter(kind=InteractionKind.ESCALATION).exists()


def test_escalation_refuses_invoices_of_different_clients(customer, owner, overdue):
    mine, theirs = overdue(customer, 20), overdue(ClientFactory(), 20)
    with pytest.raises(ValidationError, match="different clients"):
        escalate_to_collections(invoices=[mine, theirs], actor=owner, now=NOW)
    with pytest.raises(ValidationError, match="at least one invoice"):
        escalate_to_collections(invoices=[], actor=owner, now=NOW)
    mine.refresh_from_db()
    assert mine.status == InvoiceStatus.OPEN


def test_a_payment_plan_must_end_before_escalating(customer, owner, overdue):
    invoice = overdue(customer, 20)
    plan = PaymentPlan.objects.create(client=customer, currency="EUR", total=invoice.balance,
                                      status=PlanStatus.ACCEPTED)
    plan.invoices.set([invoice])
    with pytest.raises(ValidationError, match=f"payment plan {plan.pk} \\(accepted\\)"):
        escalate_to_collections(invoices=[invoice], actor=owner, now=NOW)
    with pytest.raises(ValidationError, match="decline or cancel the plan first"):
        letter_of_demand_issue(client=customer, invoices=[invoice], actor=owner, now=NOW)


# --- Letter of demand --------------------------------------------------------------------------

def test_letter_of_demand_goes_to_the_print_queue_and_the_timeline(customer, owner, overdue):
    invoice = overdue(customer, 12)
    letter = letter_of_demand_issue(client=customer, invoices=[invoice], actor=owner, now=NOW)

    assert (letter.channel, letter.status, letter.provider) == (
        "letter", MessageStatus.PRINT_QUEUE, "print_queue")
    assert bytes(letter.document).startswith(b"%PDF")
    assert invoice.number in letter.html and letter.to == customer.contact_for("letter")
    assert list(printing.waiting_letters()) == [letter]
    row = Reminder.objects.get(invoice=invoice)
    assert (row.step.template_key, row.status, row.message) == ("demand_30", "sent", letter)
    entry = customer.interactions.get(kind=InteractionKind.ESCALATION,
                                      metadata__letter_of_demand=True)
    assert entry.actor == owner and list(entry.invoices.all()) == [invoice]
    assert entry.metadata["message_id"] == letter.pk

    tick(NOW + timedelta(days=25))  # the cadence's +30 day: no second letter
    assert OutboundMessage.objects.filter(channel="letter").count() == 1
    with pytest.raises(ValidationError, match="already went out"):
        letter_of_demand_issue(client=customer, invoices=[invoice], actor=owner, now=NOW)

    batch = printing.batch_create(actor=owner, now=NOW)
    printing.batch_mark_posted(batch=batch, actor=owner, now=NOW + timedelta(hours=2))
    posted = customer.interactions.get(kind=InteractionKind.LETTER_REMINDER)
    assert list(posted.invoices.all()) == [invoice]
    assert posted.metadata["step"] == "Letter of demand"


def test_letter_of_demand_sends_the_waiting_row_now(customer, owner, overdue):
    invoice = overdue(customer, 31)
    waiting = Reminder.objects.create(invoice=invoice, client=customer, step=step(30),
                                      channel="letter", scheduled_for=NOW + timedelta(days=1))
    letter = letter_of_demand_issue(client=customer, invoices=[invoice], actor=owner, now=NOW)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.message) == (ReminderStatus.SENT, letter)


def test_one_letter_of_demand_covers_every_currency(customer, owner, overdue):
    euros, dollars = overdue(customer, 31), overdue(customer, 31, currency="USD")
    letter = letter_of_demand_issue(client=customer, invoices=[euros, dollars], actor=owner,
                                    now=NOW)
    assert letter.html.count('<table class="items">') == 2
    assert euros.number in letter.html and dollars.number in letter.html


@pytest.mark.parametrize(("setup", "why"), [
    ("no_address", "no usable postal address"),
    ("disputed", "is disputed"),
    ("other_client", "belongs to"),
])
def test_letter_of_demand_refusals(customer, owner, overdue, setup, why):
    invoices = [overdue(customer, 12)]
    client = customer
    if setup == "no_address":
        customer.address_line1 = ""
        customer.save()
    elif setup == "disputed":
        invoice_transition(invoice=invoices[0], to="disputed")
    else:
        client = ClientFactory()
    with pytest.raises(ValidationError, match=why):
        letter_of_demand_issue(client=client, invoices=invoices, actor=owner, now=NOW)
    assert not OutboundMessage.objects.exists()
    assert not Reminder.objects.exists()


# --- Pages -------------------------------------------------------------------------------------

def test_bookkeeper_hands_over_and_downloads_the_package(client, customer, overdue):
    invoice = overdue(customer, 20)
    client.force_login(UserFactory())
    url = f"/escalation/clients/{customer.pk}/collections/"

    form = client.get(url)
    assert form.status_code == 200 and invoice.number in form.content.decode()
    unconfirmed = client.post(url, {"invoice": [invoice.pk], "note": "x"})
    assert unconfirmed.status_code == 400 and "confirmation" in unconfirmed.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN

    done = client.post(url, {"invoice": [invoice.pk], "note": "Agency A", "confirm": "1"})
    assert done.status_code == 200
    assert f"/escalation/clients/{customer.pk}/package.zip" in done.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.IN_COLLECTIONS

    pdf = client.get(f"/escalation/clients/{customer.pk}/package.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert pdf.content.startswith(b"%PDF")
    archive = client.get(f"/escalation/clients/{customer.pk}/package.zip")
    assert archive["Content-Disposition"] == (
        f'attachment; filename="collections-{customer.reference}-{TUESDAY.isoformat()}.zip"')
    assert "cover.pdf" in zipfile.ZipFile(io.BytesIO(archive.content)).namelist()


def test_refusal_shows_the_form_again(client, customer, overdue):
    invoice = overdue(customer, 20)
    invoice_transition(invoice=invoice, to="in_collections")
    client.force_login(UserFactory())
    response = client.post(f"/escalation/clients/{customer.pk}/collections/",
                           {"invoice": [invoice.pk], "confirm": "1"})
    assert response.status_code == 400
    assert "already in collections" in response.content.decode()
    other = overdue(ClientFactory(), 20)
    response = client.post(f"/escalation/clients/{customer.pk}/collections/",
                           {"invoice": [other.pk], "confirm": "1"})
    assert response.status_code == 400 and "does not belong" in response.content.decode()
    assert client.get(f"/escalation/clients/{ClientFactory().pk}/package.pdf").status_code == 404


@pytest.mark.parametrize(("referer", "target"), [
    ("http://testserver/desk/clients/{pk}/?tab=letters", "http://testserver/desk/clients/{pk}/?tab=letters"),
    ("https://evil.example/phish", "/desk/clients/{pk}/"),
    ("", "/desk/clients/{pk}/"),
])
def test_demand_page_issues_and_goes_back(client, customer, overdue, referer, target):
    invoice = overdue(customer, 12)
    client.force_login(UserFactory())
    headers = {"HTTP_REFERER": referer.format(pk=customer.pk)} if referer else {}
    unconfirmed = client.post(f"/escalation/clients/{customer.pk}/demand/",
                              {"invoice": [invoice.pk]}, **headers)
    assert unconfirmed.status_code == 302
    (refused,) = list(get_messages(unconfirmed.wsgi_request))
    assert refused.level_tag == "error" and "tick the confirmation" in refused.message
    assert not OutboundMessage.objects.filter(channel="letter").exists()  # nothing issued
    response = client.post(f"/escalation/clients/{customer.pk}/demand/",
                           {"invoice": [invoice.pk], "confirm": "1"}, **headers)
    assert response.status_code == 302
    assert response["Location"] == target.format(pk=customer.pk)
    assert OutboundMessage.objects.get(channel="letter").status == MessageStatus.PRINT_QUEUE
    again = client.post(f"/escalation/clients/{customer.pk}/demand/",
                        {"invoice": [invoice.pk], "confirm": "1"})
    assert again.status_code == 302
    *_, first, said = get_messages(again.wsgi_request)  # after the refusal's message
    assert first.level_tag == "success" and "print queue" in first.message
    assert said.level_tag == "error" and "already went out" in said.message


def test_client_page_snippet_offers_both_actions(customer, overdue):
    invoice = overdue(customer, 12)
    html = render_to_string("escalation/_client_actions.html", {
        "client": customer, "rows": [{"invoice": invoice, "active": True, "balance": "x"}]})
    assert f'action="/escalation/clients/{customer.pk}/demand/"' in html
    assert f'value="{invoice.pk}"' in html
    assert f'href="/escalation/clients/{customer.pk}/collections/"' in html


@pytest.mark.parametrize(("method", "path"), [
    ("get", "collections/"), ("post", "collections/"), ("get", "package.pdf"),
    ("get", "package.zip"), ("post", "demand/"),
])
def test_pages_need_the_bookkeeper_role(client, customer, method, path):
    url = f"/escalation/clients/{customer.pk}/{path}"
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=")
    client.force_login(UserFactory(role=""))
    assert getattr(client, method)(url).status_code == 403
