"""The worklist's bulk actions with their confirmation: pause, resume, send now, assign an
owner, export; failures, stale selections and bad requests."""

from datetime import date
from typing import Any

import pytest
from django.core import mail

from clients.models import Interaction, InteractionKind
from desk import worklist as wl
from desk.worklist import bulk
from receivables.models import Invoice
from receivables.services import invoice_transition
from reminders.models import Reminder
from tests.desk.worklist_support import BULK, URL, csv_rows
from tests.factories import UserFactory
from tests.reminders.support import TUESDAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# --- Bulk actions -----------------------------------------------------------------------------

def ask(browser: Any, action: str, invoices: list[Invoice], **extra: Any) -> Any:
    return browser.post(BULK, {"action": action, "invoice": [i.pk for i in invoices],
                               "back": "currency=EUR&sort=-balance", **extra})


def confirm(browser: Any, asked: Any, **extra: Any) -> Any:
    """Press the confirmation page's button (its form, as rendered, plus ``extra``)."""
    context = asked.context
    data = {"action": context["action"], "confirm": "1", "token": context["token"],
            "back": "currency=EUR&sort=-balance",
            "invoice": [item["invoice"].pk for item in context["invoices"]],
            "until": context["form"]["until"].value() or "",
            "reason": context["form"]["reason"].value() or "",
            "owner": context["form"]["owner"].value() or "", **extra}
    return browser.post(BULK, data, follow=True)


def said(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_pause_asks_first_then_pauses_each_invoice(browser, two_clients, owner):
    invoices = two_clients["invoices"]
    asked = ask(browser, "pause", invoices, until="2026-04-01", reason="Audit")
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Pause reminders: 3 invoices of 2 clients?" in html
    assert all(i.number in html for i in invoices)
    assert not Invoice.objects.filter(reminders_paused_until__isnull=False).exists()

    done = confirm(browser, asked)
    assert done.redirect_chain == [(URL + "?currency=EUR&sort=-balance", 302)]
    assert said(done) == ["Reminders paused until 2026-04-01 for 3 of 3 invoices."]
    assert set(Invoice.objects.values_list("reminders_paused_until", flat=True)) == {
        date(2026, 4, 1)}
    entry = Interaction.objects.filter(client=two_clients["first"],
                                       kind=InteractionKind.STATUS_CHANGE).first()
    assert entry.summary == f"Reminders for {invoices[0].number} paused until 2026-04-01: Audit"
    assert entry.actor == owner


def test_pause_needs_a_day_from_today_on(browser, two_clients):
    asked = ask(browser, "pause", two_clients["invoices"])
    assert asked.status_code == 200 and "Pause until which day?" not in asked.content.decode()
    missing = confirm(browser, asked)
    assert missing.status_code == 400 and "Pause until which day?" in missing.content.decode()
    late = confirm(browser, missing, until="2026-03-16")
    assert late.status_code == 400 and "Choose today or a later day." in late.content.decode()
    assert not Invoice.objects.filter(reminders_paused_until__isnull=False).exists()


def test_resume(browser, two_clients):
    paused = two_clients["invoices"][0]
    Invoice.objects.filter(pk=paused.pk).update(reminders_paused_until=date(2026, 4, 1))
    done = confirm(browser, ask(browser, "resume", [paused]))
    assert said(done) == ["Reminders resumed for 1 of 1 invoices."]
    paused.refresh_from_db()
    assert paused.reminders_paused_until is None
    assert Interaction.objects.filter(summary=f"Reminders for {paused.number} resumed").exists()


def test_send_now_sends_and_reports_each_failure(browser, two_clients):
    first_due, first_older, second_due = two_clients["invoices"]
    invoice_transition(invoice=first_older, to="disputed", reason="Wrong amount")
    asked = ask(browser, "send_now", [first_due, first_older, second_due])
    assert "will be reported as not sent" in asked.content.decode()  # the disputed one
    done = confirm(browser, asked)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [two_clients["first"].email, two_clients["second"].email])
    messages = said(done)
    assert messages[0] == "Next reminder sent now for 2 of 3 invoices."
    assert messages[1].startswith(f"Not done for {first_older.number}: Invoice "
                                  f"{first_older.number} has no next reminder step")


def test_send_now_says_when_a_reminder_waits(browser, two_clients):
    first_due, first_older, _ = two_clients["invoices"]
    done = confirm(browser, ask(browser, "send_now", [first_due, first_older]))
    assert len(mail.outbox) == 1  # one message per client a day: the second waits
    messages = said(done)
    assert messages[0] == "Next reminder sent now for 2 of 2 invoices."
    assert "waits in the outbox until 2026-03-18" in messages[1]


def test_a_confirmation_is_used_once(browser, two_clients):
    asked = ask(browser, "send_now", two_clients["invoices"][:1])
    confirm(browser, asked)
    again = confirm(browser, asked)
    assert len(mail.outbox) == 1
    assert "already used" in said(again)[0]
    assert Reminder.objects.count() == 1


def test_assign_owner_to_the_selected_invoices_clients(browser, two_clients, owner):
    otto = UserFactory(username="otto", first_name="Otto", last_name="Owner")
    nobody = UserFactory(username="norole", role="")
    asked = ask(browser, "assign", two_clients["invoices"], owner=otto.pk)
    html = asked.content.decode()
    assert "Assign an owner: 3 invoices of 2 clients?" in html
    assert "Otto Owner" in html and "norole" not in html  # only bookkeepers and admins
    refused = confirm(browser, asked, owner=nobody.pk)
    assert refused.status_code == 400
    done = confirm(browser, ask(browser, "assign", two_clients["invoices"], owner=otto.pk))
    assert said(done) == ["Otto Owner now owns 2 of 2 clients (3 invoices selected)."]
    for customer in (two_clients["first"], two_clients["second"]):
        customer.refresh_from_db()
        assert customer.owner == otto
        assert Interaction.objects.filter(client=customer, summary="Owner: Otto Owner",
                                          actor=owner).exists()


