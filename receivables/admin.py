from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone

from clients.admin import ReadOnlyAdmin
from clients.models import PaymentMethod
from receivables import services
from receivables.models import (
    Invoice,
    InvoiceAdjustment,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentSource,
    PaymentSync,
    PaymentTerms,
    ReferenceRate,
)

_TERMS_MATH_FIELDS = ["net_days", "discount_percent", "discount_days", "late_fee_flat",
                      "late_fee_currency", "late_fee_percent", "late_fee_after_days",
                      "interest_percent", "interest_period", "interest_after_days", "grace_days",
                      "statutory"]


@admin.register(PaymentTerms)
class PaymentTermsAdmin(admin.ModelAdmin):
    list_display = ["name", "summary_en", "is_default"]
    list_filter = ["is_default", "interest_period"]
    search_fields = ["name"]
    readonly_fields = ["summary_en"]

    @admin.display(description="Summary printed on invoices and reminders")
    def summary_en(self, obj: PaymentTerms) -> str:
        return obj.summary() if obj.pk else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Terms already on an invoice are a promise made to a client: changing them would
        # rewrite issued invoices. Create new terms instead.
        if obj is not None and obj.invoices.exclude(status=InvoiceStatus.DRAFT).exists():
            return [*self.readonly_fields, *_TERMS_MATH_FIELDS]
        return self.readonly_fields


class LineFormSet(BaseInlineFormSet):
    def save(self, commit: bool = True) -> list[Any]:
        # Lines are written by services.invoice_replace_lines (see InvoiceAdmin.save_related),
        # which also computes the amounts; the admin's change log still needs these lists.
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        return []


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    formset = LineFormSet
    fields = ["description", "quantity", "unit_price", "tax_rate", "net_amount", "tax_amount"]
    readonly_fields = ["net_amount", "tax_amount"]
    extra = 1

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.status == InvoiceStatus.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class AdjustmentInline(admin.TabularInline):
    model = InvoiceAdjustment
    readonly_fields = ["effective_on", "kind", "amount", "memo", "created_by"]
    fields = [*readonly_fields]
    extra = 0
    max_num = 0
    can_delete = False


class AllocationInline(admin.TabularInline):
    model = PaymentAllocation
    readonly_fields = ["payment", "invoice", "amount"]
    fields = [*readonly_fields]
    extra = 0
    max_num = 0
    can_delete = False


def _staff(request: HttpRequest) -> User:
    """The acting user: the admin site lets only signed-in staff in, never an anonymous one."""
    return cast(User, request.user)


def _run_transition(modeladmin: admin.ModelAdmin, request: HttpRequest,
                    queryset: QuerySet[Invoice], to: InvoiceStatus) -> None:
    done = 0
    for invoice in queryset:
        try:
            services.invoice_transition(invoice=invoice, to=to, actor=_staff(request),
                                        reason="changed in the admin")
            done += 1
        except ValidationError as exc:
            modeladmin.message_user(request, "; ".join(exc.messages), messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} invoice(s) now {to.label.lower()}.")


