"""The planning pass on plain rows (reminders.planning_rows, issue 19): it plans exactly what
the model-based specs (selectors.load_planning_batch + client_spec + planning_unit, as the
forecast reads them) plan, a client's usable channels from a row are the model's, a batch costs
the same statements however many invoices it holds, and the set-based writes (infra.bulk's
JSON helpers, a single parameter on PostgreSQL) write exactly the values given."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from clients.business import business
from clients.models import Client, ClientTag, ContactFlag, InteractionKind
from clients.selectors import usable_channels
from clients.services import interaction_record
from core import contact, planner
from infra import bulk
from receivables.models import ACTIVE_STATUSES, Invoice
from reminders import planning, planning_rows, selectors
from reminders.models import CadenceStep, Reminder, ReminderStatus
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, TUESDAY

pytestmark = pytest.mark.django_db

EMAILS = ("", "  AP@Example.com ", "ap@example.com")
MOBILES = ("", "+4915123456789")
PHONES = ("", "+49301234567")
ADDRESSES = (("", "", ""), ("Hauptstraße 1", "10115", "Berlin"), ("Hauptstraße 1", "", "Berlin"),
             ("Hauptstraße 1", "10115", ""))
ORDERS = (["email", "sms", "letter", "phone"], ["sms", "email"], ["phone", "letter"],
          ["letter", "phone", "sms", "email"], ["fax", "email"])
FLAGGED = ((), (("email", "ap@example.com"),), (("sms", "+4915123456789"),),
           (("phone", "+49301234567"),), (("phone", "+4915123456789"),),
           (("letter", "Hauptstraße 1, 10115, Berlin"),),
           (("email", "ap@example.com"), ("phone", "+49301234567")))


def test_usable_channels_from_a_row_are_the_models():
    for email, mobile, phone, (street, postcode, city), order, flagged in itertools.product(
            EMAILS, MOBILES, PHONES, ADDRESSES, ORDERS, FLAGGED):
        client = Client(pk=1, email=email, mobile_phone=mobile, phone=phone,
                        address_line1=street, postcode=postcode, city=city,
                        channel_preferences=order)
        client._prefetched_objects_cache = {"contact_flags": [  # type: ignore[attr-defined]
            ContactFlag(channel=c, value=v) for c, v in flagged]}
        row = planning_rows.ClientRow(
            id=1, display_name="x", timezone="Europe/Berlin", country="DE",
            channel_preferences=order, pay_run_days=[], reminders_paused_until=None,
            email=email, mobile_phone=mobile, phone=phone, address_line1=street,
            postcode=postcode, city=city)
        assert contact.usable_channels(row, frozenset(flagged)) == \
            usable_channels(client), (email, mobile, phone, street, city, order, flagged)


@pytest.fixture
def book(make_invoice, owner):
    """Clients that exercise every input of a client's spec (tags, failing contact points, a
    hold after a call, a pause, a pay run, no channel at all), each with invoices from five days
    before their due date to seventy days after it (and one with a promise not yet due)."""
    high = ClientTag.objects.get_or_create(name="high-value")[0]
    clients = [
        ClientFactory(owner=owner),
        ClientFactory(owner=owner, channel_preferences=["sms", "email", "letter"]),
        ClientFactory(owner=owner, channel_preferences=["phone", "email"]),
        ClientFactory(owner=owner, reminders_paused_until=TUESDAY + timedelta(days=10)),
        ClientFactory(owner=owner),
        ClientFactory(owner=owner, country="US", timezone="America/New_York",
                      pay_run_days=[15, "last-business"], language="en"),
        ClientFactory(owner=owner, channel_preferences=["sms"], mobile_phone=""),
    ]
    clients[1].tags.add(high)
    ContactFlag.objects.create(client=clients[2], channel="email", value=clients[2].email,
                               reason="bounced")
    ContactFlag.objects.create(client=clients[0], channel="sms", value="+4915123456789",
                               reason="opted_out")
    interaction_record(client=clients[4], kind=InteractionKind.CALL, summary="Called",
                       actor=UserFactory(), occurred_at=NOW - timedelta(days=1))
    for client in clients:
        for days in (-5, 0, 3, 10, 20, 40, 70):
            make_invoice(client, issue_date=TUESDAY - timedelta(days=30 + days))
    promised = make_invoice(clients[0], issue_date=TUESDAY - timedelta(days=45))
    Invoice.objects.filter(pk=promised.pk).update(promised_until=TUESDAY + timedelta(days=3))
    return clients


def _model_based(now: datetime) -> dict[int, tuple[object, ...]]:
    """What the model-based reads and the pure planner give each due invoice."""
    book = selectors.CadenceBook()
    ids = list(Invoice.objects.filter(status__in=ACTIVE_STATUSES, balance__gt=0).filter(
        Q(next_action_at__isnull=True) | Q(next_action_at__lte=now)).values_list("pk", flat=True))
    batch = selectors.load_planning_batch(ids)
    contacts = selectors.last_personal_contact(batch["clients"], now)
    expected: dict[int, tuple[object, ...]] = {}
    for invoice in batch["invoices"]:
        client = batch["clients"][invoice.client_id]
        tags = frozenset(t.name for t in client.tags.all())
        cadence = book.cadence_for(client.pk, tags)
        spec = selectors.client_spec(client, tags, selectors.hold_until(
            client, cadence, contacts.get(client.pk)))
        unit = selectors.planning_unit(invoice, batch, book,
                                       book.steps.get(cadence.pk, ()) if cadence else ())
        assert unit.spec is not None
        result = planner.plan(unit.spec, spec, unit.steps, now)
        later = result.next_action_at or (now + planning.RECHECK_STOPPED if result.stop in (
            planner.Stop.NO_CHANNEL, planner.Stop.NO_LEGAL_CHANNEL, None) else None)
        expected[invoice.pk] = (result.due_step.id if result.due_step else None,
                                result.channel, result.send_at, later)
    return expected


def test_the_pass_on_rows_plans_what_the_model_based_specs_plan(book, at_now):
    expected = _model_based(NOW)
    assert {due for due, *_ in expected.values()} - {None}  # something is due
    assert {channel for _, channel, *_ in expected.values()} >= {"email", "sms"}
    report = planning.reminders_plan(now=NOW, batch_size=4)  # batches split clients
    assert report.examined == len(expected)
    planned = {r.invoice_id: (r.step_id, r.channel, r.scheduled_for)
               for r in Reminder.objects.all()}
    later = dict(Invoice.objects.values_list("pk", "next_action_at"))
    for pk, (step, channel, send_at, next_at) in expected.items():
        assert planned.get(pk) == ((step, channel, send_at) if step else None), pk
        assert later[pk] == next_at, pk
    assert report.planned == len(planned) == sum(1 for e in expected.values() if e[0])


@pytest.mark.django_db(transaction=True)
def test_batches_written_while_the_next_is_planned_are_written_the_same(book, at_now,
                                                                       monkeypatch):
    """Outside a transaction on PostgreSQL a batch is written by a thread of its own while the
    next one is planned (elsewhere in line): the same outbox rows, next actions, tasks and
    statement count either way."""
    from django.apps import apps

    from clients.models import Interaction
    from reminders.defaults import install_defaults
    from work.models import Task

    install_defaults(apps)  # an earlier transactional test's flush removed the seeded cadence
    expected = _model_based(NOW)
    kinds: list[str] = []
    threads: list[object] = []
    pool = planning.ThreadPoolExecutor

    def writer_thread(*args, **kwargs):
        threads.append(pool(*args, **kwargs))
        return threads[-1]

    monkeypatch.setattr(planning, "ThreadPoolExecutor", writer_thread)

    def count(execute, sql, params, many, context):
        kinds.append(sql.split(None, 1)[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        report = planning.reminders_plan(now=NOW, batch_size=4)
    assert report.examined == len(expected) and report.planned > 0
    assert bool(threads) == (connection.vendor == "postgresql")  # writer (and mail) threads
    planned = {r.invoice_id: (r.step_id, r.channel, r.scheduled_for)
               for r in Reminder.objects.all()}
    later = dict(Invoice.objects.values_list("pk", "next_action_at"))
    for pk, (step, channel, send_at, next_at) in expected.items():
        assert planned.get(pk) == ((step, channel, send_at) if step else None), pk
        assert later[pk] == next_at, pk
    assert kinds.count("INSERT") >= report.planned // 4  # the writer's statements counted
    notices = Task.objects.filter(kind="notice")  # the letters of demand that cannot go out
    assert notices.exists()
    # One email per bookkeeper for the whole pass, sent before it returned, naming each task.
    owners = {t.assigned_to.email for t in notices}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(owners)
    for message in mail.outbox:
        theirs = [t for t in notices if t.assigned_to.email == message.to[0]]
        assert all(t.title in (message.subject + message.body) for t in theirs)
    no_channel = Task.objects.get(kind="no_channel")  # the client no channel reaches,
    assert no_channel.invoices.exists()  # with its invoices of the batch that found it
    assert Interaction.objects.filter(client=no_channel.client, metadata__task=no_channel.pk
                                      ).exists()


def test_a_batch_costs_the_same_statements_however_many_invoices_it_holds(
        make_invoice, at_now):
    def statements(invoices: int) -> int:
        """A pass over a new client's ``invoices`` (the earlier ones wait for later)."""
        client = ClientFactory()
        for n in range(invoices):
            make_invoice(client, issue_date=TUESDAY - timedelta(days=30 + n % 60))
        with CaptureQueriesContext(connection) as queries:
            report = planning.reminders_plan(now=NOW, batch_size=1000)
        assert report.examined == invoices and report.planned > 0
        return len(queries)

    business()  # read once a minute, whatever the pass
    assert statements(5) == statements(60)


