"""Each answer on the pay-now page changes what the reminders do next: a promise pauses them
(and a broken one resumes them with adjusted wording), a plan replaces them once accepted, a
dispute stops them for that invoice only, preferences change the next tick's channel, and a
call-back request becomes a call task. All driven through the pages, as a client would."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from answers.models import Dispute, PaymentPlan, PlanStatus, PortalSettings
from answers.plans import plan_accept, plan_decline
from clients.models import ContactFlag, FlagReason, Interaction, InteractionKind
from receivables import services as receivables
from receivables.models import InvoiceStatus
from reminders.forecast import forecast
from reminders.models import OutboundMessage, Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import BERLIN, NOW, tick
from work.models import Task, TaskKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


@pytest.fixture
def customer(owner):
    return ClientFactory(owner=owner, channel_preferences=["email", "sms", "letter"])


def url(issued, page=""):
    return f"/p/{issued.token}/{page}"


def entries(customer, kind):
    return list(Interaction.objects.filter(client=customer, kind=kind)
                .order_by("occurred_at", "pk"))


# --- Promise to pay ---------------------------------------------------------------------------

def test_promise_pauses_reminders_tells_the_bookkeeper_and_a_broken_one_resumes(
        client, customer, issue, overdue, django_capture_on_commit_callbacks):
    invoice = overdue(customer, 6)  # the +7 step is due tomorrow
    issued = issue(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(issued, "promise/"), {
            "invoice": [invoice.pk], "promised_on": "2026-03-24", "amount": "927,31"})
    assert response.status_code == 303 and response["Location"].endswith("?done=promise")
    invoice.refresh_from_db()
    assert invoice.promised_until == date(2026, 3, 24)
    [promise] = entries(customer, InteractionKind.PROMISE_TO_PAY)
    assert (promise.channel, promise.actor_label) == ("portal", "client")
    assert promise.metadata == {"promised_on": "2026-03-24", "amount": "927.31"}
    task = Task.objects.get(kind=TaskKind.NOTICE)
    assert task.assigned_to == customer.owner and "promised to pay" in task.title
    assert mail.outbox and mail.outbox[-1].to == [customer.owner.email]
    # The forecast knows: nothing for this invoice before the promise has passed.
    ahead = forecast(now=NOW, days=7)
    assert all(invoice.number not in e["invoices"] for e in ahead)

    assert tick(datetime(2026, 3, 18, 10, 0, tzinfo=BERLIN)).sent == 0
    assert tick(datetime(2026, 3, 24, 10, 0, tzinfo=BERLIN)).sent == 0  # the promised day
    report = tick(datetime(2026, 3, 25, 10, 0, tzinfo=BERLIN))
    assert report.sent == 1
    [broken] = [e for e in entries(customer, InteractionKind.ESCALATION)
                if "Broken promise" in e.summary]
    assert list(broken.invoices.all()) == [invoice]
    message = OutboundMessage.objects.get(client=customer)
    assert "24. März 2026" in message.text  # "Sie hatten uns eine Zahlung bis ... zugesagt"
    assert "zugesagt" in message.text


@pytest.mark.parametrize(("data", "field"), [
    ({"promised_on": "2026-03-16"}, "promised_on"),
    ({"promised_on": "2026-06-30"}, "promised_on"),
    ({"promised_on": ""}, "promised_on"),
    ({"promised_on": "2026-03-20", "amount": "99999"}, "amount"),
    ({"promised_on": "2026-03-20", "amount": "abc"}, "amount"),
])
def test_a_bad_promise_is_refused_with_a_message_and_changes_nothing(
        client, customer, issue, overdue, data, field):
    invoice = overdue(customer, 6)
    response = client.post(url(issue(customer), "promise/"), {"invoice": [invoice.pk], **data})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.promised_until is None
    assert not entries(customer, InteractionKind.PROMISE_TO_PAY)


# --- Payment plan -----------------------------------------------------------------------------

def propose(client, issued, invoices, **data):
    return client.post(url(issued, "plan/"), {
        "invoice": [i.pk for i in invoices], "count": "3", "first": "2026-03-31",
        "frequency": "monthly", "note": "Cash flow is tight this quarter", **data})


def test_plan_proposal_waits_then_acceptance_replaces_the_cadence_with_instalments(
        client, customer, issue, overdue, owner):
    first, second = overdue(customer, 6, amount="600.00"), overdue(customer, 6, amount="300.01")
    waiting = Reminder.objects.create(invoice=first, client=customer, step=_step(7),
                                      channel="email", scheduled_for=NOW + timedelta(days=1))
    assert propose(client, issue(customer), [first, second]).status_code == 303
    plan = PaymentPlan.objects.get()
    assert plan.status == PlanStatus.PROPOSED and plan.total == Decimal("900.01")
    assert [(i.due_date, i.amount) for i in plan.instalments.all()] == [
        (date(2026, 3, 31), Decimal("300.01")), (date(2026, 4, 30), Decimal("300.00")),
        (date(2026, 5, 31), Decimal("300.00"))]
    assert Task.objects.get(kind=TaskKind.PLAN).plan == plan
    # While the bookkeeper decides, nothing goes out for these invoices.
    assert tick(datetime(2026, 3, 18, 10, 0, tzinfo=BERLIN)).sent == 0
    waiting.refresh_from_db()
    assert waiting.status == ReminderStatus.SCHEDULED  # waits, not dropped

    plan_accept(plan=plan, actor=owner, now=datetime(2026, 3, 18, 11, 0, tzinfo=BERLIN))
    waiting.refresh_from_db()
    assert waiting.status == ReminderStatus.CANCELLED
    assert not Task.objects.filter(kind=TaskKind.PLAN, status="open").exists()
    # -3 days before the first instalment: its reminder, not the cadence's +14.
    tick(datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN))  # Saturday: planned for Monday
    report = tick(datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN))
    assert report.sent == 1
    message = OutboundMessage.objects.get(client=customer)
    assert "Rate 1 von 3" in message.text and "300,01" in message.text
    rows = Reminder.objects.filter(invoice__in=[first, second], status="sent")
    assert [r.instalment.number for r in rows] == [1]
    # Paying the first instalment moves the plan to the second.
    with time_machine.travel(datetime(2026, 3, 30, 12, 0, tzinfo=BERLIN), tick=False):
        receivables.payment_record(client=customer, amount="300.01",
                                   received_on=date(2026, 3, 30))
    ahead = forecast(now=datetime(2026, 3, 31, 10, 0, tzinfo=BERLIN), days=40)
    steps = [e["step"] for e in ahead]
    assert "Instalment coming up" in steps and "Polite follow-up" not in steps
    assert not any("Firmer" in s for s in steps)


def _step(offset):
    from tests.reminders.support import step
    return step(offset)


def test_declined_plan_resumes_the_cadence(client, customer, issue, overdue, owner):
    invoice = overdue(customer, 6)
    propose(client, issue(customer), [invoice], count="2")
    plan = PaymentPlan.objects.get()
    plan_decline(plan=plan, actor=owner, note="Too long")
    # The client's proposal was a personal contact: the cadence resumes after its hold (three
    # business days from Tuesday 17 March), on Monday.
    assert tick(datetime(2026, 3, 18, 10, 0, tzinfo=BERLIN)).sent == 0
    assert tick(datetime(2026, 3, 23, 10, 0, tzinfo=BERLIN)).sent == 1
    assert entries(customer, InteractionKind.PAYMENT_PLAN)[-1].summary.startswith(
        "Payment plan declined")


@pytest.mark.parametrize(("data", "field"), [
    ({"count": "9"}, "count"),
    ({"first": "2026-06-01"}, "first"),
    ({"first": "2026-03-01"}, "first"),
    ({"frequency": "yearly"}, "frequency"),
])
def test_a_plan_outside_the_admins_limits_is_refused(client, customer, issue, overdue, data,
                                                     field):
    invoice = overdue(customer, 6)
    response = propose(client, issue(customer), [invoice], **data)
    assert response.status_code == 400
    assert not PaymentPlan.objects.exists()


def test_plan_minimum_instalment(client, customer, issue, overdue):
    PortalSettings.objects.update_or_create(singleton=True,
                                            defaults={"plan_min_instalment": {"EUR": "400"}})
    invoice = overdue(customer, 6)  # 927.31 in 3 is under 400 each
    response = propose(client, issue(customer), [invoice])
    assert response.status_code == 400
    assert "400,00" in response.content.decode()
    assert propose(client, issue(customer), [invoice], count="2").status_code == 303


# --- Dispute ----------------------------------------------------------------------------------

def _one_page_pdf() -> bytes:
    """A real PDF: attachments are parsed whole (infra.uploads), a header alone is refused."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer, out = PdfWriter(), BytesIO()
    writer.add_blank_page(595, 842)
    writer.write(out)
    return out.getvalue()


