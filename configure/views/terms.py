"""Payment terms: the list, and the edit page with the statutory late-payment presets (UK
Late Payment Act, EU Late Payment Directive) and their reference-rate tables. Applying a preset
makes the form's terms statutory (each invoice then gets the law's fixed sum for its amount and
the rate of the half-year it became late); saving is a separate, deliberate click. An admin adds
or corrects a half-year's reference rate in the table's form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from configure import services, statutory
from configure.audit import ADDITION, CHANGE, audit_record
from configure.forms import ReferenceRateForm, TermsForm
from core import terms as termsmath
from core.money import format_money
from infra.roles import admin_required
from receivables.models import PaymentTerms, ReferenceRate

EXAMPLE_DAYS_LATE = 30
EXAMPLE_DEBT = Decimal(5000)


@admin_required
def terms_list(request: HttpRequest) -> HttpResponse:
    terms = list(PaymentTerms.objects.annotate(invoice_count=Count("invoices"))
                 .order_by("-is_default", "name"))
    return render(request, "configure/terms_list.html", {"terms": terms})


def _bands(preset: statutory.Preset) -> str:
    """E.g. "£40.00 under £1,000.00, £70.00 under £10,000.00, £100.00 from £10,000.00"."""
    money = lambda amount: format_money(amount, preset.currency, "en")  # noqa: E731
    parts, floor = [], None
    for band in preset.bands:
        if band.below is not None:
            parts.append(f"{money(band.amount)} under {money(band.below)}")
        else:
            parts.append(money(band.amount) + (f" from {money(floor)}" if floor else ""))
        floor = band.below
    return ", ".join(parts)


def _example(preset: statutory.Preset, row: statutory.RateRow) -> dict[str, Any]:
    """The worked example under a preset: a £/€5,000 invoice that became late this half-year,
    paid 30 days late."""
    claim = statutory.claim(preset, debt=EXAMPLE_DEBT, days_late=EXAMPLE_DAYS_LATE,
                            reference_rate=row.reference_rate)
    money = lambda amount: format_money(amount, preset.currency, "en")  # noqa: E731
    return {"debt": money(EXAMPLE_DEBT), "days": EXAMPLE_DAYS_LATE, "rate": claim.annual_percent,
            "half_year": row.label, "interest": money(claim.interest),
            "compensation": money(claim.compensation), "total": money(claim.total)}


def _typed(data: QueryDict) -> dict[str, Any]:
    """The terms fields as posted, to show them again in an unsaved form."""
    initial: dict[str, Any] = {name: data.get(name) for name in TermsForm.Meta.fields
                               if name in data}
    initial["is_default"] = bool(data.get("is_default"))
    return initial


def _apply_preset(request: HttpRequest, key: str, terms: PaymentTerms) -> TermsForm:
    """The terms form as typed, made statutory under the preset (nothing is saved)."""
    preset, initial = statutory.PRESETS[key], _typed(request.POST)
    initial.update(statutory.terms_values(preset))
    messages.info(request, f"{preset.label} filled in below: each invoice gets the fixed sum "
                           "of its own amount and the rate of the half-year it became late. "
                           "Check it, then save.")
    return TermsForm(instance=terms, initial=initial)


def _preset_note(key: str) -> str:
    """For the audit log: which preset the saved values came from."""
    preset = statutory.PRESETS.get(key)
    return f"Preset: {preset.label} ({preset.law})." if preset else ""


def _presets() -> list[dict[str, Any]]:
    today = timezone.localdate()
    overrides: dict[str, list[tuple[Any, Decimal, str]]] = {k: [] for k in statutory.PRESETS}
    for row in ReferenceRate.objects.all():
        overrides[row.statutory].append((row.half_year_start, row.rate, row.note))
    result = []
    for key, preset in statutory.PRESETS.items():
        rows = statutory.rate_rows(preset, overrides[key], today=today)
        current = next((r for r in rows if r.half_year <= termsmath.half_year_start(today)),
                       rows[-1])
        result.append({"preset": preset, "bands": _bands(preset), "rows": rows,
                       "current": current, "example": _example(preset, current)})
    return result


def _page(request: HttpRequest, terms: PaymentTerms, form: TermsForm, applied: str,
          rate_form: ReferenceRateForm | None = None) -> HttpResponse:
    if rate_form is None:
        rate_form = ReferenceRateForm(prefix="rate")
    return render(request, "configure/terms_form.html", {
        "form": form, "terms": terms, "applied": applied if applied in statutory.PRESETS else "",
        "presets": _presets(), "rate_form": rate_form,
        "invoice_count": terms.invoices.count() if terms.pk else 0,
    })


def _save_rate(request: HttpRequest, terms: PaymentTerms) -> HttpResponse:
    """Add or replace the admin's reference rate for a half-year (audited)."""
    form = ReferenceRateForm(request.POST, prefix="rate")
    if not form.is_valid():
        return _page(request, terms, TermsForm(instance=terms), "", form)
    created = form.instance.pk is None
    with transaction.atomic():
        rate = form.save()
        label = statutory.half_year_label(rate.half_year_start)
        audit_record(actor=request.user, obj=rate, action=ADDITION if created else CHANGE,
                     message=f"Reference rate {rate.get_statutory_display()}, {label}: "
                             f"{statutory.shown(rate.rate)} %. {rate.note}".strip())
    messages.success(request, f"Saved the reference rate for {label}: "
                              f"{statutory.shown(rate.rate)} %.")
    return redirect(request.path)


def _edit(request: HttpRequest, terms: PaymentTerms) -> HttpResponse:
    if request.method != "POST":
        return _page(request, terms, TermsForm(instance=terms), "")
    if "save_rate" in request.POST:
        return _save_rate(request, terms)
    applied = request.POST.get("apply_preset", "")
    if applied in statutory.PRESETS:
        return _page(request, terms, _apply_preset(request, applied, terms), applied)
    used = request.POST.get("preset_used", "")
    form = TermsForm(request.POST, instance=terms)
    if not form.is_valid():
        return _page(request, terms, form, used)
    services.terms_save(terms=form.instance, changed=form.changed_data, actor=request.user,
                        preset_note=_preset_note(used) if form.instance.statutory == used
                        else "")
    messages.success(request, f"Saved '{form.instance.name}'.")
    return redirect("configure:terms-edit", pk=form.instance.pk)


@admin_required
def terms_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(PaymentTerms, pk=pk))


@admin_required
def terms_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, PaymentTerms())