def test_unassign(browser, two_clients, owner):
    customer = two_clients["first"]
    customer.owner = owner
    customer.save()
    confirm(browser, ask(browser, "assign", two_clients["invoices"][:1], owner="none"))
    customer.refresh_from_db()
    assert customer.owner is None


def test_a_failure_does_not_undo_the_others(two_clients, owner, monkeypatch):
    from django.core.exceptions import ValidationError

    real = bulk.invoice_pause_reminders
    unlucky = two_clients["invoices"][1]

    def pause(*, invoice: Invoice, **kwargs: Any) -> Invoice:
        real(invoice=invoice, **kwargs)  # written, then the failure rolls it back
        if invoice.pk == unlucky.pk:
            raise ValidationError("Locked by the auditor.")
        return invoice

    monkeypatch.setattr(bulk, "invoice_pause_reminders", pause)
    result = wl.bulk_pause(invoices=wl.selected_invoices([i.pk for i in two_clients["invoices"]]),
                           until=date(2026, 4, 1), reason="", actor=owner)
    assert result.failed == [(unlucky.number, "Locked by the auditor.")]
    assert len(result.succeeded) == 2
    paused = dict(Invoice.objects.values_list("number", "reminders_paused_until"))
    assert paused.pop(unlucky.number) is None
    assert set(paused.values()) == {date(2026, 4, 1)}
    assert not Interaction.objects.filter(summary__contains=unlucky.number,
                                          kind=InteractionKind.STATUS_CHANGE).exists()


def test_the_selection_leaves_out_invoices_no_longer_open(browser, two_clients, make_payment):
    paid = two_clients["invoices"][2]
    asked = ask(browser, "pause", two_clients["invoices"], until="2026-04-01")
    make_payment(two_clients["second"], paid.balance, TUESDAY, invoices=[paid])
    again = confirm(browser, asked)  # the set changed: asked once more, for what is left
    assert "Pause reminders: 2 invoices of 1 client?" in again.content.decode()
    assert "1 of the selected invoices is no longer open" in again.content.decode()
    assert not Invoice.objects.filter(reminders_paused_until__isnull=False).exists()


def test_apply_to_all_on_this_page(browser, two_clients):
    invoices = two_clients["invoices"]
    asked = browser.post(BULK, {"action": "resume", "scope": "page",
                                "page_invoice": [i.pk for i in invoices]})
    listed_in_order = [item["invoice"] for item in asked.context["invoices"]]
    assert listed_in_order == [invoices[1], invoices[0], invoices[2]]  # by client, then due


@pytest.mark.parametrize(("data", "error"), [
    ({"action": "pause"}, "Tick at least one invoice first."),
    ({"action": "pause", "invoice": ["1", "x"]}, "The selection is garbled"),
    ({"action": "explode", "invoice": ["1"]}, "Choose what to do."),
    ({"action": "resume", "invoice": [str(n) for n in range(1, 300)]}, "act on at most 200"),
    ({"action": "resume", "invoice": ["999999"]}, "None of the selected invoices is still open"),
])
def test_bad_selections_go_back_with_a_message(browser, data, error):
    response = browser.post(BULK, {**data, "back": "bucket=90%2B&evil=1"}, follow=True)
    assert response.redirect_chain == [(URL + "?bucket=90%2B", 302)]
    assert error in said(response)[0]


def test_back_never_leaves_the_worklist(browser):
    response = browser.post(BULK, {"action": "resume", "back": "https://evil.example/"})
    assert response.url == URL + "?"


def test_export_the_selection(browser, two_clients):
    chosen = two_clients["invoices"][:2]
    asked = ask(browser, "export", chosen)
    assert "Export as CSV: 2 invoices of 1 client?" in asked.content.decode()
    response = browser.post(BULK, {"action": "export", "confirm": "1",
                                   "token": asked.context["token"],
                                   "invoice": [i.pk for i in chosen]})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == wl.CSV_HEADER
    assert sorted(r[0] for r in rows[1:]) == sorted(i.number for i in chosen)


def test_every_filter_survives_the_confirmation_round_trip(browser, two_clients):
    """The list posts its query string, the confirmation page posts back the URL it shows:
    both bring the bookkeeper back to the same filtered list, every parameter kept."""
    import re

    paused = two_clients["invoices"][0]
    Invoice.objects.filter(pk=paused.pk).update(reminders_paused_until=date(2026, 4, 1))
    asked = browser.post(BULK, {"action": "resume", "invoice": [paused.pk],
                                "back": "currency=GBP&bucket=1-30&sort=-balance"})
    back = asked.context["back"]
    assert back == URL + "?bucket=1-30&currency=GBP&sort=-balance"
    [rendered] = re.findall(r'name="back" value="([^"]*)"', asked.content.decode())
    done = browser.post(BULK, {"action": "resume", "confirm": "1",
                               "token": asked.context["token"], "invoice": [paused.pk],
                               "back": rendered.replace("&amp;", "&")}, follow=True)
    assert done.redirect_chain == [(URL + "?bucket=1-30&currency=GBP&sort=-balance", 302)]
    assert said(done) == ["Reminders resumed for 1 of 1 invoices."]
