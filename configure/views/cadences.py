"""Cadences: the list, one cadence's timeline with its steps and forecast, and the forms that
add, edit, move and remove steps and say who the cadence is for."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from configure import selectors, services
from configure.forms import CadenceForm, CadenceSettingsForm, MoveForm, StepForm
from infra.roles import admin_required
from reminders.models import Cadence, CadencePurpose, CadenceStep, StepAction

FORECAST_DAYS = 14
FORECAST_ROWS = 40  # the page lists this many; ?forecast=all lists every entry
REPLAN_NOTE = "Open invoices on this cadence are re-planned on the next scheduler tick."


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@admin_required
def cadence_list(request: HttpRequest) -> HttpResponse:
    form = CadenceForm(request.POST or None, instance=Cadence(purpose=CadencePurpose.INVOICES))
    if request.method == "POST" and form.is_valid():
        try:
            cadence = services.cadence_create(cadence=form.instance, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Cadence '{cadence.name}' created: add its steps, then "
                                      "assign it to clients or tags.")
            return redirect("configure:cadence", pk=cadence.pk)
    return render(request, "configure/cadence_list.html",
                  {"cadences": selectors.cadence_rows(), "form": form})


def _step_form(cadence: Cadence, data: Any = None, instance: CadenceStep | None = None,
               templates: list[tuple[str, str, str]] | None = None) -> StepForm:
    step = instance or CadenceStep(cadence=cadence)
    initial = {} if instance else {"actions": [StepAction.SEND_MESSAGE]}
    return StepForm(data, instance=step, initial=initial,
                    templates=selectors.template_catalogue() if templates is None else templates)


def _detail(request: HttpRequest, cadence: Cadence, *, add_form: StepForm | None = None,
            settings_form: CadenceSettingsForm | None = None,
            move_errors: dict[int, list[str]] | None = None) -> HttpResponse:
    steps = selectors.cadence_steps(cadence)
    labels = dict(StepAction.choices)
    for step in steps:  # what the table shows per row
        step.action_labels = [labels.get(a, a) for a in step.actions]  # type: ignore[attr-defined]
        step.move_errors = (move_errors or {}).get(step.pk, [])  # type: ignore[attr-defined]
    now = timezone.now()
    entries = selectors.cadence_forecast(cadence, steps, now=now, days=FORECAST_DAYS)
    show_all = request.GET.get("forecast") == "all"
    return render(request, "configure/cadence_detail.html", {
        "cadence": cadence, "steps": steps, "timeline": selectors.timeline(steps),
        "add_form": add_form or _step_form(cadence),
        "settings_form": settings_form or CadenceSettingsForm(instance=cadence),
        "forecast_days": FORECAST_DAYS, "now": now, "forecast_total": len(entries),
        "forecast": entries if show_all else entries[:FORECAST_ROWS],
        "forecast_by_step": selectors.forecast_by_step(steps, entries),
        "is_instalments": cadence.purpose == CadencePurpose.INSTALMENTS,
    })


@admin_required
def cadence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(Cadence, pk=pk))


@admin_required
@require_POST
def step_add(request: HttpRequest, pk: int) -> HttpResponse:
    cadence = get_object_or_404(Cadence, pk=pk)
    form = _step_form(cadence, request.POST)
    if form.is_valid():
        try:
            step = services.step_save(step=form.instance, only_tags=form.cleaned_data[
                "only_tags"], changed=[], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Added '{step.name}' at {step.offset_days:+d} days. "
                                      f"{REPLAN_NOTE}")
            return redirect(reverse("configure:cadence", args=[pk]) + f"#step-{step.pk}")
    return _detail(request, cadence, add_form=form)


@admin_required
def step_edit(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    step = get_object_or_404(CadenceStep.objects.select_related("cadence"), pk=step_pk,
                             cadence_id=pk)
    form = _step_form(step.cadence, request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        try:
            services.step_save(step=form.instance, only_tags=form.cleaned_data["only_tags"],
                               changed=form.changed_data, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved '{step.name}'. {REPLAN_NOTE}")
            return redirect(reverse("configure:cadence", args=[pk]) + f"#step-{step.pk}")
    return render(request, "configure/step_form.html",
                  {"cadence": step.cadence, "step": step, "form": form,
                   "planned": step.reminders.count()})


@admin_required
@require_POST
def step_move(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    step = get_object_or_404(CadenceStep.objects.select_related("cadence"), pk=step_pk,
                             cadence_id=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        errors = [str(m) for msgs in form.errors.values() for m in msgs]
        return _detail(request, step.cadence, move_errors={step.pk: errors})
    before = step.offset_days
    services.step_move(step=step, offset_days=form.cleaned_data["offset_days"],
                       actor=request.user)
    messages.success(request, f"Moved '{step.name}' from {before:+d} to "
                              f"{step.offset_days:+d} days. {REPLAN_NOTE}")
    return redirect(reverse("configure:cadence", args=[pk]) + f"#step-{step.pk}")


@admin_required
def step_remove(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    step = get_object_or_404(CadenceStep.objects.select_related("cadence"), pk=step_pk,
                             cadence_id=pk)
    if request.method == "POST":
        try:
            services.step_remove(step=step, actor=request.user)
        except ValidationError as exc:
            for error in _errors(exc):
                messages.error(request, error)
            return redirect(reverse("configure:cadence", args=[pk]) + f"#step-{step_pk}")
        messages.success(request, f"Removed '{step.name}'. {REPLAN_NOTE}")
        return redirect("configure:cadence", pk=pk)
    return render(request, "configure/step_remove.html",
                  {"cadence": step.cadence, "step": step, "planned": step.reminders.count()})


@admin_required
@require_POST
def cadence_settings(request: HttpRequest, pk: int) -> HttpResponse:
    cadence = get_object_or_404(Cadence, pk=pk)
    form = CadenceSettingsForm(request.POST, instance=cadence)
    if form.is_valid():
        data = form.cleaned_data
        try:
            count = services.cadence_update(
                cadence=form.instance, changed=[f for f in form.changed_data if f in (
                    "name", "description", "priority")], actor=request.user,
                tags=data.get("tags") if "tags" in form.fields else None,
                add_clients=data.get("add_clients") or [],
                remove_clients=list(data.get("remove_clients") or []))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved '{cadence.name}'. {count} open invoice(s) will "
                                      "be re-planned on the next scheduler tick.")
            return redirect("configure:cadence", pk=pk)
    cadence.refresh_from_db()  # the page shows what is stored, the form what was typed
    return _detail(request, cadence, settings_form=form)
