"""Business settings: what the environment sets (business hours, sender identity), the public
holidays ahead in the clients' countries, and the editable pay-now settings."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from answers.models import PortalSettings
from clients.business import business as business_identity
from clients.models import BusinessProfile
from configure import selectors, services
from configure.forms import BusinessProfileForm, PortalSettingsForm
from infra.roles import admin_required

HOLIDAY_DAYS = 60


def _profile_post(request: HttpRequest) -> HttpResponse | None:
    """The business profile form, when that is what was posted."""
    from django.contrib.admin.models import CHANGE

    from configure.audit import audit_record

    profile, _ = BusinessProfile.objects.get_or_create(singleton=True)
    form = BusinessProfileForm(request.POST, instance=profile)
    if form.is_valid():
        form.save()
        audit_record(actor=request.user, obj=profile, action=CHANGE,
                     message="Business profile: changed "
                             + (", ".join(form.changed_data) or "nothing"))
        messages.success(request, "Business profile saved: the next messages use it.")
        return redirect("configure:business")
    messages.error(request, "Business profile not saved: " + " ".join(
        str(m) for msgs in form.errors.values() for m in msgs))
    return None


@admin_required
def business(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("form") == "profile":
        done = _profile_post(request)
        if done is not None:
            return done
    row = PortalSettings.load()
    profile, _ = BusinessProfile.objects.get_or_create(singleton=True)
    # Bound only to a posted pay-now form: a GET (or a failed profile post) shows the current
    # values, unbound, without "This field is required." on every field.
    posted = request.method == "POST" and request.POST.get("form") != "profile"
    form = PortalSettingsForm(request.POST if posted else None, instance=row)
    if posted:
        if form.is_valid():
            services.portal_settings_save(row=form.instance, changed=form.changed_data,
                                          actor=request.user)
            messages.success(request, "Pay-now settings saved.")
            return redirect("configure:business")
        messages.error(request, "Not saved: fix the errors below.")
    today = timezone.localdate()
    return render(request, "configure/business.html", {
        "form": form, "profile_form": BusinessProfileForm(instance=profile),
        "current": business_identity(),
        "payment_instructions": settings.SETTLE_PAYMENT_INSTRUCTIONS.format(
            reference="INV-1001"),
        "holiday_days": HOLIDAY_DAYS, "today": today,
        "countries": selectors.holidays_ahead(today, HOLIDAY_DAYS),
    })
