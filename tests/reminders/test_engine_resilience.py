"""Bad data cannot stop the engine (issue 15, item 6): an invoice the planner cannot plan (a
due date at the end of the calendar, stored before dates were bounded) is isolated — logged,
counted, a task for its bookkeeper — while every other invoice is planned and sent; the
heartbeat records the completed pass with its errors, and /healthz reports them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from receivables.models import Invoice
from reminders.models import Reminder, SchedulerState
from tests.factories import ClientFactory
from tests.reminders.support import NOW, tick
from work.models import Task, TaskKind, TaskStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def test_one_unplannable_invoice_does_not_hold_up_the_others(owner: Any, overdue: Any,
                                                              client: Any) -> None:
    healthy_client = ClientFactory(owner=owner, display_name="Bäckerei Schmidt")
    broken_client = ClientFactory(owner=owner, display_name="Müller Bau")
    fine = overdue(healthy_client, 7)
    broken = overdue(broken_client, 7)
    # As an earlier version let in (API, pause form, import): the planner's date arithmetic
    # leaves the calendar for it ("year 10000 is out of range").
    Invoice.objects.filter(pk=broken.pk).update(due_date=date(9999, 12, 1))

    report = tick(NOW)

    assert Reminder.objects.filter(invoice=fine).exists()
    assert not Reminder.objects.filter(invoice=broken).exists()
    assert [e for e in report.errors if broken.number in e]
    task = Task.objects.get(client=broken_client, kind=TaskKind.NOTICE, status=TaskStatus.OPEN)
    assert task.title == f"Reminders could not be planned for {broken.number}"
    assert list(task.invoices.all()) == [broken]
    state = SchedulerState.objects.get()
    assert state.ticks == 1 and state.last_errors == len(report.errors) >= 1
    health = client.get("/healthz").json()["checks"]["scheduler"]
    assert health["last_pass_errors"] == state.last_errors

    # Tried again daily, not every tick, and the bookkeeper gets one task, not one a tick.
    broken.refresh_from_db()
    assert broken.next_action_at is not None and broken.next_action_at > NOW
    Invoice.objects.filter(pk=broken.pk).update(next_action_at=None)
    tick(NOW)
    assert Task.objects.filter(client=broken_client, kind=TaskKind.NOTICE).count() == 1


def test_a_clean_pass_clears_the_error_count(owner: Any, overdue: Any) -> None:
    SchedulerState.objects.create(last_errors=3)
    overdue(ClientFactory(owner=owner), 7)
    tick(NOW)
    assert SchedulerState.objects.get().last_errors == 0


def test_the_forecast_skips_an_unplannable_invoice(owner: Any, overdue: Any) -> None:
    from reminders.forecast import forecast

    fine = overdue(ClientFactory(owner=owner), 7)
    broken = overdue(ClientFactory(owner=owner), 7)
    Invoice.objects.filter(pk=broken.pk).update(due_date=date(9999, 12, 1))
    entries = forecast(now=NOW, days=30)
    numbers = {n for entry in entries for n in entry["invoices"]}
    assert fine.number in numbers and broken.number not in numbers
