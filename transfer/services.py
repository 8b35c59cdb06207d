"""Writes for imports: check a file (the dry run), queue it, run it, recover lost jobs."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import PurePath

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from transfer.columns import HeaderError
from transfer.importing import Prepared, Report, prepare, run
from transfer.models import ImportJob, ImportKind, JobStatus
from transfer.progress import ProgressReporter, last_sign_of_life
from transfer.reading import FileError
from transfer.values import Options

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
# A queued job no worker has taken for this long lost its message: it is sent again.
QUEUED_GRACE = timedelta(seconds=30)
# A running job without a sign of life for this long lost its worker; its transaction was
# rolled back with it, so it is queued again.
RUNNING_GRACE = timedelta(minutes=10)


def import_prepare(*, content: bytes, filename: str, kind: ImportKind | str | None,
                   encoding: str = "") -> Prepared:
    """Read the file (a CSV in ``encoding``, UTF-8 when empty); a file that cannot be used at
    all is one ``ValidationError`` that says why (with the line or cell)."""
    if len(content) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split "
                              "it into several files.")
    try:
        return prepare(content, filename, kind, encoding=encoding)
    except (FileError, HeaderError) as exc:
        raise ValidationError(str(exc)) from None
    except (ValueError, LookupError, OSError, EOFError, RuntimeError, RecursionError):
        # A malformed file the readers did not foresee is still the file's problem, not a 500.
        log.exception("import: unreadable file %r", filename)
        raise ValidationError("The file cannot be read: it is damaged or not a CSV or XLSX "
                              "file. Save it again as CSV UTF-8 or .xlsx.") from None


def import_job_check(*, content: bytes, filename: str, kind: ImportKind | str | None,
                     options: Options, actor: User | None) -> ImportJob:
    """The dry run: import everything and roll it back, then keep the file and the report.
    The job is ``checked`` (ready to import) or ``rejected`` (row errors listed)."""
    prepared = import_prepare(content=content, filename=filename, kind=kind,
                              encoding=options.encoding)
    report = run(prepared, options=options, actor=actor, commit=False)
    name = PurePath(filename).name[:200] or "import.csv"
    job = ImportJob(kind=prepared.kind, original_name=name, options=options.as_dict(),
                    uploaded_by=actor if getattr(actor, "pk", None) else None,
                    status=JobStatus.CHECKED if report.ok else JobStatus.REJECTED)
    _store_report(job, report, done=False)
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    return job


def _store_report(job: ImportJob, report: Report, *, done: bool) -> None:
    job.rows_total = report.rows_total
    job.rows_done = report.rows_total if done else 0
    job.created, job.updated, job.unchanged = report.created, report.updated, report.unchanged
    job.errors = [e.as_dict() for e in report.errors]
    job.unknown_columns = report.unknown_columns


def import_job_queue(*, job: ImportJob) -> ImportJob:
    """Checked → queued. The caller sends the wake-up message on commit."""
    now = timezone.now()
    moved = ImportJob.objects.filter(pk=job.pk, status=JobStatus.CHECKED).update(
        status=JobStatus.QUEUED, queued_at=now)
    job.refresh_from_db()
    if not moved:
        raise ValidationError(f"This import is {job.get_status_display().lower()}: only a file "
                              "whose dry run found no errors can be imported, once.")
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job: claim it (queued → running, committed at once), import in one
    transaction, record the outcome. A job someone else claimed is left alone (None)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), heartbeat_at=None, rows_done=0)
    if not claimed:
        return None
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    reporter = ProgressReporter(job)
    try:
        with job.file.open("rb") as handle:
            content = handle.read()
        options = Options.from_dict(job.options)
        prepared = import_prepare(content=content, filename=job.original_name, kind=job.kind,
                                  encoding=options.encoding)
        report = run(prepared, options=options, actor=job.uploaded_by, commit=True,
                     progress=reporter)
    except (ValidationError, OSError, ValueError) as exc:
        return _finish(job, None, failure=" ".join(getattr(exc, "messages", [str(exc)])))
    except Exception:
        log.exception("import job %s stopped", job_id)
        return _finish(job, None, failure="The import stopped on an unexpected error; nothing "
                                          "was written. The error is in the server's log.")
    finally:
        reporter.close()
    return _finish(job, report)


def _finish(job: ImportJob, report: Report | None, failure: str = "") -> ImportJob:
    if report is not None:
        _store_report(job, report, done=report.ok)
    job.status = JobStatus.DONE if report is not None and report.ok else JobStatus.FAILED
    job.failure = failure or ("" if report is None or report.ok else
                              "Rows failed since the dry run (the data in Settle changed); "
                              "nothing was written. Fix the rows below and upload again.")
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save()
    return job


def import_jobs_lost(*, now: datetime | None = None) -> list[int]:
    """Jobs whose wake-up message or worker was lost: queued too long (their message is sent
    again), or running without a sign of life (put back in the queue: a dead worker's
    transaction wrote nothing). Returns the ids to wake up."""
    now = now or timezone.now()
    ids = list(ImportJob.objects.filter(status=JobStatus.QUEUED,
                                        queued_at__lt=now - QUEUED_GRACE)
               .values_list("pk", flat=True))
    for job in ImportJob.objects.filter(status=JobStatus.RUNNING):
        seen = last_sign_of_life(job)
        stale = seen is None or seen < now - RUNNING_GRACE
        if stale and ImportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.QUEUED, queued_at=now, rows_done=0):
            ids.append(job.pk)
    return ids


def import_job_is_lost(job: ImportJob, *, now: datetime | None = None) -> bool:
    """A queued job nobody has picked up within the grace period (checked while polling)."""
    now = now or timezone.now()
    return (job.status == JobStatus.QUEUED and job.queued_at is not None
            and job.queued_at < now - QUEUED_GRACE)
