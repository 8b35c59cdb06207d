"""Writes for clients and their timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from clients.models import (
    Channel,
    Client,
    ClientTag,
    ContactFlag,
    FlagReason,
    Interaction,
    InteractionChannel,
    InteractionInvoice,
    InteractionKind,
)
from core import calendar as cal


def field_label(model: type[models.Model], name: str) -> str:
    """The verbose name of one of the model's own columns, for a message a person reads."""
    field = cast("models.Field[Any, Any]", model._meta.get_field(name))  # never a relation
    return str(field.verbose_name)


def actor_label_for(actor: User | None, default: str = "system") -> str:
    if actor is None:
        return default
    full_name = getattr(actor, "get_full_name", lambda: "")()
    return full_name or actor.get_username()


def interaction_record(
    *,
    client: Client,
    kind: InteractionKind | str,
    summary: str,
    channel: InteractionChannel | str = InteractionChannel.SYSTEM,
    actor: User | None = None,
    actor_label: str | None = None,
    content: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    invoices: Iterable[Any] = (),
    occurred_at: datetime | None = None,
) -> Interaction:
    """Append one entry to the client's timeline (the only way entries are written)."""
    with transaction.atomic():
        interaction = Interaction(
            client=client, kind=kind, channel=channel, summary=summary[:300],
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=actor_label or actor_label_for(actor),
            content=content or {}, metadata=metadata or {})
        if occurred_at is not None:
            interaction.occurred_at = occurred_at
        interaction.full_clean(exclude=["client", "actor"])
        interaction.save()
        InteractionInvoice.objects.bulk_create(
            InteractionInvoice(interaction=interaction, invoice=invoice) for invoice in invoices)
    return interaction


def interactions_record_many(entries: list[tuple[Client, str, str, dict[str, Any], list[Any]]],
                             *, occurred_at: datetime) -> list[Interaction]:
    """Append many system entries (client, kind, summary, metadata, invoices) in three
    statements: for a planning batch, where one entry per invoice would cost a round trip
    each. Entries are validated like ``interaction_record``'s."""
    return interactions_append(
        [Interaction(client=client, kind=kind, channel=InteractionChannel.SYSTEM,
                     summary=summary[:300], actor_label="system", metadata=metadata,
                     occurred_at=occurred_at)
         for client, kind, summary, metadata, _ in entries],
        [invoices for *_, invoices in entries])


def interactions_append(rows: list[Interaction], invoices: list[list[Any]]
                        ) -> list[Interaction]:
    """Append prepared timeline entries, each with its invoices, in three statements (a
    dispatch chunk's sent messages, a planning batch's entries)."""
    for row in rows:  # field checks only: constraint checks would be a query per row
        row.summary = row.summary[:300]
        row.clean_fields(exclude=["client", "actor"])
    with transaction.atomic():
        created = Interaction.objects.bulk_create(rows)
        InteractionInvoice.objects.bulk_create(
            InteractionInvoice(interaction=row, invoice=invoice)
            for row, found in zip(created, invoices, strict=True) for invoice in found)
    return created


def client_create(*, tags: Iterable[str] = (), actor: User | None = None,
                  **fields: Any) -> Client:
    """Create a client from validated fields; nothing is written when any field is invalid."""
    with transaction.atomic():
        client = Client(**fields)
        client.full_clean()
        client.save()
        client_set_tags(client=client, tags=tags)
    return client


