"""Online payments in the admin, read-only: sessions and events are facts about what Stripe
did; a payment is corrected in receivables, never by editing these rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from checkout.models import CheckoutSession, StripeEvent
from clients.admin import ReadOnlyAdmin

if TYPE_CHECKING:  # the admin classes are generic only in django-stubs, not at run time
    _EventInline = admin.TabularInline[StripeEvent, CheckoutSession]
else:
    _EventInline = admin.TabularInline


class StripeEventInline(_EventInline):
    model = StripeEvent
    readonly_fields = ["occurred_at", "type", "event_id", "outcome"]
    fields = [*readonly_fields]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "client", "amount", "currency", "status", "quoted_on",
                    "paid_at", "stripe_session_id"]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["stripe_session_id", "payment_intent_id", "client__display_name",
                     "invoices__number"]
    list_select_related = ["client"]
    date_hierarchy = "created_at"
    readonly_fields = ["client", "invoices", "currency", "amount", "quoted_on", "breakdown",
                       "status", "stripe_session_id", "payment_intent_id", "url", "payment",
                       "receipt", "fingerprint", "idempotency_key", "created_at", "expires_at",
                       "paid_at", "updated_at"]
    inlines = [StripeEventInline]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "checkout", "outcome"]
    list_filter = ["type"]
    search_fields = ["event_id", "checkout__stripe_session_id"]
    list_select_related = ["checkout"]
    date_hierarchy = "received_at"
    readonly_fields = ["event_id", "type", "checkout", "occurred_at", "received_at", "outcome",
                       "payload"]
