"""What goes over the wire. Read serializers describe stored rows; write serializers only check
shapes and look up natural keys: every write is done by a service (``clients.services``,
``receivables.services``), which validates the business rules and writes in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from api.fields import (
    AmountField,
    DecimalInputField,
    DecimalStringField,
    IdentifierField,
    LineField,
    MoneyField,
    TextField,
)
from clients.models import Client, ClientTag, Interaction, PaymentMethod
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
    tags: serializers.SlugRelatedField[ClientTag] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name")
    default_terms: serializers.SlugRelatedField[PaymentTerms] = serializers.SlugRelatedField(
        read_only=True, slug_field="name")
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
    email = LineField(max_length=254, required=False, allow_blank=True)
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
    default_terms = serializers.SlugRelatedField(
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
    client: serializers.SlugRelatedField[Client] = serializers.SlugRelatedField(
        read_only=True, slug_field="reference")
    terms: serializers.SlugRelatedField[PaymentTerms] = serializers.SlugRelatedField(
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
    issue_date = serializers.DateField()
    due_date = serializers.DateField(required=False, help_text="From the terms when omitted.")
    currency = LineField(max_length=10, required=False,
                         help_text="The client's default currency when omitted.")
    terms = serializers.SlugRelatedField(
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


class InvoiceFilterSerializer(serializers.Serializer):
    client = IdentifierField(what="The client reference", required=False,
                             help_text="The client's reference.")
    number = IdentifierField(what="The invoice number", required=False)
    status = serializers.CharField(required=False,
                                   help_text="One status or several, comma-separated: "
                                             + ", ".join(InvoiceStatus.values))
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="true: money still owed after the due date.")
    updated_since = serializers.DateTimeField(required=False,
                                              help_text="ISO 8601 with a UTC offset.")

    def validate_status(self, value: str) -> list[str]:
        wanted = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in InvoiceStatus.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status {', '.join(unknown)}; use {', '.join(InvoiceStatus.values)}.")
        return wanted

    def validate_updated_since(self, value: datetime) -> datetime:
        raw = str(self.initial_data.get("updated_since", ""))
        if "T" in raw and not (raw.endswith("Z") or "+" in raw[10:] or "-" in raw[10:]):
            raise serializers.ValidationError(
                "Give the time with its UTC offset, e.g. 2026-03-17T09:30:00+01:00 or "
                "2026-03-17T08:30:00Z.")
        return value


# --- Payments ---------------------------------------------------------------------------------

class AllocationSerializer(serializers.ModelSerializer):
    invoice: serializers.SlugRelatedField[Invoice] = serializers.SlugRelatedField(
        read_only=True, slug_field="number")
    amount = MoneyField(currency_from="payment.currency")

    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "amount"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    client: serializers.SlugRelatedField[Client] = serializers.SlugRelatedField(
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
    received_on = serializers.DateField()
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


class PaymentFilterSerializer(serializers.Serializer):
    client = IdentifierField(what="The client reference", required=False,
                             help_text="The client's reference.")
    reference = IdentifierField(what="The payment reference", required=False)
    received_from = serializers.DateField(required=False)
    received_to = serializers.DateField(required=False)


class PaymentSyncSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentSync
        fields = ["source", "synced_at", "payments"]
        read_only_fields = fields


# --- Reminders --------------------------------------------------------------------------------

class PauseSerializer(serializers.Serializer):
    until = serializers.DateField(help_text="Last day without reminders (inclusive).")
    reason = LineField(max_length=200, required=False, allow_blank=True, default="")


class ResumeSerializer(serializers.Serializer):
    reason = LineField(max_length=200, required=False, allow_blank=True, default="")


class ForecastQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=60, default=14)
    client = IdentifierField(what="The client reference", required=False,
                             help_text="Only this client's reference.")

    def validate_client(self, value: str) -> Client:
        return client_by_reference(value)


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
    client: serializers.SlugRelatedField[Client] = serializers.SlugRelatedField(
        read_only=True, slug_field="reference")
    invoices: serializers.SlugRelatedField[Invoice] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="number")
    content = serializers.DictField(read_only=True)
    metadata = serializers.DictField(read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "client", "kind", "channel", "occurred_at", "actor_label", "summary",
                  "content", "metadata", "invoices", "recorded_at"]
        read_only_fields = fields


class InteractionFilterSerializer(serializers.Serializer):
    client = IdentifierField(what="The client reference", required=False,
                             help_text="The client's reference.")
    kind = LineField(required=False, max_length=40)