PDF = _one_page_pdf()


def test_dispute_stops_reminders_for_that_invoice_only(client, customer, issue, overdue):
    disputed, other = overdue(customer, 7), overdue(customer, 7, amount="10.00")
    tick(NOW)  # both are planned and sent together
    mail.outbox.clear()
    waiting = Reminder.objects.create(invoice=disputed, client=customer, step=_step(14),
                                      channel="email", scheduled_for=NOW + timedelta(days=7))
    response = client.post(url(issue(customer), "dispute/"), {
        "invoice": disputed.pk, "reason": "wrong_amount", "message": "We agreed on 800",
        "attachment": SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 303
    disputed.refresh_from_db(), waiting.refresh_from_db()
    assert disputed.status == InvoiceStatus.DISPUTED
    assert waiting.status == ReminderStatus.CANCELLED
    dispute = Dispute.objects.get()
    assert dispute.attachment_type == "application/pdf" and dispute.attachment.read() == PDF
    assert Task.objects.get(kind=TaskKind.DISPUTE).dispute == dispute
    ahead = forecast(now=NOW, days=30)
    assert any(other.number in e["invoices"] for e in ahead)
    assert all(disputed.number not in e["invoices"] for e in ahead)
    report = tick(datetime(2026, 3, 24, 10, 0, tzinfo=BERLIN))
    assert report.sent == 1
    assert disputed.number not in OutboundMessage.objects.latest("pk").text


@pytest.mark.parametrize(("upload", "error"), [
    (SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"),
     "Attach a PDF, PNG or JPEG file."),
    (SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024),
                        content_type="application/pdf"), "larger than 5 MB"),
])
def test_a_bad_attachment_is_refused_and_nothing_changes(client, customer, issue, overdue,
                                                        upload, error):
    invoice = overdue(customer, 7)
    response = client.post(url(issue(customer), "dispute/"), {
        "invoice": invoice.pk, "reason": "quality", "attachment": upload})
    assert response.status_code == 400 and error in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not Dispute.objects.exists()


