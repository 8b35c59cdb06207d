"""Cadence pages: the timeline, adding/editing/moving/removing steps with clear refusals, the
assignment to clients and tags, the audit trail, and the forecast that follows each change."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientTag
from configure import selectors
from receivables.models import Invoice
from reminders.forecast import forecast
from reminders.models import Cadence, CadenceStep, MessageTemplate, Reminder
from tests.factories import ClientFactory
from tests.reminders.support import NOW, TUESDAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def standard() -> Cadence:
    return Cadence.objects.get(is_default=True)


def _step(**overrides: Any) -> dict[str, Any]:
    data = {"name": "Second nudge", "offset_days": "5", "channel": "preferred",
            "template_key": "overdue_7", "tone": "friendly", "actions": ["send_message"]}
    return {**data, **overrides}


def _add(admin: Any, cadence: Cadence, **overrides: Any) -> Any:
    return admin.post(reverse("configure:step-add", args=[cadence.pk]), _step(**overrides))


def test_detail_shows_the_timeline_with_the_due_date_and_every_step(admin, standard):
    response = admin.get(reverse("configure:cadence", args=[standard.pk]))
    page = response.content.decode()
    assert "Due date" in page
    for step in standard.steps.all():
        assert f'href="#step-{step.pk}"' in page  # a marker per step
    layout = response.context["timeline"]
    by_name = {m["step"].name: m for m in layout["markers"]}
    # The axis runs from before the earliest (-3) to after the latest (+45) offset.
    assert layout["low"] < -3 and layout["high"] > 45
    left = {name: float(m["left"].rstrip("%")) for name, m in by_name.items()}
    assert left["Friendly nudge"] < float(layout["due_left"].rstrip("%")) < left["Due today"] + 1
    assert left["Due today"] < left["Polite follow-up"] < left["Hand to collections"]


def test_timeline_puts_close_steps_in_separate_lanes():
    steps = [CadenceStep(name=n, offset_days=d) for n, d in (("a", 0), ("b", 1), ("c", 30))]
    layout = selectors.timeline(steps)
    lanes = [m["lane"] for m in layout["markers"]]
    assert lanes[0] != lanes[1] and lanes[2] == 0
    assert all(m["left"].endswith("%") and "," not in m["left"] for m in layout["markers"])


def test_adding_a_step_changes_the_forecast(admin, admin_user, standard, client_de, make_invoice,
                                            at_now):
    invoice = make_invoice(client_de, issue_date=TUESDAY - timedelta(days=7))  # due Thu 9 April
    assert "Second nudge" not in {e["step"] for e in forecast(now=NOW, days=14)}

    # Two weeks before the due date, on Thursday 26 March (a step closer to the nudge would be
    # held by the contact policy: the client hears from us at most once a week).
    response = _add(admin, standard, offset_days="-14")
    assert response.status_code == 302
    step = CadenceStep.objects.get(cadence=standard, name="Second nudge")
    assert (step.offset_days, step.actions, step.template_key) == (-14, ["send_message"],
                                                                   "overdue_7")
    entries = [e for e in forecast(now=NOW, days=14) if e["step"] == "Second nudge"]
    assert [e["invoices"] for e in entries] == [[invoice.number]]
    # The cadence page lists it under the timeline.
    page = admin.get(reverse("configure:cadence", args=[standard.pk]))
    assert [e["step"] for e in page.context["forecast"]].count("Second nudge") == 1
    assert invoice.number in page.content.decode()
    log = LogEntry.objects.get(object_id=str(step.pk))
    assert (log.user, log.action_flag) == (admin_user, ADDITION)
    assert "Second nudge" in log.change_message and "-1" in log.change_message


def test_forecast_keeps_to_this_cadences_clients(admin, standard, client_de, make_invoice, at_now):
    other = Cadence.objects.create(name="Gentle", priority=10)
    CadenceStep.objects.create(cadence=other, name="Due today", offset_days=0,
                               template_key="due_today", actions=["send_message"])
    gentle_client = ClientFactory()
    other.clients.add(gentle_client)
    issue = TUESDAY - timedelta(days=28)
    make_invoice(client_de, issue_date=issue)
    make_invoice(gentle_client, issue_date=issue)
    standard_rows = selectors.cadence_forecast(standard, selectors.cadence_steps(standard),
                                               now=NOW, days=14)
    gentle_rows = selectors.cadence_forecast(other, selectors.cadence_steps(other), now=NOW,
                                             days=14)
    assert {e["client"] for e in standard_rows if e["step"] == "Friendly nudge"} == {
        client_de.display_name}
    assert {e["client"] for e in gentle_rows} == {gentle_client.display_name}


def test_adding_a_step_replans_the_open_invoices(admin, standard, client_de, make_invoice):
    invoice = make_invoice(client_de)
    Invoice.objects.filter(pk=invoice.pk).update(next_action_at=timezone.now()
                                                 + timedelta(days=20))
    _add(admin, standard)
    invoice.refresh_from_db()
    assert invoice.next_action_at is None  # the next tick plans it with the new step


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": "due TODAY"}, "name", "already has a step called"),
    ({"template_key": ""}, "template_key", "needs a message template"),
    ({"actions": []}, "actions", "at least one action"),
    ({"offset_days": "400"}, "offset_days", "at most 365 days after"),
    ({"offset_days": "soon"}, "offset_days", "whole number of days"),
    ({"channel": "letter", "template_key": "no-such"}, "template_key", "not one of the"),
    ({"channel": "sms", "legal_notice": "on"}, "channel", "never by SMS or a call"),
])
def test_invalid_steps_are_refused_with_a_message(admin, standard, overrides, field, message):
    before = standard.steps.count()
    response = _add(admin, standard, **overrides)
    assert response.status_code == 200
    errors = response.context["add_form"].errors[field]
    assert any(message in e for e in errors), errors
    assert standard.steps.count() == before
    assert not LogEntry.objects.exists()


def test_a_template_without_an_english_version_for_the_channel_is_refused(admin, standard):
    MessageTemplate.objects.create(key="german_only", channel="email", language="de",
                                   subject="Hallo", text="Hallo {{ contact_name }}")
    MessageTemplate.objects.create(key="german_only", channel="sms", language="en",
                                   text="Hi {{ pay_url }}")
    response = _add(admin, standard, template_key="german_only", channel="email")
    [error] = response.context["add_form"].errors["template_key"]
    assert "'german_only' has no English email template" in error
    # The preferred channel needs both email and SMS in English.
    response = _add(admin, standard, template_key="german_only", channel="preferred")
    assert "no English email template" in response.context["add_form"].errors[
        "template_key"][0]
    # An SMS step finds its English SMS template; a call step needs none.
    assert _add(admin, standard, template_key="german_only", channel="sms").status_code == 302
    assert _add(admin, standard, name="Ring", template_key="", channel="call",
                actions=["create_call_task"]).status_code == 302


def test_the_seeded_cadence_marks_its_legal_steps_and_the_notice_is_editable(admin, standard):
    steps = {s.template_key: s for s in standard.steps.all()}
    assert steps["demand_30"].legal_notice and not steps["demand_30"].needs_notice
    assert steps["collections_45"].needs_notice and not steps["collections_45"].legal_notice
    assert sum(s.legal_notice or s.needs_notice for s in steps.values()) == 2
    assert standard.notice_days == 14
    response = admin.post(reverse("configure:cadence-settings", args=[standard.pk]),
                          {"name": standard.name, "priority": standard.priority,
                           "notice_days": "21", "hold_business_days": "0"})
    assert response.status_code == 302, response.content[:300]
    standard.refresh_from_db()
    assert (standard.notice_days, standard.hold_business_days) == (21, 0)


def test_a_letter_step_may_print_the_email_template(admin, standard):
    response = _add(admin, standard, channel="letter", template_key="overdue_14")
    assert response.status_code == 302  # no 'overdue_14' letter: the email's HTML is printed


def test_edit_a_step(admin, admin_user, standard):
    step = standard.steps.get(name="Polite follow-up")
    tag = ClientTag.objects.create(name="public-sector")
    url = reverse("configure:step-edit", args=[standard.pk, step.pk])
    assert admin.get(url).status_code == 200
    response = admin.post(url, _step(name="Polite follow-up", offset_days="8", tone="firm",
                                     actions=["send_message", "mark_escalated"],
                                     only_tags=[tag.pk]))
    assert response.status_code == 302
    step.refresh_from_db()
    assert (step.offset_days, step.tone, step.actions) == (8, "firm",
                                                           ["send_message", "mark_escalated"])
    assert list(step.only_tags.all()) == [tag]
    log = LogEntry.objects.get(object_id=str(step.pk), action_flag=CHANGE)
    assert "offset days" in log.change_message and "tone" in log.change_message


def test_move_a_step(admin, admin_user, standard):
    step = standard.steps.get(name="Polite follow-up")
    url = reverse("configure:step-move", args=[standard.pk, step.pk])
    assert admin.post(url, {"offset_days": "10"}).status_code == 302
    step.refresh_from_db()
    assert step.offset_days == 10
    assert LogEntry.objects.get(action_flag=CHANGE).change_message == (
        "Moved step 'Polite follow-up' of 'Standard' from +7 to +10 days.")
    response = admin.post(url, {"offset_days": "-999"})
    assert "at most 365 days before" in response.content.decode()
    step.refresh_from_db()
    assert step.offset_days == 10


def test_remove_a_step(admin, standard):
    step = standard.steps.get(name="Polite follow-up")
    url = reverse("configure:step-remove", args=[standard.pk, step.pk])
    assert "Remove step" in admin.get(url).content.decode()
    assert admin.post(url).status_code == 302
    assert not CadenceStep.objects.filter(pk=step.pk).exists()
    log = LogEntry.objects.get(action_flag=DELETION)
    assert (log.object_id, log.object_repr) == (str(step.pk), str(step))


def test_a_step_that_sent_reminders_cannot_be_removed(admin, standard, client_de, make_invoice):
    step = standard.steps.get(name="Due today")
    invoice = make_invoice(client_de)
    Reminder.objects.create(invoice=invoice, step=step, client=client_de, channel="email",
                            scheduled_for=timezone.now())
    url = reverse("configure:step-remove", args=[standard.pk, step.pk])
    assert "cannot be removed" in admin.get(url).content.decode()
    response = admin.post(url, follow=True)
    assert "1 reminder(s) in the outbox or its history refer to it" in response.content.decode()
    assert CadenceStep.objects.filter(pk=step.pk).exists()
    assert not LogEntry.objects.exists()


def test_assign_clients_and_tags(admin, admin_user, make_invoice):
    cadence = Cadence.objects.create(name="Key accounts", priority=5)
    tag = ClientTag.objects.get_or_create(name="high-value")[0]
    first, second = ClientFactory(reference="C-1"), ClientFactory(reference="C-2")
    invoice = make_invoice(second)
    Invoice.objects.filter(pk=invoice.pk).update(next_action_at=timezone.now())
    url = reverse("configure:cadence-settings", args=[cadence.pk])
    response = admin.post(url, {"name": "Key accounts", "priority": "5", "tags": [tag.pk],
                                "add_clients": "C-1, C-2"})
    assert response.status_code == 302
    assert set(cadence.clients.all()) == {first, second} and list(cadence.tags.all()) == [tag]
    invoice.refresh_from_db()
    assert invoice.next_action_at is None
    log = LogEntry.objects.get(object_id=str(cadence.pk))
    assert "Assigned C-1, C-2" in log.change_message and "Tags: high-value" in log.change_message

    response = admin.post(url, {"name": "Key accounts", "priority": "5",
                                "remove_clients": [first.pk]})
    assert list(cadence.clients.all()) == [second] and not cadence.tags.exists()


def test_assignment_refuses_unknown_and_doubly_assigned_clients(admin, standard):
    cadence = Cadence.objects.create(name="Key accounts", priority=5)
    taken = ClientFactory(reference="C-9")
    Cadence.objects.create(name="Other").clients.add(taken)
    url = reverse("configure:cadence-settings", args=[cadence.pk])
    response = admin.post(url, {"name": "Key accounts", "priority": "5",
                                "add_clients": "C-404"})
    assert "No client with reference C-404." in response.content.decode()
    response = admin.post(url, {"name": "Key accounts", "priority": "5", "add_clients": "C-9"})
    assert "Already assigned to another cadence: C-9 (&#x27;Other&#x27;)" in \
        response.content.decode()
    response = admin.post(url, {"name": "Standard", "priority": "5"})
    assert "Another cadence already has this name." in response.content.decode()
    cadence.refresh_from_db()
    assert cadence.name == "Key accounts" and not cadence.clients.exists()


def test_create_a_cadence(admin, admin_user):
    response = admin.post(reverse("configure:cadences"), {"name": "Public sector",
                                                          "priority": "20"})
    cadence = Cadence.objects.get(name="Public sector")
    assert response["Location"] == reverse("configure:cadence", args=[cadence.pk])
    assert cadence.purpose == "invoices" and not cadence.is_default
    assert LogEntry.objects.get(object_id=str(cadence.pk)).action_flag == ADDITION


def test_instalment_cadence_has_no_assignment(admin):
    cadence = Cadence.objects.get(purpose="instalments")
    response = admin.get(reverse("configure:cadence", args=[cadence.pk]))
    assert "not assigned to clients or tags" in response.content.decode()
    assert "add_clients" not in response.context["settings_form"].fields


def test_cadence_list_queries_are_bounded(admin, django_assert_max_num_queries):
    for n in range(8):
        cadence = Cadence.objects.create(name=f"C{n}", priority=n)
        cadence.tags.add(ClientTag.objects.create(name=f"tag-{n}"))
        cadence.clients.add(ClientFactory())
    with django_assert_max_num_queries(8):
        response = admin.get(reverse("configure:cadences"))
    assert response.content.decode().count("tag-") >= 8
