from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from answers.links import link_url
from clients.admin import ReadOnlyAdmin
from core.sms import Segments, count_segments, ucs2_characters, ucs2_hint
from reminders.models import (
    Cadence,
    CadenceStep,
    MessageEvent,
    MessageTemplate,
    OutboundMessage,
    Reminder,
    TemplateChannel,
)
from reminders.rendering import SAMPLE_CONTEXT, TemplateError, render


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


@dataclass(frozen=True)
class SmsSample:
    """An SMS template rendered over the sample context, as the admin judges it."""

    text: str
    segments: Segments
    has_pay_link: bool


SMS_SEGMENT_LIMIT = 2
_SAMPLE_PAY_TOKEN = "Xk3v9QpL2mZt7RbW4nYc8A"  # as long as a real pay-page token (22 chars)


def sample_pay_url() -> str:
    """The sample pay link, at least as long as a real one, so the counts are not optimistic."""
    realistic = link_url(_SAMPLE_PAY_TOKEN)  # the exact shape of a real link
    sample = str(SAMPLE_CONTEXT["pay_url"])
    return sample if len(sample) >= len(realistic) else realistic


def sms_sample(template: MessageTemplate) -> SmsSample:
    """Render an SMS template's text over the sample context; raises ``TemplateError``."""
    pay_url = sample_pay_url()
    rendered = render(subject="", text=template.text, html="",
                      context={**SAMPLE_CONTEXT, "pay_url": pay_url})
    text = rendered.text.strip()  # render() ends the text part with a newline for email
    return SmsSample(text=text, segments=count_segments(text), has_pay_link=pay_url in text)


def _segments_summary(counted: Segments) -> str:
    count, encoding = counted.segments, counted.encoding
    if count > SMS_SEGMENT_LIMIT:
        return f"{count} segments · {encoding} — over the {SMS_SEGMENT_LIMIT}-segment limit"
    noun = "segment" if count == 1 else "segments"
    return f"{count} {noun} · {encoding} · {counted.remaining} characters left"


def _sms_warnings(sample: SmsSample) -> list[str]:
    warnings = []
    counted = sample.segments
    if counted.segments > SMS_SEGMENT_LIMIT:
        warning = (f"With the sample invoice this SMS is {counted.segments} segments "
                   f"({counted.encoding}, {counted.units} characters), over the "
                   f"{SMS_SEGMENT_LIMIT}-segment limit: each reminder would be billed as "
                   f"{counted.segments} messages.")
        hints = [ucs2_hint(char) for char in ucs2_characters(sample.text)]
        if hints:
            warning += " " + "; ".join(hints) + "."
        warnings.append(warning)
    if not sample.has_pay_link:
        warnings.append("This SMS does not include {{ pay_url }}: every SMS should carry the "
                        "pay-now link.")
    return warnings


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "channel", "language", "subject", "segments", "updated_at"]
    list_filter = ["channel", "language", "key"]
    search_fields = ["key", "subject", "text"]

    @admin.display(description="Segments")
    def segments(self, obj: MessageTemplate) -> str | None:
        if obj.channel != TemplateChannel.SMS:
            return None
        try:
            return _segments_summary(sms_sample(obj).segments)
        except TemplateError as exc:
            return f"Cannot render the sample: {exc}"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.channel == TemplateChannel.SMS:
            readonly.append("segments")
        return readonly

    def save_model(self, request: HttpRequest, obj: MessageTemplate, form: Any,
                   change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.channel != TemplateChannel.SMS:
            return
        try:
            sample = sms_sample(obj)
        except TemplateError:
            return  # the model's clean() has shown this error already
        for warning in _sms_warnings(sample):
            messages.warning(request, warning)


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

    list_display = ["created_at", "client", "channel", "to", "subject", "provider", "status",
                    "sent_at"]
    list_filter = ["channel", "status", "language", "provider", "client__owner"]
    search_fields = ["to", "subject", "client__display_name", "provider_message_id"]
    list_select_related = ["client"]
    readonly_fields = ["client", "channel", "language", "to", "subject", "text", "html_preview",
                       "provider", "provider_message_id", "status", "status_detail", "segments",
                       "print_batch", "created_at", "sent_at"]
    exclude = ["html", "document"]

    @admin.display(description="HTML")
    def html_preview(self, obj: OutboundMessage) -> Any:
        from django.utils.html import format_html

        return format_html('<iframe sandbox srcdoc="{}" style="width:100%;height:420px;'
                           'border:1px solid #ddd"></iframe>', obj.html)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_staff


@admin.register(MessageEvent)
class MessageEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "provider", "event", "recipient", "message"]
    list_filter = ["provider", "event"]
    search_fields = ["event_key", "recipient"]
    date_hierarchy = "occurred_at"
