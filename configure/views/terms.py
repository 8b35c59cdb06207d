"""Payment terms: the list, and the edit page with the statutory late-payment presets (UK
Late Payment Act, EU Late Payment Directive). Applying a preset fills the form; saving is a
separate, deliberate click."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render

from configure import services, statutory
from configure.forms import PresetForm, TermsForm
from core.money import format_money
from infra.roles import admin_required
from receivables.models import PaymentTerms

EXAMPLE_DAYS_LATE = 30
DEFAULT_TYPICAL = {"uk": Decimal(5000), "eu": Decimal(5000)}


@admin_required
def terms_list(request: HttpRequest) -> HttpResponse:
    terms = list(PaymentTerms.objects.annotate(invoice_count=Count("invoices"))
                 .order_by("-is_default", "name"))
    return render(request, "configure/terms_list.html", {"terms": terms})


def _preset_forms(data: QueryDict | None) -> dict[str, PresetForm]:
    forms = {}
    for key, preset in statutory.PRESETS.items():
        form = PresetForm(data, prefix=key, initial={
            "reference_rate": preset.default_reference_rate,
            "typical_invoice": DEFAULT_TYPICAL[key]})
        form.fields["reference_rate"].label = f"{preset.reference_rate_name} (% a year)"
        form.fields["reference_rate"].help_text = f"Default: {preset.default_rate_note}"
        form.fields["typical_invoice"].label = f"Typical invoice amount ({preset.currency})"
        forms[key] = form
    return forms


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


def _example(preset: statutory.Preset, form: PresetForm) -> dict[str, Any] | None:
    """The worked example under a preset: the typical invoice paid 30 days late."""
    if form.is_bound and not form.is_valid():
        return None
    source = form.cleaned_data if form.is_bound else form.initial
    debt, rate = source["typical_invoice"], source["reference_rate"]
    claim = statutory.claim(preset, debt=debt, days_late=EXAMPLE_DAYS_LATE, reference_rate=rate)
    money = lambda amount: format_money(amount, preset.currency, "en")  # noqa: E731
    return {"debt": money(debt), "days": EXAMPLE_DAYS_LATE, "rate": claim.annual_percent,
            "interest": money(claim.interest), "compensation": money(claim.compensation),
            "total": money(claim.total)}


def _typed(data: QueryDict) -> dict[str, Any]:
    """The terms fields as posted, to show them again in an unsaved form."""
    initial: dict[str, Any] = {name: data.get(name) for name in TermsForm.Meta.fields
                               if name in data}
    initial["is_default"] = bool(data.get("is_default"))
    return initial


def _apply_preset(request: HttpRequest, key: str, presets: dict[str, PresetForm],
                  terms: PaymentTerms) -> TermsForm:
    """The terms form as typed, with the preset's values filled in when its inputs are valid
    (nothing is saved)."""
    preset, form, initial = statutory.PRESETS[key], presets[key], _typed(request.POST)
    if form.is_valid():
        initial.update(vars(statutory.terms_values(
            preset, reference_rate=form.cleaned_data["reference_rate"],
            typical_invoice=form.cleaned_data["typical_invoice"])))
        messages.info(request, f"{preset.label} filled in below: check it, then save.")
    return TermsForm(instance=terms, initial=initial)


def _preset_note(key: str, presets: dict[str, PresetForm]) -> str:
    """For the audit log: which preset the saved values came from."""
    form = presets.get(key)
    if form is None or not form.is_valid():
        return ""
    preset = statutory.PRESETS[key]
    return (f"Preset: {preset.label} at {preset.reference_rate_name} "
            f"{form.cleaned_data['reference_rate']} %.")


def _page(request: HttpRequest, terms: PaymentTerms, form: TermsForm,
          presets: dict[str, PresetForm], applied: str) -> HttpResponse:
    return render(request, "configure/terms_form.html", {
        "form": form, "terms": terms, "applied": applied if applied in statutory.PRESETS else "",
        "presets": [{"preset": statutory.PRESETS[k], "form": f, "bands": _bands(
            statutory.PRESETS[k]), "example": _example(statutory.PRESETS[k], f)}
            for k, f in presets.items()],
        "invoice_count": terms.invoices.count() if terms.pk else 0,
    })


def _edit(request: HttpRequest, terms: PaymentTerms) -> HttpResponse:
    if request.method != "POST":
        return _page(request, terms, TermsForm(instance=terms), _preset_forms(None), "")
    presets = _preset_forms(request.POST)
    applied = request.POST.get("apply_preset", "")
    if applied in statutory.PRESETS:
        return _page(request, terms, _apply_preset(request, applied, presets, terms), presets,
                     applied)
    used = request.POST.get("preset_used", "")
    form = TermsForm(request.POST, instance=terms)
    if not form.is_valid():
        return _page(request, terms, form, presets, used)
    services.terms_save(terms=form.instance, changed=form.changed_data, actor=request.user,
                        preset_note=_preset_note(used, presets))
    messages.success(request, f"Saved '{form.instance.name}'.")
    return redirect("configure:terms-edit", pk=form.instance.pk)


@admin_required
def terms_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(PaymentTerms, pk=pk))


@admin_required
def terms_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, PaymentTerms())
