"""The stale-data guard: when payments come from an import or the API, a client whose books come
from there gets no reminder while the last payment sync is older than the admin's limit — never
chase an invoice the client already paid yesterday. The reminder waits (still due), the
bookkeeper sees why on every page, and the first tick after a sync sends or cancels it."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from clients.business_cache import forget
from clients.models import BusinessProfile
from receivables import services as receivables
from receivables.models import Invoice, PaymentSource, PaymentSync
from receivables.selectors import payment_feed
from reminders.models import Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import NOW, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def fed(invoice: Invoice, source: str = "import") -> Invoice:
    Invoice.objects.filter(pk=invoice.pk).update(source=source)
    return invoice


def synced(hours_ago: float, source: str = "import") -> None:
    receivables.payment_sync_record(source=source, at=NOW - timedelta(hours=hours_ago))


def limit(hours: int) -> None:
    BusinessProfile.objects.update_or_create(singleton=True,
                                             defaults={"payment_sync_max_hours": hours})
    forget()


@pytest.fixture
def imported(overdue: Any) -> Invoice:
    return fed(overdue(ClientFactory(email="ap@imported.example"), 7))


def test_without_any_sync_payments_are_settles_own_and_nothing_is_held(imported):
    assert payment_feed(now=NOW) is None
    report = tick(NOW)
    assert (report.sent, report.held) == (1, 0)


def test_a_fresh_sync_lets_reminders_go(imported):
    synced(hours_ago=3)
    report = tick(NOW)
    assert (report.sent, report.held) == (1, 0)


def test_a_stale_sync_holds_the_fed_clients_reminders_and_no_one_elses(imported, overdue):
    own = overdue(ClientFactory(email="ap@own.example"), 7)  # entered in Settle
    synced(hours_ago=31)  # the default limit is 30 h
    report = tick(NOW)
    assert (report.sent, report.held) == (1, 1)
    assert [m.to for m in mail.outbox] == [["ap@own.example"]]
    held = Reminder.objects.get(invoice=imported)
    assert held.status == ReminderStatus.SCHEDULED and held.scheduled_for <= NOW
    assert Reminder.objects.get(invoice=own).status == ReminderStatus.SENT

    report = tick(NOW + timedelta(minutes=5))  # still stale: still waiting, nothing sent
    assert (report.sent, report.held) == (0, 1)

    synced(hours_ago=0)
    report = tick(NOW + timedelta(minutes=10))
    assert (report.sent, report.held) == (1, 0)
    assert Reminder.objects.get(invoice=imported).status == ReminderStatus.SENT


def test_the_payment_that_arrives_with_the_sync_stops_the_reminder(imported):
    synced(hours_ago=48)
    assert tick(NOW).held == 1
    # The accounting system catches up: yesterday's payment arrives, then the sync.
    receivables.payment_record(client=imported.client, amount=imported.balance,
                               received_on=NOW.date() - timedelta(days=1),
                               reference="BANK-77", source=PaymentSource.IMPORT)
    receivables.payment_sync_record(source="import", payments=1, at=NOW)
    report = tick(NOW + timedelta(minutes=5))
    assert report.sent == 0 and mail.outbox == []
    assert Reminder.objects.get(invoice=imported).status == ReminderStatus.CANCELLED


def test_a_client_whose_payments_come_from_the_api_is_fed_too(overdue):
    invoice = overdue(ClientFactory(), 7)  # entered in Settle, but paid through the API
    receivables.payment_record(client=invoice.client, amount="1.00", received_on=NOW.date(),
                               reference="API-1", source=PaymentSource.API)
    synced(hours_ago=40, source="api")
    assert tick(NOW).held == 1


def test_the_newest_sync_of_either_source_counts(imported):
    synced(hours_ago=100, source="import")
    synced(hours_ago=1, source="api")
    assert tick(NOW).sent == 1


def test_the_admin_sets_the_limit_or_turns_the_check_off(imported):
    synced(hours_ago=31)
    limit(48)
    assert not payment_feed(now=NOW).stale
    limit(24)
    assert payment_feed(now=NOW).stale
    limit(0)
    assert payment_feed(now=NOW) is None
    assert tick(NOW).sent == 1


def test_held_clients_do_not_starve_the_others(imported, overdue):
    from reminders.dispatch import reminders_dispatch
    from reminders.planning import reminders_plan

    others = [overdue(ClientFactory(), 7) for _ in range(2)]
    synced(hours_ago=31)
    reminders_plan(now=NOW)
    # The held client sorts first; a dispatch of one row must still reach another client.
    report = reminders_dispatch(now=NOW, limit=1)
    assert report.sent == 1 and report.held == 1
    assert Reminder.objects.filter(invoice__in=others, status=ReminderStatus.SENT).count() == 1


def test_the_bookkeeper_is_told_on_every_page(client, imported, bookkeeper):
    synced(hours_ago=52)
    tick(NOW)
    client.force_login(bookkeeper)
    for url in (reverse("desk:dashboard"), reverse("desk:worklist")):
        page = client.get(url).content.decode()
        assert "Reminders on hold" in page
        assert "2 days 4 h ago" in page and "reminders to 1 client " in page
    receivables.payment_sync_record(source="import", at=NOW)
    assert "Reminders on hold" not in client.get(reverse("desk:dashboard")).content.decode()


def test_only_imports_and_the_api_record_syncs():
    with pytest.raises(ValueError, match="Only imports and the API"):
        receivables.payment_sync_record(source="manual")
    receivables.payment_sync_record(source="api", payments=3, at=NOW)
    receivables.payment_sync_record(source="api", payments=0, at=NOW + timedelta(hours=1))
    assert PaymentSync.objects.get().payments == 0  # one row per source, the latest sync