class InvoiceAdminForm(forms.ModelForm):
    """Terms default to the client's; the due date to what the terms say."""

    class Meta:
        model = Invoice
        fields = ["number", "client", "issue_date", "due_date", "currency", "terms",
                  "reference", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, help_text in (("due_date", "Leave empty to use the terms' net days."),
                                ("terms", "Leave empty for the client's default terms."),
                                ("currency", "Leave empty for the client's currency.")):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = help_text

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        client = data.get("client")
        if client is not None and "terms" in self.fields:
            data["terms"] = data.get("terms") or services.terms_for(client)
            data["currency"] = (data.get("currency") or client.default_currency).upper()
            self.instance.terms = data["terms"]
            self.instance.currency = data["currency"]
            if not data.get("due_date") and data.get("issue_date"):
                data["due_date"] = services.due_date_for(terms=data["terms"],
                                                         issue_date=data["issue_date"])
                self.instance.due_date = data["due_date"]
        return data


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    form = InvoiceAdminForm
    list_display = ["number", "client", "issue_date", "due_date", "currency", "total",
                    "balance", "status", "days_overdue"]
    list_filter = ["status", "currency", "due_date", "terms", "client__owner"]
    search_fields = ["number", "reference", "client__display_name", "client__reference"]
    list_select_related = ["client"]
    autocomplete_fields = ["client"]
    date_hierarchy = "due_date"
    inlines = [InvoiceLineInline, AdjustmentInline, AllocationInline]
    readonly_fields = ["status", "subtotal", "tax_total", "total", "charges_total",
                       "reductions_total", "amount_paid", "balance"]
    actions = ["issue", "mark_disputed", "reopen", "write_off", "send_to_collections", "void"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != InvoiceStatus.DRAFT:
            return [*self.readonly_fields, "number", "client", "issue_date", "due_date",
                    "currency", "terms"]
        return self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"issue_date": timezone.localdate(), "terms": services.terms_default()}

    @admin.display(description="Days overdue")
    def days_overdue(self, obj: Invoice) -> int | str:
        return obj.days_overdue(timezone.localdate()) if obj.is_receivable else "—"

    def save_model(self, request: HttpRequest, obj: Invoice, form: Any, change: bool) -> None:
        if not change:
            obj.status = InvoiceStatus.DRAFT
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        invoice = form.instance
        if invoice.status != InvoiceStatus.DRAFT:
            return
        lines = [services.LineInput(description=f.cleaned_data["description"],
                                    quantity=f.cleaned_data["quantity"],
                                    unit_price=f.cleaned_data["unit_price"],
                                    tax_rate=f.cleaned_data["tax_rate"] or Decimal(0))
                 for fs in formsets if isinstance(fs, LineFormSet)
                 for f in fs.forms
                 if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if lines:
            services.invoice_replace_lines(invoice=invoice, lines=lines)

    @admin.action(description="Issue selected drafts (client owes them from now on)")
    def issue(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        for invoice in queryset:
            try:
                services.invoice_issue(invoice=invoice, actor=_staff(request))
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    @admin.action(description="Mark disputed (reminders stop)")
    def mark_disputed(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        _run_transition(self, request, queryset, InvoiceStatus.DISPUTED)

    @admin.action(description="Reopen (dispute resolved / back from collections)")
    def reopen(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        _run_transition(self, request, queryset, InvoiceStatus.OPEN)

    @admin.action(description="Write off the remaining balance")
    def write_off(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        _run_transition(self, request, queryset, InvoiceStatus.WRITTEN_OFF)

    @admin.action(description="Hand to collections")
    def send_to_collections(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        _run_transition(self, request, queryset, InvoiceStatus.IN_COLLECTIONS)

    @admin.action(description="Void (only without payments)")
    def void(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        _run_transition(self, request, queryset, InvoiceStatus.VOID)


class PaymentAdminForm(forms.ModelForm):
    """Recording a payment in the admin goes through services.payment_record, so allocation,
    discounts, credit and the timeline work exactly as everywhere else."""

    invoices = forms.ModelMultipleChoiceField(
        queryset=Invoice.objects.receivable().select_related("client"), required=False,
        help_text="Leave empty to pay the client's open invoices oldest first.")

    class Meta:
        model = Payment
        fields = ["client", "amount", "currency", "received_on", "method", "reference",
                  "source", "notes"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors or not data.get("client"):
            return data
        try:
            services.payment_validate(
                client=data["client"], amount=data["amount"], currency=data["currency"],
                received_on=data["received_on"], reference=data.get("reference", ""),
                invoices=list(data.get("invoices") or []) or None)
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def _post_clean(self) -> None:
        pass  # the model instance is built by the service, not by the form

    def save(self, commit: bool = True) -> Payment:
        return self.instance


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["received_on", "client", "amount", "currency", "unapplied", "method",
                    "reference", "source"]
    list_filter = ["method", "source", "currency", "received_on"]
    search_fields = ["reference", "client__display_name", "client__reference"]
    list_select_related = ["client"]
    autocomplete_fields = ["client"]
    date_hierarchy = "received_on"
    inlines = [AllocationInline]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = PaymentAdminForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"received_on": timezone.localdate(), "method": PaymentMethod.BANK_TRANSFER,
                "source": PaymentSource.MANUAL}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:  # recorded payments are facts; correct them with a new entry
            return [f.name for f in Payment._meta.fields] + ["unapplied"]
        return []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Payment, form: Any, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        payment = services.payment_record(
            client=data["client"], amount=data["amount"], currency=data["currency"],
            received_on=data["received_on"], method=data["method"],
            reference=data.get("reference", ""), source=data["source"],
            invoices=list(data.get("invoices") or []) or None,
            notes=data.get("notes", ""), actor=_staff(request))
        obj.pk = payment.pk
        obj.__dict__.update(payment.__dict__)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return  # allocations are written by the service


@admin.register(InvoiceAdjustment)
class InvoiceAdjustmentAdmin(ReadOnlyAdmin):
    """Adjustments are written by services (paying, writing off, charging a fee)."""

    list_display = ["effective_on", "invoice", "kind", "amount", "memo", "created_by"]
    list_filter = ["kind", "effective_on"]
    search_fields = ["invoice__number", "memo"]
    list_select_related = ["invoice", "created_by"]


@admin.register(PaymentSync)
class PaymentSyncAdmin(ReadOnlyAdmin):
    """When an import or the API last brought payments up to date (read only: written by them)."""

    list_display = ["source", "synced_at", "payments"]


@admin.register(ReferenceRate)
class ReferenceRateAdmin(admin.ModelAdmin):
    list_display = ["statutory", "half_year_start", "rate", "note"]
    list_filter = ["statutory"]
