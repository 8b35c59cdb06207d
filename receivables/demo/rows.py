"""The book in memory: plain rows, one class per table the demo book writes.

Plain slotted objects named like the model fields (a foreign key holds the parent row or model
instance). Django model instances cost ~10 µs each to create; a 100k-invoice book makes about
700k rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from clients.models import Client, ClientTag
from receivables.demo.options import ZERO
from receivables.models import InvoiceStatus, PaymentTerms


class Row:
    """A row's ``pk`` is its ``id``, as for a model instance."""

    __slots__ = ()

    @property
    def pk(self) -> int | None:
        return self.id  # type: ignore[attr-defined]


@dataclass(slots=True, eq=False)
class InvoiceRow(Row):
    number: str
    client: Client
    issue_date: date
    due_date: date
    currency: str
    terms: PaymentTerms
    reference: str
    status: str = InvoiceStatus.DRAFT.value
    subtotal: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO
    charges_total: Decimal = ZERO
    reductions_total: Decimal = ZERO
    amount_paid: Decimal = ZERO
    notes: str = ""
    promised_until: date | None = None
    reminders_paused_until: date | None = None
    source: str = "manual"
    next_action_at: datetime | None = None  # None: the reminder planner looks at it first
    id: int | None = None


@dataclass(slots=True, eq=False)
class LineRow(Row):
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    invoice: InvoiceRow | None = None
    net_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    id: int | None = None


@dataclass(slots=True, eq=False)
class PaymentRow(Row):
    client: Client
    amount: Decimal
    currency: str
    received_on: date
    method: str
    reference: str
    source: str
    recorded_by: User | None
    amount_allocated: Decimal = ZERO
    notes: str = ""
    id: int | None = None


@dataclass(slots=True, eq=False)
class AllocationRow(Row):
    payment: PaymentRow
    invoice: InvoiceRow
    amount: Decimal
    id: int | None = None


@dataclass(slots=True, eq=False)
class AdjustmentRow(Row):
    invoice: InvoiceRow
    kind: str
    amount: Decimal
    effective_on: date
    memo: str
    payment: PaymentRow | None
    created_by: User | None
    id: int | None = None


@dataclass(slots=True, eq=False)
class EntryRow(Row):
    """An Interaction; ``invoices`` become InteractionInvoice rows, ``payment`` the
    payment_id in the metadata once the payment has an id."""

    client: Client
    kind: str
    channel: str
    occurred_at: datetime
    actor: User | None
    actor_label: str
    summary: str
    metadata: dict[str, Any]
    invoices: list[InvoiceRow]
    payment: PaymentRow | None = None
    content: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(slots=True, eq=False)
class LinkRow(Row):
    interaction: EntryRow
    invoice: InvoiceRow
    id: int | None = None


@dataclass(slots=True, eq=False)
class TagRow(Row):
    client: Client
    clienttag: ClientTag
    id: int | None = None
