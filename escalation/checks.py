"""Checks both escalations share: invoices locked for the change, one client at a time, no
live payment plan in the way."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError

from answers.models import PaymentPlan, PlanStatus
from clients.models import (
    Client,
)
from core.money import format_money
from core.money import quantize as q
from receivables.models import Invoice

logger = logging.getLogger(__name__)


def live_plans(invoice_ids: list[int]) -> dict[int, PaymentPlan]:
    """Invoice id → the proposed or accepted payment plan covering it (one query)."""
    plans = (PaymentPlan.objects.filter(invoices__in=invoice_ids,
                                        status__in=[PlanStatus.PROPOSED, PlanStatus.ACCEPTED])
             .prefetch_related("invoices").distinct())
    return {invoice.pk: plan for plan in plans for invoice in plan.invoices.all()
            if invoice.pk in invoice_ids}

def plan_problem(invoice: Invoice, plans: dict[int, PaymentPlan]) -> str:
    plan = plans.get(invoice.pk)
    if plan is None:
        return ""
    return (f"Invoice {invoice.number} is in payment plan {plan.pk} "
            f"({plan.get_status_display().lower()}): decline or cancel the plan first.")

def locked(invoices: Iterable[Invoice]) -> list[Invoice]:
    """The invoices afresh and locked (the statuses checked are the ones changed); refused
    when one no longer exists."""
    ids = list(dict.fromkeys(invoice.pk for invoice in invoices))
    if not ids:
        raise ValidationError("Select at least one invoice.")
    found = list(Invoice.objects.select_for_update().filter(pk__in=ids)
                 .select_related("client").order_by("due_date", "number"))
    if len(found) != len(ids):
        raise ValidationError("An invoice selected no longer exists; reload the page.")
    return found

def one_client(invoices: list[Invoice]) -> Client:
    clients = {invoice.client_id: invoice.client for invoice in invoices}
    if len(clients) > 1:
        owners = "; ".join(f"{i.number} is {i.client.display_name}'s" for i in invoices)
        raise ValidationError(f"Invoices of different clients cannot be handed over "
                              f"together: {owners}.")
    return invoices[0].client

def amounts(invoices: list[Invoice]) -> str:
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        by_currency[invoice.currency] += invoice.balance
    return " + ".join(format_money(q(amount, currency), currency)
                      for currency, amount in sorted(by_currency.items()))
