"""The admin's read-mostly view of tasks, call attempts and print batches."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clients.admin import ReadOnlyAdmin
from work.models import CallAttempt, PrintBatch, Task


@admin.register(PrintBatch)
class PrintBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "created_by", "posted_at", "posted_by"]

class CallAttemptInline(admin.TabularInline):
    model = CallAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["called_at", "number", "outcome", "promised_on", "promised_amount", "note",
                       "called_by"]
    fields = [*readonly_fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Tasks are created by the engine and worked on the Tasks page; here they can be
    reassigned or rescheduled."""

    list_display = ["due_at", "kind", "client", "title", "assigned_to", "status"]
    list_filter = ["status", "kind", "assigned_to"]
    search_fields = ["title", "client__display_name"]
    list_select_related = ["client", "assigned_to"]
    fields = ["kind", "client", "title", "script", "assigned_to", "due_at", "status", "step",
              "created_at", "closed_at", "closed_by"]
    readonly_fields = ["kind", "client", "title", "script", "step", "created_at", "closed_at",
                       "closed_by"]
    inlines = [CallAttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

@admin.register(CallAttempt)
class CallAttemptAdmin(ReadOnlyAdmin):
    list_display = ["called_at", "client", "number", "outcome", "called_by"]
    list_filter = ["outcome"]
    list_select_related = ["client", "called_by"]
