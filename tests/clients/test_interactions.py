"""The timeline is append-only: not through the ORM, the admin, or plain SQL."""

import pytest
import time_machine
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse

from clients.models import AppendOnlyError, Interaction, InteractionInvoice, InteractionKind
from clients.services import client_pause_reminders, interaction_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(client_de, make_invoice, bookkeeper):
    invoice = make_invoice(client_de)
    return interaction_record(
        client=client_de, kind=InteractionKind.NOTE, summary="Called, will pay Friday",
        actor=bookkeeper, content={"text": "Spoke to Erika; paying Friday."},
        invoices=[invoice])


def test_entry_keeps_actor_content_and_invoices(entry, bookkeeper):
    entry = Interaction.objects.get(pk=entry.pk)
    assert entry.actor == bookkeeper
    assert entry.actor_label == "Berta Keeper"
    assert entry.content == {"text": "Spoke to Erika; paying Friday."}
    assert [i.number for i in entry.invoices.all()] == ["INV-0001"]


def test_save_of_existing_entry_refused(entry):
    entry.summary = "rewritten history"
    with pytest.raises(AppendOnlyError, match="append-only"):
        entry.save()
    assert Interaction.objects.get(pk=entry.pk).summary == "Called, will pay Friday"


@pytest.mark.parametrize("operation", [
    lambda qs: qs.update(summary="x"),
    lambda qs: qs.delete(),
    lambda qs: qs.bulk_update(list(qs), ["summary"]),
])
def test_queryset_writes_refused(entry, operation):
    with pytest.raises(AppendOnlyError):
        operation(Interaction.objects.filter(pk=entry.pk))
    assert Interaction.objects.filter(pk=entry.pk, summary="Called, will pay Friday").exists()


def test_instance_delete_refused(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        InteractionInvoice.objects.filter(interaction=entry).delete()
    assert Interaction.objects.filter(pk=entry.pk).exists()


def test_sql_update_refused_by_the_database(entry):
    table = Interaction._meta.db_table
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET summary = 'x' WHERE id = %s", [entry.pk])
    assert Interaction.objects.get(pk=entry.pk).summary == "Called, will pay Friday"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite allows DELETE (test flush)")
def test_sql_delete_refused_by_postgresql(entry):
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Interaction._meta.db_table} WHERE id = %s", [entry.pk])
    assert Interaction.objects.filter(pk=entry.pk).exists()


def test_client_with_timeline_cannot_be_deleted(entry, client_de):
    from django.db.models import ProtectedError
    with pytest.raises(ProtectedError):
        client_de.delete()


def test_admin_shows_but_never_edits_or_deletes(entry, admin_client):
    change_url = reverse("admin:clients_interaction_change", args=[entry.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert "Called, will pay Friday" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(change_url, {"summary": "changed"}).status_code == 403
    delete_url = reverse("admin:clients_interaction_delete", args=[entry.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:clients_interaction_add")).status_code == 403
    assert Interaction.objects.get(pk=entry.pk).summary == "Called, will pay Friday"


@time_machine.travel("2026-11-20T10:00:00+00:00", tick=False)
def test_pausing_reminders_is_recorded(client_de, bookkeeper):
    from datetime import date
    client_pause_reminders(client=client_de, until=date(2026, 12, 1), actor=bookkeeper,
                           reason="client on holiday")
    client_de.refresh_from_db()
    assert client_de.reminders_paused_until == date(2026, 12, 1)
    assert client_de.reminders_paused_on(date(2026, 12, 1))
    assert not client_de.reminders_paused_on(date(2026, 12, 2))
    latest = client_de.interactions.first()
    assert latest.summary == "Reminders paused until 2026-12-01: client on holiday"
