"""Business settings: what the environment sets (business hours, sender identity), the public
holidays ahead in the clients' countries, and the editable pay-now settings."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from config.roles import admin_required
from configure import selectors, services
from configure.forms import PortalSettingsForm
from reminders.models import PortalSettings

HOLIDAY_DAYS = 60


@admin_required
def business(request: HttpRequest) -> HttpResponse:
    row = PortalSettings.load()
    form = PortalSettingsForm(request.POST or None, instance=row)
    if request.method == "POST":
        if form.is_valid():
            services.portal_settings_save(row=form.instance, changed=form.changed_data,
                                          actor=request.user)
            messages.success(request, "Pay-now settings saved.")
            return redirect("configure:business")
        messages.error(request, "Not saved: fix the errors below.")
    today = timezone.localdate()
    return render(request, "configure/business.html", {
        "form": form,
        "hours": settings.SETTLE_BUSINESS_HOURS,
        "business_name": settings.SETTLE_BUSINESS_NAME,
        "business_address": settings.SETTLE_BUSINESS_ADDRESS,
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "payment_instructions": settings.SETTLE_PAYMENT_INSTRUCTIONS.format(
            reference="INV-1001"),
        "holiday_days": HOLIDAY_DAYS, "today": today,
        "countries": selectors.holidays_ahead(today, HOLIDAY_DAYS),
    })
