from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from clients.models import BusinessProfile, Client, ClientTag, ContactFlag, Interaction
from core import calendar as paycal


class ClientAdminForm(forms.ModelForm):
    pay_run_text = forms.CharField(
        label="Pay-run days", required=False,
        help_text='Days of the month the client pays, e.g. "15, last business day".')

    class Meta:
        model = Client
        fields = [f.name for f in Client._meta.get_fields()
                  if f.concrete and f.editable and not f.auto_created
                  and f.name not in {"pay_run_days", "created_at", "updated_at"}]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pay_run_text"].initial = paycal.describe_pay_run(
            self.instance.pay_run_days or [])

    def clean_pay_run_text(self) -> list[paycal.PayRunToken]:
        try:
            return paycal.parse_pay_run(self.cleaned_data["pay_run_text"] or "")
        except paycal.PayRunError as exc:
            raise forms.ValidationError(str(exc)) from None

    def _post_clean(self) -> None:
        self.instance.pay_run_days = self.cleaned_data.get("pay_run_text", [])
        super()._post_clean()  # type: ignore[misc]  # private ModelForm hook, not in the stubs


class InteractionInline(admin.TabularInline):
    model = Interaction
    readonly_fields = ["occurred_at", "kind", "channel", "summary", "actor_label"]
    fields = [*readonly_fields]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    ordering = ["-occurred_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientAdminForm
    list_display = ["display_name", "reference", "contact_name", "email", "mobile_phone",
                    "language", "default_currency", "owner", "reminders_paused_until",
                    "is_active"]
    list_filter = ["language", "default_currency", "country", "tags", "owner", "is_active",
                   "default_terms"]
    search_fields = ["display_name", "legal_name", "reference", "contact_name", "email",
                     "mobile_phone"]
    list_select_related = ["owner"]
    filter_horizontal = ["tags"]
    autocomplete_fields = ["owner"]
    inlines = [InteractionInline]
    fieldsets = [
        (None, {"fields": ["reference", "display_name", "legal_name", "owner", "tags",
                           "is_active"]}),
        ("Contact", {"fields": ["contact_name", "email", "mobile_phone", "phone"]}),
        ("Postal address", {"fields": ["address_line1", "address_line2", "postcode", "city",
                                       "region", "country"]}),
        ("Reminders", {"fields": ["channel_preferences", "language", "timezone",
                                  "reminders_paused_until", "pay_run_text"]}),
        ("Payment", {"fields": ["default_currency", "default_terms", "payment_methods"]}),
        ("Notes", {"fields": ["notes"]}),
    ]


@admin.register(ClientTag)
class ClientTagAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are facts (the timeline, adjustments): viewed, never changed here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "client", "kind", "channel", "summary", "actor_label"]
    list_filter = ["kind", "channel", "occurred_at"]
    search_fields = ["summary", "client__display_name", "client__reference"]
    list_select_related = ["client"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["client", "kind", "channel", "occurred_at", "actor", "actor_label",
                       "summary", "related_invoices", "content", "metadata", "recorded_at"]
    actions = None

    @admin.display(description="Invoices")
    def related_invoices(self, obj: Interaction) -> str:
        return ", ".join(obj.invoices.values_list("number", flat=True)) or "—"


@admin.register(ContactFlag)
class ContactFlagAdmin(ReadOnlyAdmin):
    """Flags are set by provider events and call outcomes, cleared from the Tasks page."""

    list_display = ["created_at", "client", "channel", "value", "reason", "cleared_at"]
    list_filter = ["channel", "reason", ("cleared_at", admin.EmptyFieldListFilter)]
    search_fields = ["value", "client__display_name"]
    list_select_related = ["client"]


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    """Also editable under Configure → Business."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not BusinessProfile.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
