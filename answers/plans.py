"""Payment plans: a client proposes instalments within the admin's limits; while the proposal
waits for the bookkeeper, the invoices' reminders wait too; once accepted, the invoices'
cadence is replaced by reminders around each instalment; declined, the cadence resumes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from answers import instalments as plans
from answers.base import CLIENT, client_money, one_currency, open_invoices, tell_owner
from answers.models import (
    Instalment,
    PaymentPlan,
    PlanStatus,
    PortalSettings,
)
from clients.models import (
    Client,
    InteractionChannel,
    InteractionKind,
)
from clients.services import interaction_record
from core.money import quantize
from receivables.models import Invoice
from reminders.models import Reminder, ReminderStatus
from work.models import Task, TaskKind, TaskStatus

log = logging.getLogger(__name__)


def plan_limits(client: Client, currency: str, now: datetime) -> dict[str, Any]:
    row = PortalSettings.load()
    today = client.local_today(now)
    minimum = row.plan_min_instalment.get(currency)
    return {"max_instalments": row.plan_max_instalments,
            "first_by": today + timedelta(days=row.plan_first_within_days),
            "last_by": plans.add_months(today, row.plan_max_months),
            "min_instalment": quantize(Decimal(str(minimum)), currency) if minimum else None}

def plan_propose(*, client: Client, invoice_ids: Sequence[int], count: int | None,
                 first: date | None, frequency: str, note: str, now: datetime,
                 channel: str = InteractionChannel.PORTAL) -> PaymentPlan:
    invoices = open_invoices(client, invoice_ids)
    currency = one_currency(invoices)
    limits = plan_limits(client, currency, now)
    today = client.local_today(now)
    total = quantize(sum((i.balance for i in invoices), Decimal(0)), currency)
    errors: dict[str, str] = {}
    if PaymentPlan.objects.filter(invoices__in=invoices, status__in=[
            PlanStatus.PROPOSED, PlanStatus.ACCEPTED]).exists():
        errors["invoices"] = "One of these invoices already has a payment plan."
    if count is None or not 2 <= count <= limits["max_instalments"]:
        errors["count"] = f"Choose between 2 and {limits['max_instalments']} instalments."
    if first is None or not today <= first <= limits["first_by"]:
        errors["first"] = (f"The first instalment must be between today and "
                           f"{limits['first_by'].isoformat()}.")
    if frequency not in plans.FREQUENCIES:
        errors["frequency"] = "Choose how often you will pay."
    if errors:
        raise ValidationError(errors)
    assert count is not None and first is not None
    rows = plans.schedule(total=total, currency=currency, count=count, first=first,
                          frequency=frequency)
    if rows[-1][0] > limits["last_by"]:
        errors["count"] = (f"The last instalment would be on {rows[-1][0].isoformat()}; plans "
                           f"must end by {limits['last_by'].isoformat()}. Choose fewer or more "
                           "frequent instalments.")
    minimum = limits["min_instalment"]
    if minimum and min(a for _, a in rows) < minimum:
        least = client_money(client, minimum, currency)
        errors["count"] = (f"Each instalment must be at least {least}"
                           "; choose fewer instalments.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = PaymentPlan.objects.create(client=client, currency=currency, total=total,
                                          channel=channel, client_note=note.strip()[:2000],
                                          proposed_at=now)
        plan.invoices.set(invoices)
        Instalment.objects.bulk_create(
            Instalment(plan=plan, number=n, due_date=d, amount=a)
            for n, (d, a) in enumerate(rows, start=1))
        Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(next_action_at=None)
        described = describe_schedule(client, rows, currency)
        numbers = ", ".join(i.number for i in invoices)
        interaction_record(
            client=client, kind=InteractionKind.PAYMENT_PLAN, channel=channel,
            actor_label=CLIENT, occurred_at=now, invoices=invoices,
            summary=f"Proposed a payment plan for {numbers}: {described}",
            content={"note": plan.client_note}, metadata={"plan": plan.pk, "status": "proposed"})
        tell_owner(client=client, now=now, invoices=invoices, kind=TaskKind.PLAN, plan=plan,
                   title=f"{client.display_name} proposes a payment plan for {numbers}",
                   text=f"{described}.\n\n{plan.client_note}\n\nReminders for these invoices "
                        "wait until you accept or decline.")
    return plan

def describe_schedule(client: Client, rows: Sequence[tuple[date, Decimal]], currency: str) -> str:
    return (f"{len(rows)} instalments, " + ", ".join(
        f"{client_money(client, a, currency)} on {d.isoformat()}" for d, a in rows))

def _decide(plan: PaymentPlan, actor: User | None, now: datetime, to: PlanStatus,
            note: str) -> PaymentPlan:
    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        allowed = {PlanStatus.ACCEPTED: {PlanStatus.PROPOSED},
                   PlanStatus.DECLINED: {PlanStatus.PROPOSED},
                   PlanStatus.CANCELLED: {PlanStatus.ACCEPTED, PlanStatus.PROPOSED}}[to]
        if plan.status not in allowed:
            raise ValidationError(f"This plan is {plan.get_status_display().lower()}; it cannot "
                                  f"be {to.label.lower()} now.")
        plan.status, plan.decided_at, plan.decision_note = to, now, note.strip()[:2000]
        plan.decided_by = actor if getattr(actor, "pk", None) else None
        plan.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        invoices = list(plan.invoices.all())
        Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(next_action_at=None)
        if to == PlanStatus.ACCEPTED:
            # The plan's reminders replace the cadence's: what waits in the outbox goes.
            Reminder.objects.filter(invoice__in=invoices, instalment__isnull=True,
                                    status=ReminderStatus.SCHEDULED).update(
                status=ReminderStatus.CANCELLED,
                last_error="Not sent: replaced by the payment plan's reminders.")
        Task.objects.filter(plan=plan, kind=TaskKind.PLAN, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, closed_at=now, closed_by=plan.decided_by)
        rows = [(i.due_date, i.amount) for i in plan.instalments.all()]
        what = {PlanStatus.ACCEPTED: "accepted", PlanStatus.DECLINED: "declined",
                PlanStatus.CANCELLED: "cancelled"}[to]
        follow = {PlanStatus.ACCEPTED: "reminders now follow the instalments",
                  PlanStatus.DECLINED: "the usual reminders resume",
                  PlanStatus.CANCELLED: "the usual reminders resume"}[to]
        interaction_record(
            client=plan.client, kind=InteractionKind.PAYMENT_PLAN, actor=actor,
            occurred_at=now, invoices=invoices,
            summary=f"Payment plan {what} ({describe_schedule(plan.client, rows, plan.currency)})"
                    f"; {follow}" + (f". Note: {plan.decision_note}" if plan.decision_note
                                     else ""),
            metadata={"plan": plan.pk, "status": to.value})
    return plan

def plan_accept(*, plan: PaymentPlan, actor: User | None, now: datetime | None = None,
                note: str = "") -> PaymentPlan:
    return _decide(plan, actor, now or timezone.now(), PlanStatus.ACCEPTED, note)

def plan_decline(*, plan: PaymentPlan, actor: User | None,
                 now: datetime | None = None, note: str = "") -> PaymentPlan:
    return _decide(plan, actor, now or timezone.now(), PlanStatus.DECLINED, note)

def plan_cancel(*, plan: PaymentPlan, actor: User | None,
                now: datetime | None = None, note: str = "") -> PaymentPlan:
    return _decide(plan, actor, now or timezone.now(), PlanStatus.CANCELLED, note)
