"""The cadence asks for calls: one open call task per client, so a client with many invoices
is called once about all of them, not once per invoice and step."""

from datetime import timedelta
from typing import Any

import pytest

from clients.services import client_set_tags
from reminders.channels.phone import hand_to_caller
from tests.factories import ClientFactory
from tests.reminders.support import NOW, step, tick
from work.models import Task, TaskKind, TaskStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


@pytest.fixture
def vip(owner: Any) -> Any:
    client = ClientFactory(owner=owner)
    client_set_tags(client=client, tags=["high-value"])
    return client


def call_tasks(client: Any) -> list[Task]:
    return list(Task.objects.filter(client=client, kind=TaskKind.CALL).order_by("pk"))


def test_later_calls_join_the_open_task(vip, overdue):
    first = overdue(vip, 21)  # +21 "Call high-value clients" is due today
    tick(NOW)
    [task] = call_tasks(vip)
    assert list(task.invoices.all()) == [first]
    second = overdue(vip, 20)  # its +21 is tomorrow
    tick(NOW + timedelta(days=1))
    [task] = call_tasks(vip)  # the same, still open task
    assert set(task.invoices.all()) == {first, second}
    assert vip.interactions.filter(summary__startswith="Open call task updated").exists()


def test_a_later_step_s_script_replaces_the_earlier_one(vip, make_invoice, overdue):
    first = overdue(vip, 21)
    task = hand_to_caller(client=vip, invoices=[first], step=step(21), now=NOW)
    again = hand_to_caller(client=vip, invoices=[first], step=step(45), now=NOW)
    assert again.pk == task.pk
    again.refresh_from_db()
    assert again.step == step(45)
    # An earlier step does not take the script back.
    hand_to_caller(client=vip, invoices=[first], step=step(21), now=NOW)
    again.refresh_from_db()
    assert again.step == step(45)


def test_once_the_call_is_done_the_next_step_makes_a_new_task(vip, overdue):
    first = overdue(vip, 21)
    task = hand_to_caller(client=vip, invoices=[first], step=step(21), now=NOW)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE)
    later = hand_to_caller(client=vip, invoices=[first], step=step(45), now=NOW)
    assert later.pk != task.pk
    assert len(call_tasks(vip)) == 2


def test_a_call_the_client_asked_for_stays_its_own_task(vip, overdue):
    """A call-back request (no step) is a person's promise of a call at a time: never merged."""
    first = overdue(vip, 21)
    asked = hand_to_caller(client=vip, invoices=[first], step=None, now=NOW)
    engine = hand_to_caller(client=vip, invoices=[first], step=step(21), now=NOW)
    assert asked.pk != engine.pk
