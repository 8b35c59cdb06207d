from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clients.admin import ReadOnlyAdmin
from reminders.models import Cadence, CadenceStep, MessageTemplate, OutboundMessage, Reminder


class CadenceStepInline(admin.TabularInline):
    model = CadenceStep
    fields = ["name", "offset_days", "channel", "template_key", "tone", "actions", "only_tags"]
    extra = 0


@admin.register(Cadence)
class CadenceAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "priority", "step_count"]
    search_fields = ["name"]
    filter_horizontal = ["tags", "clients"]
    inlines = [CadenceStepInline]

    @admin.display(description="Steps")
    def step_count(self, obj: Cadence) -> int:
        return obj.steps.count()


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "channel", "language", "subject", "updated_at"]
    list_filter = ["channel", "language", "key"]
    search_fields = ["key", "subject", "text"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["scheduled_for", "client", "invoice", "step", "channel", "status",
                    "attempts", "sent_at"]
    list_filter = ["status", "channel", "step__cadence", "scheduled_for"]
    search_fields = ["invoice__number", "client__display_name"]
    list_select_related = ["client", "invoice", "step__cadence"]
    date_hierarchy = "scheduled_for"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    """The local store: every message as it went out (or would have, without an ESP)."""

    list_display = ["created_at", "client", "channel", "to", "subject", "provider", "sent_at"]
    list_filter = ["channel", "language", "provider", "client__owner"]
    search_fields = ["to", "subject", "client__display_name", "provider_message_id"]
    list_select_related = ["client"]
    readonly_fields = ["client", "channel", "language", "to", "subject", "text", "html_preview",
                       "provider", "provider_message_id", "created_at", "sent_at"]
    exclude = ["html"]

    @admin.display(description="HTML")
    def html_preview(self, obj: OutboundMessage) -> Any:
        from django.utils.html import format_html

        return format_html('<iframe sandbox srcdoc="{}" style="width:100%;height:420px;'
                           'border:1px solid #ddd"></iframe>', obj.html)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_staff
