"""The admin's view of pay links, the pay-now settings, bank accounts, payment plans and
disputes."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from answers import banking
from answers.models import (
    BankAccount,
    Dispute,
    Instalment,
    PayLink,
    PaymentPlan,
    PortalSettings,
)
from answers.plans import plan_accept, plan_cancel, plan_decline
from clients.admin import ReadOnlyAdmin


@admin.register(PayLink)
class PayLinkAdmin(ReadOnlyAdmin):
    """Links are made by the engine; only the token's hash is stored, so no link can be read
    back from here. A link can be revoked."""

    list_display = ["client", "purpose", "created_at", "expires_at", "revoked_at", "visits",
                    "first_visit_at"]
    list_filter = ["purpose"]
    search_fields = ["client__display_name", "client__reference"]
    list_select_related = ["client"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected links")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        from django.utils import timezone

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} link(s) revoked.")

@admin.register(PortalSettings)
class PortalSettingsAdmin(admin.ModelAdmin):
    fieldsets = [
        ("Links", {"fields": ["link_valid_days"]}),
        ("What clients may propose", {"fields": [
            "promise_max_days", "plan_max_instalments", "plan_max_months",
            "plan_first_within_days", "plan_min_instalment", "callback_days",
            "dispute_attachment_mb"]}),
        ("Old single bank account (read only)", {
            "description": "Bank accounts are set per currency under Bank accounts (or "
                           "Configure → Business & pay-now). These fields answer only while "
                           "no bank account was ever set up.",
            "fields": ["account_holder", "bank_name", "iban", "bic", "account_number",
                       "routing_number"]}),
        ("Cheques", {"fields": ["accepts_cheques", "cheque_payee"]}),
    ]
    readonly_fields = ["account_holder", "bank_name", "iban", "bic", "account_number",
                       "routing_number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PortalSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    """One account per currency (``BankAccount.clean`` checks it); saving goes through
    ``banking.bank_account_save``. Accounts are deactivated, not deleted."""

    list_display = ["currency", "holder", "scheme", "bank_name", "active", "updated_at"]
    list_filter = ["active", "scheme"]
    search_fields = ["currency", "holder", "bank_name"]
    fields = ["currency", "holder", "bank_name", "scheme", "iban", "bic", "sort_code",
              "routing_number", "account_number", "details", "active"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        banking.bank_account_save(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    can_delete = False
    readonly_fields = ["number", "due_date", "amount"]
    fields = [*readonly_fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

@admin.register(PaymentPlan)
class PaymentPlanAdmin(ReadOnlyAdmin):
    list_display = ["client", "currency", "total", "status", "proposed_at", "decided_at",
                    "decided_by"]
    list_filter = ["status"]
    search_fields = ["client__display_name"]
    list_select_related = ["client", "decided_by"]
    inlines = [InstalmentInline]
    actions = ["accept", "decline", "cancel"]

    def _decide(self, request: HttpRequest, queryset: Any, how: Any) -> None:
        from django.core.exceptions import ValidationError

        for plan in queryset:
            try:
                how(plan=plan, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{plan}: {'; '.join(exc.messages)}",
                                  messages.ERROR)

    @admin.action(description="Accept the selected plans")
    def accept(self, request: HttpRequest, queryset: Any) -> None:
        self._decide(request, queryset, plan_accept)

    @admin.action(description="Decline the selected plans")
    def decline(self, request: HttpRequest, queryset: Any) -> None:
        self._decide(request, queryset, plan_decline)

    @admin.action(description="Cancel the selected plans (the usual reminders resume)")
    def cancel(self, request: HttpRequest, queryset: Any) -> None:
        self._decide(request, queryset, plan_cancel)

@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyAdmin):
    list_display = ["plan", "number", "due_date", "amount"]
    list_select_related = ["plan__client"]

@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "client", "invoice", "reason", "status", "attachment_name"]
    list_filter = ["status", "reason"]
    search_fields = ["client__display_name", "invoice__number", "message"]
    list_select_related = ["client", "invoice"]
    exclude = ["attachment"]
