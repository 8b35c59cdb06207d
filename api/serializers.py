"""What goes over the wire. Read serializers describe stored rows; write serializers only check
shapes and look up natural keys: every write is done by a service (``clients.services``,
``receivables.services``), which validates the business rules and writes in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from api.fields import (
    AmountField,
    BoundedDateField,
    DecimalInputField,
    DecimalStringField,
    EmailOrBlankField,
    IdentifierField,
    LineField,
    MoneyField,
    NamedField,
    QueryTextField,
    TextField,
)
from clients.models import Client, Interaction, InteractionKind, PaymentMethod
from receivables.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentSync,
    PaymentTerms,
)


def client_by_reference(reference: str) -> Client:
    client = Client.objects.filter(reference=reference.strip()).first()
    if client is None:
        raise serializers.ValidationError(
            f"No client with reference '{reference}': create it first (POST /api/v1/clients/).")
    return client


# --- Clients ----------------------------------------------------------------------------------

class ClientSerializer(serializers.ModelSerializer):
    tags = NamedField(
        many=True, read_only=True, slug_field="name")
    default_terms = NamedField(
        read_only=True, slug_field="name", allow_null=True,
        help_text="Name of the client's payment terms; null: the default terms apply.")
    email = EmailOrBlankField(read_only=True)
    channel_preferences = serializers.ListField(child=serializers.CharField(), read_only=True)
    payment_methods = serializers.ListField(child=serializers.CharField(), read_only=True)
    pay_run_days = serializers.ListField(child=serializers.JSONField(), read_only=True)

    class Meta:
        model = Client
        fields = ["id", "reference", "display_name", "legal_name", "contact_name", "email",
                  "mobile_phone", "phone", "address_line1", "address_line2", "postcode", "city",
                  "region", "country", "language", "timezone", "default_currency",
                  "default_terms", "channel_preferences", "payment_methods", "pay_run_days",
                  "tags", "reminders_paused_until", "notes", "is_active", "created_at",
                  "updated_at"]
        read_only_fields = fields


class ClientCreateSerializer(serializers.Serializer):
    """Only ``reference`` and ``display_name`` are required; the rest has the site's defaults
    (country, time zone and currency from the server's settings)."""

    reference = IdentifierField(what="The client reference", max_length=40)
    display_name = LineField(max_length=200)
    legal_name = LineField(max_length=200, required=False, allow_blank=True)
    contact_name = LineField(max_length=200, required=False, allow_blank=True)
    email = EmailOrBlankField(required=False)
    mobile_phone = LineField(max_length=40, required=False, allow_blank=True)
    phone = LineField(max_length=40, required=False, allow_blank=True)
    address_line1 = LineField(max_length=200, required=False, allow_blank=True)
    address_line2 = LineField(max_length=200, required=False, allow_blank=True)
    postcode = LineField(max_length=20, required=False, allow_blank=True)
    city = LineField(max_length=100, required=False, allow_blank=True)
    region = LineField(max_length=100, required=False, allow_blank=True)
    country = LineField(max_length=2, required=False)
    language = LineField(max_length=5, required=False)
    timezone = LineField(max_length=64, required=False)
    default_currency = LineField(max_length=10, required=False)
    default_terms = NamedField(
        slug_field="name", queryset=PaymentTerms.objects.all(), required=False,
        error_messages={"does_not_exist": "No payment terms named '{value}'; an admin "
                                          "defines terms under Configure → Terms."})
    channel_preferences = serializers.ListField(child=LineField(max_length=20), required=False)
    payment_methods = serializers.ListField(child=LineField(max_length=20), required=False)
    pay_run_days = serializers.ListField(child=serializers.JSONField(), required=False,
                                         help_text='e.g. [15, "last-business"]')
    tags = serializers.ListField(child=LineField(max_length=40), required=False)
    notes = TextField(required=False, allow_blank=True)

    def validate_reference(self, value: str) -> str:
        return value.strip()


class ClientUpdateSerializer(ClientCreateSerializer):
    """PATCH: any of the create fields but the reference (the natural key integrations find
    the client by) and the tags; only the fields sent change (``clients.services.client_update``
    checks them as on the site)."""

    reference = None  # type: ignore[assignment]
    tags = None  # type: ignore[assignment]
    display_name = LineField(max_length=200, required=False)
    default_terms = NamedField(
        slug_field="name", queryset=PaymentTerms.objects.all(), required=False, allow_null=True,
        help_text="Name of the payment terms; null: the default terms.",
        error_messages={"does_not_exist": "No payment terms named '{value}'; an admin "
                                          "defines terms under Configure → Terms."})


class ClientFilterSerializer(serializers.Serializer):
    reference = QueryTextField(help_text="Exactly this client reference (none: an empty list).")
    search = QueryTextField(help_text="Part of the name, reference or email.")


# --- Invoices ---------------------------------------------------------------------------------

class InvoiceLineSerializer(serializers.ModelSerializer):
    quantity = DecimalStringField()
    unit_price = MoneyField(currency_from="invoice.currency", exact=True)
    tax_rate = DecimalStringField()
    net_amount = MoneyField(currency_from="invoice.currency")
    tax_amount = MoneyField(currency_from="invoice.currency")

    class Meta:
        model = InvoiceLine
        fields = ["position", "description", "quantity", "unit_price", "tax_rate", "net_amount",
                  "tax_amount"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    client = NamedField(
        read_only=True, slug_field="reference")
    terms = NamedField(
        read_only=True, slug_field="name")
    subtotal = MoneyField()
    tax_total = MoneyField()
    total = MoneyField()
    charges_total = MoneyField()
    reductions_total = MoneyField()
    amount_paid = MoneyField()
    balance = MoneyField()
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "number", "client", "issue_date", "due_date", "currency", "terms",
                  "reference", "status", "subtotal", "tax_total", "total", "charges_total",
                  "reductions_total", "amount_paid", "balance", "source", "promised_until",
                  "reminders_paused_until", "notes", "lines", "created_at", "updated_at"]
        read_only_fields = fields


class LineInputSerializer(serializers.Serializer):
    description = TextField(max_length=500)
    quantity = DecimalInputField(required=False, default="1")
    unit_price = AmountField()
    tax_rate = DecimalInputField(required=False, default="0", help_text="Percent, e.g. \"19\".")


class InvoiceCreateSerializer(serializers.Serializer):
    client = IdentifierField(what="The client reference", max_length=40,
                             help_text="The client's reference.")
    number = IdentifierField(what="The invoice number",
                             help_text="Printable, one line, at most 64 characters.")
    issue_date = BoundedDateField()
    due_date = BoundedDateField(required=False, help_text="From the terms when omitted.")
    currency = LineField(max_length=10, required=False,
                         help_text="The client's default currency when omitted.")
    terms = NamedField(
        slug_field="name", queryset=PaymentTerms.objects.all(), required=False,
        help_text="Name of the payment terms; the client's (or the default) when omitted.",
        error_messages={"does_not_exist": "No payment terms named '{value}'."})
    reference = LineField(max_length=200, required=False, allow_blank=True)
    notes = TextField(required=False, allow_blank=True)
    lines = LineInputSerializer(many=True, allow_empty=False)
    issue = serializers.BooleanField(default=True, help_text="false keeps it a draft.")

    def validate_client(self, value: str) -> Client:
        return client_by_reference(value)

    def validate_number(self, value: str) -> str:
        return value.strip()


class ClientFilterMixin(serializers.Serializer):
    """``?client=REF`` on every list: an unknown reference is a 400 naming ``client``, the
    same on invoices, payments, the timeline and the forecast."""

    client = IdentifierField(what="The client reference", required=False,
                             help_text="The client's reference; an unknown one is a 400.")

    def validate_client(self, value: str) -> Client:
        return client_by_reference(value)


class StatusListField(serializers.ListField):
    """``?status=open,partially_paid``: one status or several, comma-separated."""

    child = serializers.ChoiceField(choices=InvoiceStatus.choices)

    def get_value(self, dictionary: Any) -> Any:
        raw = dictionary.get(self.field_name, serializers.empty)
        if raw is serializers.empty:
            return raw
        return [part for part in str(raw).split(",") if part] if raw else []

    def to_internal_value(self, data: Any) -> list[str]:
        wanted = [str(item) for item in (data if isinstance(data, list) else [data])]
        unknown = [item for item in wanted if item not in InvoiceStatus.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status {', '.join(unknown)}; use {', '.join(InvoiceStatus.values)}.")
        return list(dict.fromkeys(wanted))


class InvoiceFilterSerializer(ClientFilterMixin):
    number = IdentifierField(what="The invoice number", required=False)
    status = StatusListField(required=False, allow_empty=True, help_text=(
        "One status or several, comma-separated: " + ", ".join(InvoiceStatus.values)))
    overdue = serializers.BooleanField(required=False,
                                       help_text="true: money still owed after the due date.")
    updated_since = serializers.DateTimeField(required=False,
                                              help_text="ISO 8601 with a UTC offset.")

    def validate_updated_since(self, value: datetime) -> datetime:
        raw = str(self.initial_data.get("updated_since", ""))
        if "T" in raw and not (raw.endswith("Z") or "+" in raw[10:] or "-" in raw[10:]):
            raise serializers.ValidationError(
                "Give the time with its UTC offset, e.g. 2026-03-17T09:30:00+01:00 or "
                "2026-03-17T08:30:00Z.")
        return value


class InvoiceUpdateSerializer(serializers.Serializer):
    """PATCH: what may change on an invoice that is a draft or still owed (open, partially
    paid, disputed, in collections); its amounts never do (a credit note changes what is
    owed). Only the fields sent change (``receivables.services.invoice_update``)."""

    due_date = BoundedDateField(required=False, help_text="Not before the issue date.")
    reference = LineField(max_length=200, required=False, allow_blank=True)
    notes = TextField(required=False, allow_blank=True)


class VoidSerializer(serializers.Serializer):
    reason = LineField(max_length=200, required=False, allow_blank=True, default="")


class CreditNoteSerializer(serializers.Serializer):
    amount = AmountField(help_text="More than zero, at most the balance, in the invoice's "
                                   "currency.")
    on = BoundedDateField(required=False, allow_null=True, default=None,
                          help_text="The credit note's date; today when omitted.")
    memo = LineField(max_length=200, required=False, allow_blank=True, default="")


# --- Payments ---------------------------------------------------------------------------------

class AllocationSerializer(serializers.ModelSerializer):
    invoice = NamedField(
        read_only=True, slug_field="number")
    amount = MoneyField(currency_from="payment.currency")

    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "amount"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    client = NamedField(
        read_only=True, slug_field="reference")
    amount = MoneyField()
    amount_allocated = MoneyField()
    unapplied = MoneyField(help_text="Not applied to any invoice: the client's credit.")
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "client", "amount", "currency", "received_on", "method", "reference",
                  "source", "amount_allocated", "unapplied", "allocations", "notes",
                  "created_at"]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    client = IdentifierField(what="The client reference", max_length=40,
                             help_text="The client's reference.")
    amount = AmountField()
    currency = LineField(max_length=10, required=False,
                         help_text="The client's default currency when omitted.")
    received_on = BoundedDateField(kind="received", help_text=(
        "Not after the client's today."))
    method = serializers.ChoiceField(choices=PaymentMethod.choices,
                                     default=PaymentMethod.BANK_TRANSFER)
    reference = IdentifierField(
        what="The payment reference",
        help_text="The bank's or your system's reference (printable, one line, at most 64 "
                  "characters): unique per client, so the same payment is never recorded "
                  "twice.")
    invoices = serializers.ListField(
        child=IdentifierField(what="An invoice number"), required=False,
        help_text="Invoice numbers to settle, in this order; [] keeps it all as credit; "
                  "omitted: the client's open invoices in the currency, oldest due first.")
    notes = TextField(required=False, allow_blank=True)

    def validate_client(self, value: str) -> Client:
        return client_by_reference(value)

    def validate_reference(self, value: str) -> str:
        return value.strip()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        numbers = attrs.get("invoices")
        if numbers is not None:
            found = {inv.number: inv for inv in Invoice.objects.filter(
                client=attrs["client"], number__in=numbers)}
            missing = [n for n in numbers if n not in found]
            if missing:
                raise serializers.ValidationError({"invoices": [
                    f"Client {attrs['client'].reference} has no invoice "
                    f"{', '.join(missing)}."]})
            attrs["invoices"] = [found[n] for n in numbers]
        return attrs


class PaymentFilterSerializer(ClientFilterMixin):
    reference = IdentifierField(what="The payment reference", required=False)
    received_from = BoundedDateField(required=False)
    received_to = BoundedDateField(required=False)


class PaymentSyncSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentSync
        fields = ["source", "synced_at", "payments"]
        read_only_fields = fields


# --- Reminders --------------------------------------------------------------------------------

class PauseSerializer(serializers.Serializer):
    until = BoundedDateField(kind="hold",
                             help_text="Last day without reminders (inclusive).")
    reason = LineField(max_length=200, required=False, allow_blank=True, default="")


class ResumeSerializer(serializers.Serializer):
    reason = LineField(max_length=200, required=False, allow_blank=True, default="")


class ForecastQuerySerializer(ClientFilterMixin):
    days = serializers.IntegerField(min_value=1, max_value=60, default=14)


class ForecastEntrySerializer(serializers.Serializer):
    client = serializers.CharField()
    client_reference = serializers.CharField()
    invoices = serializers.ListField(child=serializers.CharField())
    step = serializers.CharField()
    channel = serializers.CharField(allow_null=True)
    send_at = serializers.CharField(help_text="ISO 8601, in the client's time zone.")
    language = serializers.CharField()
    tone = serializers.CharField()
    why = serializers.CharField(allow_blank=True, help_text=(
        "What moved it, if anything did: a pause, a promise, a hold after a personal contact, "
        "the contact policy."))


# --- Timeline ---------------------------------------------------------------------------------

class InteractionSerializer(serializers.ModelSerializer):
    client = NamedField(
        read_only=True, slug_field="reference")
    invoices = NamedField(
        many=True, read_only=True, slug_field="number")
    content = serializers.DictField(read_only=True)
    metadata = serializers.DictField(read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "client", "kind", "channel", "occurred_at", "actor_label", "summary",
                  "content", "metadata", "invoices", "recorded_at"]
        read_only_fields = fields


class InteractionFilterSerializer(ClientFilterMixin):
    kind = serializers.ChoiceField(choices=InteractionKind.choices, required=False)
