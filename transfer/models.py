"""An import of one file: its dry run, then (after a bookkeeper confirms) the real run as a job.

The database row is the source of truth for a job; the Celery message only wakes a worker, so
a lost message delays an import and a repeated one never runs it twice (a job is claimed with a
conditional UPDATE from ``queued`` to ``running``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ImportKind(models.TextChoices):
    CLIENTS = "clients", "Clients"
    INVOICES = "invoices", "Invoices"
    PAYMENTS = "payments", "Payments"


class JobStatus(models.TextChoices):
    REJECTED = "rejected", "Dry run found errors"
    CHECKED = "checked", "Checked, ready to import"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed, nothing written"


class ImportJob(models.Model):
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    options = models.JSONField(default=dict, blank=True,
                               help_text="Date format, decimal separator or locale.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=JobStatus.choices,
                              default=JobStatus.CHECKED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True,
                              help_text="Row errors: line, column, value, reason.")
    unknown_columns = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True, help_text="Why the import stopped, if it did.")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running the import.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "queued_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values),
                                   name="import_job_status_known"),
            models.CheckConstraint(condition=Q(rows_done__lte=models.F("rows_total")),
                                   name="import_job_done_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.original_name} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)
