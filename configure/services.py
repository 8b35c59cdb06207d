"""Writes of the configuration pages. Each runs in one transaction, records who changed what
(``configure.audit``), and, where the reminder planner's inputs change, clears the affected
invoices' ``next_action_at`` so the next tick re-plans exactly them.

Objects arrive validated by their forms (``full_clean`` has run); a race the forms cannot see
(two admins adding the same step name) comes back as a ``ValidationError`` on the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from answers.models import PlanStatus, PortalSettings
from clients.models import Client, ClientTag
from configure.audit import ADDITION, CHANGE, DELETION, audit_record
from receivables.models import ACTIVE_STATUSES, Invoice, PaymentTerms
from reminders.models import Cadence, CadencePurpose, CadenceStep, MessageTemplate


def _changed(fields: Sequence[str]) -> str:
    return "Changed " + ", ".join(f.replace("_", " ") for f in fields) + "." if fields else \
        "Saved without changes."


def _save(obj: models.Model, unique_field: str, what: str) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError({unique_field: f"Another {what} already has this name."}) from None


def invoices_to_replan(cadence: Cadence, *, client_ids: Iterable[int] = (),
                       tag_ids: Iterable[int] = ()) -> int:
    """Clear ``next_action_at`` of the open invoices whose plan this cadence may change (and
    of the clients/tags just taken off it); returns how many. Over-clearing costs a re-plan,
    never a wrong message: the tick plans them afresh from the current cadences."""
    invoices = Invoice.objects.filter(status__in=ACTIVE_STATUSES, balance__gt=0,
                                      next_action_at__isnull=False)
    if cadence.purpose == CadencePurpose.INSTALMENTS:
        invoices = invoices.filter(payment_plans__status=PlanStatus.ACCEPTED)
    elif not cadence.is_default:
        invoices = invoices.filter(
            Q(client__cadences=cadence) | Q(client__tags__cadences=cadence)
            | Q(client_id__in=list(client_ids)) | Q(client__tags__in=list(tag_ids)))
    return Invoice.objects.filter(pk__in=invoices.values("pk")).update(next_action_at=None)


# --- Cadences -------------------------------------------------------------------------------

def cadence_create(*, cadence: Cadence, actor: Any) -> Cadence:
    with transaction.atomic():
        _save(cadence, "name", "cadence")
        audit_record(actor=actor, obj=cadence, action=ADDITION,
                     message=f"Created cadence '{cadence.name}' ({cadence.get_purpose_display()})")
    return cadence


def cadence_update(*, cadence: Cadence, changed: Sequence[str], actor: Any,
                   tags: Iterable[ClientTag] | None = None, add_clients: Sequence[Client] = (),
                   remove_clients: Sequence[Client] = ()) -> int:
    """Save name/description/priority and the tag and client assignment; returns how many
    invoices will be re-planned."""
    with transaction.atomic():
        _save(cadence, "name", "cadence")
        notes = [_changed(changed)] if changed else []
        old_tags = set(cadence.tags.values_list("pk", flat=True))
        if tags is not None:
            new_tags = {t.pk for t in tags}
            if new_tags != old_tags:
                cadence.tags.set(list(new_tags))
                names = ", ".join(sorted(t.name for t in tags)) or "none"
                notes.append(f"Tags: {names}.")
        if add_clients:
            cadence.clients.add(*add_clients)
            notes.append("Assigned " + ", ".join(c.reference for c in add_clients) + ".")
        if remove_clients:
            cadence.clients.remove(*remove_clients)
            notes.append("Unassigned " + ", ".join(c.reference for c in remove_clients) + ".")
        audit_record(actor=actor, obj=cadence, action=CHANGE,
                     message=" ".join(notes) or "Saved without changes.")
        return invoices_to_replan(cadence, client_ids=[c.pk for c in remove_clients],
                                  tag_ids=old_tags)


def step_save(*, step: CadenceStep, only_tags: Iterable[ClientTag], changed: Sequence[str],
              actor: Any) -> CadenceStep:
    """Add or change a step (the form has validated it)."""
    adding = step.pk is None
    with transaction.atomic():
        _save(step, "name", "step of this cadence")
        step.only_tags.set(list(only_tags))
        message = (f"Added step '{step.name}' at {step.offset_days:+d} days to "
                   f"'{step.cadence.name}'." if adding else
                   f"Step '{step.name}' of '{step.cadence.name}': {_changed(changed)}")
        audit_record(actor=actor, obj=step, action=ADDITION if adding else CHANGE,
                     message=message)
        invoices_to_replan(step.cadence)
    return step


def step_move(*, step: CadenceStep, offset_days: int, actor: Any) -> CadenceStep:
    before = step.offset_days
    with transaction.atomic():
        step.offset_days = offset_days
        step.save(update_fields=["offset_days"])
        audit_record(actor=actor, obj=step, action=CHANGE,
                     message=f"Moved step '{step.name}' of '{step.cadence.name}' from "
                             f"{before:+d} to {offset_days:+d} days.")
        invoices_to_replan(step.cadence)
    return step


def step_remove(*, step: CadenceStep, actor: Any) -> None:
    """Remove a step no reminder refers to (the outbox and its history keep their steps)."""
    used = step.reminders.count()
    if used:
        raise ValidationError(
            f"'{step.name}' cannot be removed: {used} reminder(s) in the outbox or its history "
            "refer to it, and they must keep showing which step sent them. Move it or change "
            "what it does instead.")
    cadence = step.cadence
    with transaction.atomic():
        audit_record(actor=actor, obj=step, action=DELETION,
                     message=f"Removed step '{step.name}' ({step.offset_days:+d} days) from "
                             f"'{cadence.name}'.")
        step.delete()
        invoices_to_replan(cadence)


# --- Templates, terms, pay-now settings ------------------------------------------------------

def template_save(*, template: MessageTemplate, changed: Sequence[str], actor: Any
                  ) -> MessageTemplate:
    adding = template.pk is None
    with transaction.atomic():
        _save(template, "key", "template for this key, channel and language")
        audit_record(actor=actor, obj=template, action=ADDITION if adding else CHANGE,
                     message=f"Created template {template}." if adding else
                     f"Template {template}: {_changed(changed)}")
    return template


def terms_save(*, terms: PaymentTerms, changed: Sequence[str], actor: Any,
               preset_note: str = "") -> PaymentTerms:
    adding = terms.pk is None
    with transaction.atomic():
        if terms.is_default:  # one default: the new one takes over
            PaymentTerms.objects.filter(is_default=True).exclude(pk=terms.pk).update(
                is_default=False)
        _save(terms, "name", "set of payment terms")
        message = f"Created terms '{terms.name}'." if adding else \
            f"Terms '{terms.name}': {_changed(changed)}"
        audit_record(actor=actor, obj=terms, action=ADDITION if adding else CHANGE,
                     message=f"{message} {preset_note}".strip())
    return terms


def portal_settings_save(*, row: PortalSettings, changed: Sequence[str], actor: Any
                         ) -> PortalSettings:
    with transaction.atomic():
        row.save()
        audit_record(actor=actor, obj=row, action=CHANGE,
                     message=f"Pay-now settings: {_changed(changed)}")
    return row
