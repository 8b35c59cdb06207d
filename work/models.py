"""Work for people: tasks (a call the cadence or the client asked for, a client no channel
reaches, a dispute to review, a plan to decide on, an answer to note), the call attempts made
on them, and the batches in which letters are printed and posted.

These tables were created by the reminders app and keep their names (``db_table``); the
models moved here in migration 0008 of reminders (state only, no table touched).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models import Client


class TaskKind(models.TextChoices):
    CALL = "call", "Call the client"
    NO_CHANNEL = "no_channel", "No working channel"
    DISPUTE = "dispute", "Review a dispute"
    PLAN = "plan", "Decide on a payment plan"
    NOTICE = "notice", "Client answered"
    REPLY = "reply", "Reply to read"

class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"

class Task(models.Model):
    """Work for a person: a call the cadence (or the client) asked for, a client no channel
    reaches, a dispute to review, a payment plan to decide on, or a client's answer to note."""

    kind = models.CharField(max_length=12, choices=TaskKind.choices)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="tasks")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="settle_tasks")
    title = models.CharField(max_length=300)
    script = models.TextField(blank=True, help_text="Call script, rendered from the template.")
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN)
    step = models.ForeignKey("reminders.CadenceStep", on_delete=models.SET_NULL, null=True,
                             blank=True,
                             related_name="+")
    plan = models.ForeignKey("answers.PaymentPlan", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="tasks")
    dispute = models.ForeignKey("answers.Dispute", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="tasks")
    invoices = models.ManyToManyField("receivables.Invoice", blank=True, related_name="tasks",
                                      db_table="reminders_task_invoices")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")

    class Meta:
        db_table = "reminders_task"  # moved from reminders: the table kept its name
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TaskKind.values), name="task_kind_known"),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values),
                                   name="task_status_known"),
            models.UniqueConstraint(fields=["client"], condition=Q(kind="no_channel",
                                                                   status="open"),
                                    name="one_open_no_channel_task_per_client"),
        ]

    def __str__(self) -> str:
        return self.title

class CallOutcome(models.TextChoices):
    PROMISE = "promise", "Reached: promise to pay"
    DISPUTE = "dispute", "Reached: dispute"
    PLAN = "plan", "Reached: payment plan agreed"
    VOICEMAIL = "voicemail", "Left voicemail"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number"

class CallAttempt(models.Model):
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="attempts")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="call_attempts")
    number = models.CharField(max_length=20)
    outcome = models.CharField(max_length=12, choices=CallOutcome.choices)
    note = models.TextField(blank=True)
    promised_on = models.DateField(null=True, blank=True)
    promised_amount = models.DecimalField(max_digits=18, decimal_places=4, null=True,
                                          blank=True)
    called_at = models.DateTimeField(default=timezone.now, db_index=True)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        db_table = "reminders_callattempt"  # moved from reminders: the table kept its name
        ordering = ["-called_at"]
        constraints = [models.CheckConstraint(condition=Q(outcome__in=CallOutcome.values),
                                              name="call_outcome_known")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.number})"

class PrintBatch(models.Model):
    """Letters printed together: downloaded as one PDF, then marked posted."""

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")

    class Meta:
        db_table = "reminders_printbatch"  # moved from reminders: the table kept its name
        ordering = ["-created_at"]
        verbose_name_plural = "print batches"

    def __str__(self) -> str:
        return f"Print batch {self.pk} ({'posted' if self.posted_at else 'not posted'})"