def client_set_tags(*, client: Client, tags: Iterable[str]) -> None:
    names = sorted({t.strip().lower() for t in tags if t.strip()})
    existing = {t.name: t for t in ClientTag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            tag = ClientTag(name=name)
            tag.full_clean()
            tag.save()
            existing[name] = tag
    client.tags.set(existing.values())


def client_pause_reminders(*, client: Client, until: date | None,
                           actor: User | None, reason: str = "") -> Client:
    """Pause reminders up to and including ``until`` (None resumes them); the timeline says so."""
    if until is not None and until < timezone.localdate():
        raise ValidationError({"until": "Choose today or a later day."})
    if until is not None and (problem := cal.hold_problem(until, timezone.localdate())):
        raise ValidationError({"until": problem})
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        client.reminders_paused_until = until
        client.save(update_fields=["reminders_paused_until", "updated_at"])
        client.invoices.update(next_action_at=None)  # re-planned on the next tick
        summary = (f"Reminders paused until {until.isoformat()}" if until
                   else "Reminders resumed")
        interaction_record(client=client, kind=InteractionKind.STATUS_CHANGE,
                           summary=f"{summary}{': ' + reason if reason else ''}", actor=actor,
                           metadata={"reminders_paused_until": until.isoformat() if until
                                     else None})
    return client


def contact_flag(*, client: Client, channel: str, reason: FlagReason | str, detail: str = "",
                 value: str | None = None, actor: User | None = None,
                 when: datetime | None = None) -> ContactFlag | None:
    """Flag a contact point that does not work; the timeline says why. Flagging one that is
    already flagged changes nothing. Returns the new flag, or None when nothing was flagged."""
    value = (value if value is not None else client.contact_for(channel)).strip()
    if channel == Channel.EMAIL:
        value = value.lower()
    if not value:
        return None
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        if ContactFlag.objects.filter(client=client, channel=channel, value=value,
                                      cleared_at__isnull=True).exists():
            return None
        flag = ContactFlag.objects.create(client=client, channel=channel, value=value,
                                          reason=reason, detail=detail[:2000],
                                          created_at=when or timezone.now())
        client.invoices.update(next_action_at=None)  # re-planned without this channel
        interaction_record(
            client=client, kind=InteractionKind.STATUS_CHANGE, channel=channel
            if channel in InteractionChannel.values else InteractionChannel.SYSTEM,
            summary=f"{Channel(channel).label} {value} flagged: "
                    f"{FlagReason(reason).label.lower()}{' (' + detail + ')' if detail else ''}",
            actor=actor, occurred_at=when,
            metadata={"contact_flag": flag.pk, "channel": channel, "value": value,
                      "reason": str(reason)})
    return flag


def contact_flag_clear(*, flag: ContactFlag, actor: User | None,
                       note: str = "") -> ContactFlag:
    """A bookkeeper confirms the contact point works again. A client's own choice (an
    opt-out, a spam complaint) is theirs to take back, never a bookkeeper's."""
    with transaction.atomic():
        flag = ContactFlag.objects.select_for_update().get(pk=flag.pk)
        if flag.cleared_at is not None:
            return flag
        if flag.is_client_choice and getattr(actor, "pk", None) is not None:
            raise ValidationError(
                f"{flag.client.display_name} chose this ({flag.get_reason_display().lower()}): "
                "only they can take it back (by replying START, or resubscribing).")
        flag.cleared_at = timezone.now()
        flag.cleared_by = actor if getattr(actor, "pk", None) else None
        flag.save(update_fields=["cleared_at", "cleared_by"])
        flag.client.invoices.update(next_action_at=None)
        interaction_record(
            client=flag.client, kind=InteractionKind.STATUS_CHANGE,
            summary=f"{flag.get_channel_display()} {flag.value} usable again"
                    f"{': ' + note if note else ''}",
            actor=actor, metadata={"contact_flag": flag.pk, "cleared": True})
    return flag



def client_assign_owner(*, client: Client, owner: User | None,
                        actor: User | None) -> Client:
    """Make ``owner`` the bookkeeper responsible for ``client`` (tasks follow from now on)."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.owner_id == getattr(owner, "pk", None):
            return client
        client.owner = owner
        client.save(update_fields=["owner", "updated_at"])
        interaction_record(client=client, kind=InteractionKind.STATUS_CHANGE, actor=actor,
                           summary=f"Owner: {actor_label_for(owner, 'nobody')}",
                           metadata={"owner": getattr(owner, "pk", None)})
    return client


def client_update(*, client: Client, actor: User | None = None,
                  source: str = "", **fields: Any) -> tuple[Client, list[str]]:
    """Change a client's details (contact points, address, language, ...); returns the client
    and the names of the fields that changed (none: nothing is written). The timeline says
    which fields changed; the reminder planner looks at the client's invoices again."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        before = {name: getattr(client, name) for name in fields}
        for name, value in fields.items():
            setattr(client, name, value)
        client.full_clean()  # also normalizes (phones to E.164, codes upper-case)
        changed = [name for name in fields if getattr(client, name) != before[name]]
        if not changed:
            return client, []
        client.save(update_fields=[*changed, "updated_at"])
        client.invoices.update(next_action_at=None)  # a new address may be a new channel
        labels = ", ".join(field_label(Client, n) for n in changed)
        interaction_record(client=client, kind=InteractionKind.STATUS_CHANGE, actor=actor,
                           summary=f"Details changed{' by ' + source if source else ''}: "
                                   f"{labels}", metadata={"changed": changed})
    return client, changed
