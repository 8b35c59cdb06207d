"""Import & export pages: upload and dry run, the job page with its progress bar, templates,
and the CSV exports."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from infra.roles import AuthenticatedHttpRequest, bookkeeper_required
from transfer import exports, services, tasks
from transfer.columns import LAYOUTS
from transfer.forms import (
    AgingExportForm,
    DateRangeForm,
    ImportForm,
    InvoiceExportForm,
    TimelineExportForm,
)
from transfer.models import ImportJob, ImportKind
from transfer.progress import rows_done

BOM = "\ufeff"


class _Echo:
    """A file that hands back what is written: csv.writer formats, the response streams."""

    def write(self, value: str) -> str:
        return value


def csv_response(records: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    """Streamed CSV, UTF-8 with a byte-order mark so that Excel reads the accents right."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield BOM
        for record in records:
            yield writer.writerow(record)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    disposition = content_disposition_header(True, filename)
    assert disposition is not None  # None only for inline without a filename
    response["Content-Disposition"] = disposition
    return response


def _page(request: HttpRequest, form: ImportForm, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    return render(request, "transfer/index.html", {
        "form": form, "layouts": LAYOUTS.values(),
        "jobs": ImportJob.objects.select_related("uploaded_by")[:10],
        "invoice_form": InvoiceExportForm(), "payment_form": DateRangeForm(),
        "aging_form": AgingExportForm(initial={"on": today}),
        "timeline_form": TimelineExportForm(),
    }, status=status)


@bookkeeper_required
@require_http_methods(["GET", "POST"])
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a file: the dry run runs at once and the job page shows its report."""
    if request.method != "POST":
        return _page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_check(
                content=upload.read(), filename=upload.name, kind=form.cleaned_data["kind"],
                options=form.cleaned_data["options"], actor=request.user)
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("transfer:job", job_id=job.pk)
    return _page(request, form, status=400)


@bookkeeper_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.select_related("uploaded_by"), pk=job_id)
    return render(request, "transfer/job.html", _job_context(job))


def _job_context(job: ImportJob) -> dict[str, object]:
    done = rows_done(job)
    return {"job": job, "done": done, "layout": LAYOUTS[ImportKind(job.kind)],
            "percent": round(done * 100 / job.rows_total) if job.rows_total else 0}


@bookkeeper_required
@require_POST
def job_start(request: HttpRequest, job_id: int) -> HttpResponse:
    """After a clean dry run: queue the import; a worker runs it (see transfer.tasks)."""
    job = get_object_or_404(ImportJob, pk=job_id)
    try:
        services.import_job_queue(job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        transaction.on_commit(lambda: tasks.wake(job.pk))
    return redirect("transfer:job", job_id=job.pk)


@transaction.non_atomic_requests  # reads only: must not queue behind SQLite's write lock
@bookkeeper_required
@require_GET
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress fragment htmx polls every second while the job is queued or running."""
    job = get_object_or_404(ImportJob, pk=job_id)
    if services.import_job_is_lost(job):
        tasks.wake_if_lost(job.pk)
    response = render(request, "transfer/_progress.html", _job_context(job))
    if not job.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # finished: show the final report
    return response


@bookkeeper_required
@require_GET
def template_csv(request: HttpRequest, kind: str) -> StreamingHttpResponse:
    """An empty file with every column this kind knows, and one example row."""
    if kind not in ImportKind.values:
        raise Http404
    layout = LAYOUTS[ImportKind(kind)]
    records = [[c.label for c in layout.columns], [c.example for c in layout.columns]]
    return csv_response(records, f"settle-{kind}-template.csv")


def _filters(form_class: type, request: HttpRequest) -> dict[str, Any]:
    form = form_class(request.GET)
    if not form.is_valid():
        raise ValidationError(" ".join(f"{', '.join(v)}" for v in form.errors.values()))
    return form.cleaned_data


def _export(request: HttpRequest, form_class: type,
            build: Callable[[dict[str, Any]], Iterable[list[str]]], name: str
            ) -> HttpResponse | StreamingHttpResponse:
    try:
        data = _filters(form_class, request)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    return csv_response(build(data), f"{name}-{timezone.localdate().isoformat()}.csv")


@bookkeeper_required
@require_GET
def export_invoices(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, InvoiceExportForm, lambda d: exports.invoice_records(
        status=d["status"], start=d["start"], end=d["end"]), "invoices")


@bookkeeper_required
@require_GET
def export_payments(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, DateRangeForm, lambda d: exports.payment_records(
        start=d["start"], end=d["end"]), "payments")


@bookkeeper_required
@require_GET
def export_aging(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, AgingExportForm, lambda d: exports.aging_records(
        today=d["on"] or timezone.localdate()), "aging")


@bookkeeper_required
@require_GET
def export_timeline(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, TimelineExportForm, lambda d: exports.timeline_records(
        client=d["client"], start=d["start"], end=d["end"]), "timeline")