# --- Preferences and call back ----------------------------------------------------------------

def test_preferences_change_the_next_ticks_channel(client, customer, issue, overdue, settings):
    invoice = overdue(customer, 6)
    response = client.post(url(issue(customer), "preferences/"), {
        "first_channel": "letter", "language": "en"})
    assert response.status_code == 303
    customer.refresh_from_db()
    assert customer.channel_preferences == ["letter", "email", "sms"]
    assert customer.language == "en"
    [change] = entries(customer, InteractionKind.PREFERENCES)
    assert "letter" in change.summary and change.actor_label == "client"
    tick(datetime(2026, 3, 18, 10, 0, tzinfo=BERLIN))
    reminder = Reminder.objects.get(invoice=invoice)
    assert reminder.channel == "letter"
    assert OutboundMessage.objects.get(client=customer).channel == "letter"


def test_opting_out_of_sms_on_the_page(client, customer, issue):
    customer.channel_preferences = ["sms", "email", "letter"]
    customer.save()
    client.post(url(issue(customer), "preferences/"), {
        "first_channel": "sms", "language": "de", "no_sms": "on"})
    flag = ContactFlag.objects.get(client=customer, cleared_at__isnull=True)
    assert (flag.channel, flag.reason) == ("sms", FlagReason.OPTED_OUT)
    page = client.get(url(issue(customer), "preferences/")).content.decode()
    assert "gesetzlich vorgeschrieben" in page  # email and letter stay for legal notices
    client.post(url(issue(customer), "preferences/"), {"first_channel": "sms", "language": "de"})
    assert not ContactFlag.objects.filter(client=customer, cleared_at__isnull=True).exists()


def test_call_back_request_makes_a_call_task_at_that_time(client, customer, issue, overdue):
    overdue(customer, 7)
    response = client.post(url(issue(customer), "callback/"), {
        "day": "2026-03-19", "window": "afternoon", "number": "030 1234567", "note": "Ask Ina"})
    assert response.status_code == 303
    task = Task.objects.get(kind=TaskKind.CALL)
    assert task.due_at == datetime(2026, 3, 19, 13, 0, tzinfo=BERLIN)
    assert "+49301234567" in task.title and "Ask Ina" in task.script
    bad = client.post(url(issue(customer), "callback/"), {"day": "2026-03-21",
                                                          "window": "afternoon"})
    assert bad.status_code == 400  # a Saturday is not offered


# --- The bookkeeper's side --------------------------------------------------------------------

def test_the_bookkeeper_accepts_a_plan_with_one_click_on_the_task(client, customer, issue,
                                                                  overdue, owner):
    invoice = overdue(customer, 6)
    propose(client, issue(customer), [invoice])
    task = Task.objects.get(kind=TaskKind.PLAN)
    client.force_login(owner)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "Accept the plan" in page and "Cash flow is tight" in page
    response = client.post(f"/plans/{task.plan_id}/accept/", {"next": f"/tasks/{task.pk}/"})
    assert response.status_code == 302
    plan = PaymentPlan.objects.get()
    assert (plan.status, plan.decided_by) == (PlanStatus.ACCEPTED, owner)
    again = client.post(f"/plans/{plan.pk}/decline/", follow=True).content.decode()
    assert "cannot be declined now" in again


def test_dispute_attachment_is_only_for_signed_in_staff_and_resolving_reopens(
        client, customer, issue, overdue, owner):
    invoice = overdue(customer, 7)
    client.post(url(issue(customer), "dispute/"), {
        "invoice": invoice.pk, "reason": "quality", "message": "Broken parts",
        "attachment": SimpleUploadedFile("photo.pdf", PDF, content_type="application/pdf")})
    dispute = Dispute.objects.get()
    assert client.get(f"/disputes/{dispute.pk}/attachment/").status_code == 302  # to login
    client.force_login(owner)
    download = client.get(f"/disputes/{dispute.pk}/attachment/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    client.post(f"/disputes/{dispute.pk}/resolve/", {"reopen": "1", "note": "Parts replaced"})
    invoice.refresh_from_db(), dispute.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and dispute.status == "resolved"
    assert not Task.objects.filter(kind=TaskKind.DISPUTE, status="open").exists()
