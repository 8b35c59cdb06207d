"""Business settings: what the environment sets (business hours, sender identity), the public
holidays ahead in the clients' countries, the editable pay-now settings, and the bank accounts
clients pay into (one per currency: add, edit, deactivate; each change audited)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from answers import banking
from answers.models import BankAccount, PortalSettings
from clients.business import business as business_identity
from clients.models import BusinessProfile
from configure import selectors, services
from configure.audit import ADDITION, CHANGE, audit_record
from configure.forms import BankAccountForm, BusinessProfileForm, PortalSettingsForm
from infra.roles import admin_required
from receivables.models import Invoice

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
        **_accounts_context(),
        "form": form, "profile_form": BusinessProfileForm(instance=profile),
        "current": business_identity(),
        "payment_instructions": settings.SETTLE_PAYMENT_INSTRUCTIONS.format(
            reference="INV-1001"),
        "holiday_days": HOLIDAY_DAYS, "today": today,
        "countries": selectors.holidays_ahead(today, HOLIDAY_DAYS),
    })


# --- Bank accounts ------------------------------------------------------------------------------

def _accounts_context() -> dict[str, Any]:
    """The accounts as clients see them, and the currencies clients owe in without one."""
    accounts = list(BankAccount.objects.all())
    book = banking.account_book()
    owed = sorted(set(Invoice.objects.receivable().order_by().values_list("currency", flat=True)
                      .distinct()))
    return {
        "accounts": [{"account": a, "lines": banking.details_of(a).lines("en")}
                     for a in accounts],
        "legacy": [d.lines("en") for d in book.accounts.values()] if book.legacy else [],
        "without_account": [c for c in owed if book.for_currency(c) is None] if book.any
        else [],
        "owed_currencies": owed,
    }


def _old_account() -> dict[str, str]:
    """The old pay-now settings' single account, to fill in a new bank account with."""
    row = PortalSettings.load()
    common = {"holder": row.account_holder, "bank_name": row.bank_name}
    if row.iban:
        return {**common, "currency": banking.account_currency(row.iban), "scheme": "iban",
                "iban": row.iban, "bic": row.bic}
    if row.routing_number:
        return {**common, "currency": "USD", "scheme": "us",
                "routing_number": row.routing_number, "account_number": row.account_number}
    return common


def _account_form(request: HttpRequest, account: BankAccount,
                  initial: dict[str, str] | None = None) -> HttpResponse:
    """The add and edit pages: a GET shows the current values; a POST saves (checked by
    ``banking.validate_account``, each error on its field) and audits, in one transaction."""
    new = account.pk is None
    fields = BankAccountForm.Meta.fields
    before = {name: getattr(account, name) for name in fields}
    form = (BankAccountForm(request.POST, instance=account) if request.method == "POST"
            else BankAccountForm(instance=account, initial=initial))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = banking.bank_account_save(form.instance)
                # What changed once normalized ("12-34-56" for a stored 123456 is no change).
                changed = [name for name in fields if getattr(saved, name) != before[name]]
                audit_record(actor=request.user, obj=saved, action=ADDITION if new else CHANGE,
                             message=("Bank account added: " if new else "Bank account: changed ")
                             + ", ".join(changed or ["nothing"]))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{saved.currency} bank account saved: clients paying in "
                                      f"{saved.currency} see it from now on.")
            return redirect("configure:business")
    if request.method == "POST":
        messages.error(request, "Not saved: fix the errors below.")
    return render(request, "configure/bank_account_form.html", {
        "form": form, "account": account, "new": new,
        "schemes": banking.SCHEME_LABELS})


@admin_required
def bank_account_create(request: HttpRequest) -> HttpResponse:
    """A new account; ``?from=old``: filled in with the old pay-now settings' account."""
    return _account_form(request, BankAccount(),
                         _old_account() if request.GET.get("from") == "old" else None)


@admin_required
def bank_account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_form(request, get_object_or_404(BankAccount, pk=pk))


@require_POST
@admin_required
def bank_account_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an account (``active=0``: clients paying in its currency are asked to get
    in touch for the details), or make it active again (``active=1``)."""
    account = get_object_or_404(BankAccount, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        with transaction.atomic():
            banking.bank_account_set_active(account, active)
            audit_record(actor=request.user, obj=account, action=CHANGE,
                         message="Bank account " + ("activated" if active else "deactivated"))
    except ValidationError as exc:
        messages.error(request, "Not changed: " + " ".join(exc.messages))
    else:
        messages.success(request, f"{account.currency} account {account.holder} " + (
            "is active again." if active else "deactivated: clients paying in "
            f"{account.currency} are asked to contact you for your account details."))
    return redirect("configure:business")