# --- infra.bulk: the rows as one JSON parameter ------------------------------------------------

COLUMNS = ("invoice", "client", "step", "instalment", "channel", "scheduled_for", "status",
           "claim_token", "attempts", "last_error", "failed_channels", "created_at",
           "updated_at")


def test_insert_rows_json_writes_exactly_the_values_and_skips_conflicts(client_de,
                                                                       make_invoice):
    steps = list(CadenceStep.objects.order_by("offset_days")[:2])
    a, b = make_invoice(client_de), make_invoice(client_de)
    when = datetime(2026, 3, 29, 9, 0, 0, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
    stamp = datetime(2026, 3, 16, 6, tzinfo=UTC)
    odd = 'it\'s "quoted", {braced}, back\\slash, ünïcode, 💶'

    def row(invoice, step, channel="email", error=""):
        return (invoice.pk, client_de.pk, step.pk, None, channel, when, "scheduled", "", 0,
                error, ["sms", "a,b"], stamp, stamp)

    assert bulk.insert_rows_json(Reminder, COLUMNS, [row(a, steps[0], error=odd)]) == 1
    enum_status = (*row(b, steps[0])[:6], ReminderStatus.SCHEDULED, *row(b, steps[0])[7:])
    with CaptureQueriesContext(connection) as queries:
        inserted = bulk.insert_rows_json(Reminder, COLUMNS, [
            row(a, steps[0], "sms"), row(a, steps[1]), enum_status])  # a choice: prepared
    assert inserted == 2
    assert sum(q["sql"].startswith("INSERT") for q in queries) == 1
    stored = {(r.invoice_id, r.step_id): r for r in Reminder.objects.all()}
    first = stored[(a.pk, steps[0].pk)]
    assert (first.channel, first.last_error, first.failed_channels) == ("email", odd,
                                                                        ["sms", "a,b"])
    assert first.scheduled_for == when and first.created_at == stamp
    assert first.instalment_id is None and first.message_id is None
    assert set(stored) == {(a.pk, steps[0].pk), (a.pk, steps[1].pk), (b.pk, steps[0].pk)}


def test_update_column_json_writes_each_row_its_own_value(client_de, make_invoice):
    a, b, c, untouched = (make_invoice(client_de) for _ in range(4))
    Invoice.objects.filter(pk__in=[c.pk, untouched.pk]).update(
        next_action_at=datetime(2026, 1, 1, tzinfo=UTC))
    times = {a.pk: datetime(2026, 3, 29, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")),
             b.pk: datetime(2026, 3, 30, 0, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Tokyo")),
             c.pk: None}
    with CaptureQueriesContext(connection) as queries:
        assert bulk.update_column_json(Invoice, "next_action_at", times) == 3
    assert sum(q["sql"].startswith("UPDATE") for q in queries) == 1
    stored = dict(Invoice.objects.values_list("pk", "next_action_at"))
    assert stored[a.pk] == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert stored[b.pk] == datetime(2026, 3, 29, 15, 0, 0, 123456, tzinfo=UTC)
    assert stored[c.pk] is None
    assert stored[untouched.pk] == datetime(2026, 1, 1, tzinfo=UTC)
    assert bulk.update_column_json(Invoice, "promised_until", {a.pk: date(2026, 4, 1)}) == 1
    assert Invoice.objects.get(pk=a.pk).promised_until == date(2026, 4, 1)
    # A naive datetime is prepared by the field, as Django would (in the current time zone,
    # with its warning), and so is every other value of that write.
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        bulk.update_column_json(Invoice, "next_action_at", {a.pk: datetime(2026, 5, 1, 12),
                                                           b.pk: stored[b.pk]})
    assert Invoice.objects.get(pk=a.pk).next_action_at == datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert Invoice.objects.get(pk=b.pk).next_action_at == stored[b.pk]


def test_among_finds_the_same_rows_as_in(client_de, make_invoice):
    invoices = [make_invoice(client_de) for _ in range(5)]
    ids = [invoices[0].pk, invoices[3].pk, invoices[4].pk, 10**9]
    assert sorted(Invoice.objects.filter(bulk.among("pk", ids, Invoice))
                  .values_list("pk", flat=True)) == sorted(ids[:3])
    assert not Invoice.objects.filter(bulk.among("pk", [], Invoice)).exists()


def test_each_bookkeeper_gets_one_email_per_pass_however_many_tasks_it_gave_them(
        book, owner, make_invoice, at_now, monkeypatch, django_capture_on_commit_callbacks):
    """A first pass over an imported book can find hundreds of letters of demand that cannot
    go out: their bookkeeper gets one email listing them (the first DIGEST_LIMIT spelled
    out), not one per task; a bookkeeper with one new task gets that task's own email."""
    from work.models import Task

    other = UserFactory(email="second@example.com")
    lone = ClientFactory(owner=other, channel_preferences=["sms"])  # no letter, no e-mail
    make_invoice(lone, issue_date=TUESDAY - timedelta(days=100))
    monkeypatch.setattr(planning, "DIGEST_LIMIT", 1)
    with django_capture_on_commit_callbacks(execute=True):
        planning.reminders_plan(now=NOW, batch_size=4)
    notices = Task.objects.filter(kind="notice")
    theirs = list(notices.filter(assigned_to=owner).order_by("pk"))
    single = notices.get(assigned_to=other)
    assert len(theirs) >= 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, other.email])
    digest = next(m for m in mail.outbox if m.to == [owner.email])
    assert digest.subject == f"[Settle] {len(theirs)} new tasks need you"
    assert sum(t.title in digest.body for t in theirs) == 1  # the limit, then a count
    assert f"... and {len(theirs) - 1} more tasks on your dashboard." in digest.body
    assert digest.body.endswith(f"Your open tasks: {settings.SITE_URL}/tasks/")
    own = next(m for m in mail.outbox if m.to == [other.email])
    assert (own.subject, own.body) == (f"[Settle] {single.title}"[:200], single.script)
