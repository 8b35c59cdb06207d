"""A client disputes one invoice: its reminders stop at once (the invoice is disputed, its
waiting reminders are cancelled) and a bookkeeper gets a task. Other invoices are not touched.
The attachment is checked whole by a real parser (``infra.uploads``: a PDF must parse and act on
nothing by itself, an image is decoded and re-encoded), never by its name, and stored under a
name of the server's with the extension of the type found."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import PurePath

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from answers.base import CLIENT, open_invoices, tell_owner
from answers.models import (
    Dispute,
    DisputeReason,
    DisputeStatus,
    PortalSettings,
)
from clients.models import (
    Client,
    InteractionChannel,
    InteractionKind,
)
from clients.services import interaction_record
from core.text import text_problem
from infra.downloads import safe_filename
from infra.uploads import CheckedFile, UploadRefused, check_document
from receivables.models import Invoice, InvoiceStatus
from receivables.services import invoice_transition
from reminders.models import Reminder, ReminderStatus
from work.models import Task, TaskKind, TaskStatus

log = logging.getLogger(__name__)


MAX_MESSAGE = 5000


def _check_attachment(upload: UploadedFile, limit_mb: int) -> CheckedFile:
    """The file as it will be stored, checked whole — the name and the browser's content type
    are not trusted."""
    limit = limit_mb * 1024 * 1024
    if upload.size is None or upload.size > limit:
        raise ValidationError({"attachment": f"The file is larger than {limit_mb} MB."})
    if upload.size == 0:
        raise ValidationError({"attachment": "The file is empty."})
    upload.seek(0)
    data = upload.read(limit + 1)
    try:
        return check_document(data)
    except UploadRefused as exc:
        raise ValidationError({"attachment": str(exc)}) from None


def attachment_label(name: str | None, extension: str) -> str:
    """What the bookkeeper sees and saves it as: the client's name for it, made safe, with the
    extension of the type found ("evil.html" that is a PDF becomes "evil.pdf")."""
    stem = PurePath((name or "").replace("\\", "/")).stem
    return safe_filename(f"{stem}.{extension}", default="attachment")[-200:]

def dispute_open(*, client: Client, invoice_id: int, reason: str, message: str,
                 upload: UploadedFile | None, now: datetime,
                 channel: str = InteractionChannel.PORTAL) -> Dispute:
    invoices = open_invoices(client, [invoice_id])
    invoice = invoices[0]
    errors: dict[str, str] = {}
    if reason not in DisputeReason.values:
        errors["reason"] = "Choose what is wrong with the invoice."
    message = (message or "").strip()
    if reason == DisputeReason.OTHER and not message:
        errors["message"] = "Tell us what is wrong, so we can look into it."
    if len(message) > MAX_MESSAGE:
        errors["message"] = "Please keep the message under 5,000 characters."
    elif problem := text_problem(message, what="The message"):
        errors["message"] = problem
    kind = None
    if upload is not None:
        try:
            kind = _check_attachment(upload, PortalSettings.load().dispute_attachment_mb)
        except ValidationError as exc:
            errors.update(exc.message_dict)  # type: ignore[arg-type]
    if errors:
        raise ValidationError(errors)
    label = DisputeReason(reason).label
    with transaction.atomic():
        dispute = Dispute(client=client, invoice=invoice, reason=reason, message=message,
                          channel=channel, created_at=now)
        if upload is not None and kind is not None:
            dispute.attachment.save(f"{uuid.uuid4().hex}.{kind.extension}",
                                    ContentFile(kind.content), save=False)
            dispute.attachment_name = attachment_label(upload.name, kind.extension)
            dispute.attachment_type = kind.content_type
        try:
            dispute.save()
            invoice_transition(invoice=invoice, to=InvoiceStatus.DISPUTED,
                               reason=f"disputed by the client: {label}")
            cancelled = Reminder.objects.filter(
                invoice=invoice, status=ReminderStatus.SCHEDULED).update(
                status=ReminderStatus.CANCELLED, last_error="Not sent: the client disputes "
                                                            "the invoice.")
            interaction_record(
                client=client, kind=InteractionKind.DISPUTE, channel=channel,
                actor_label=CLIENT, occurred_at=now, invoices=[invoice],
                summary=f"Disputed {invoice.number}: {label}"
                        + (f" — {message}" if message else ""),
                content={"message": message},
                metadata={"dispute": dispute.pk, "reason": reason,
                          "attachment": dispute.attachment_name,
                          "reminders_cancelled": cancelled})
            tell_owner(client=client, now=now, invoices=[invoice], kind=TaskKind.DISPUTE,
                       dispute=dispute,
                       title=f"Review the dispute of {invoice.number} by {client.display_name}",
                       text=f"{label}.\n\n{message}\n\nReminders for {invoice.number} have "
                            "stopped. Resolve the dispute (correct, credit, or reopen the "
                            "invoice) and tell the client.")
        except Exception:
            if dispute.attachment:
                dispute.attachment.delete(save=False)
            raise
    return dispute

def dispute_resolve(*, dispute: Dispute, actor: User | None, reopen: bool,
                    note: str = "", now: datetime | None = None) -> Dispute:
    """Close a dispute. ``reopen`` puts the invoice back to open, so its reminders resume;
    otherwise it stays as the bookkeeper left it (credited, voided, written off...)."""
    now = now or timezone.now()
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.status != DisputeStatus.OPEN:
            raise ValidationError("This dispute is already resolved.")
        invoice = Invoice.objects.get(pk=dispute.invoice_id)
        if reopen and invoice.status == InvoiceStatus.DISPUTED:
            invoice_transition(invoice=invoice, to=InvoiceStatus.OPEN, actor=actor,
                               reason=f"dispute resolved{': ' + note if note else ''}")
        dispute.status, dispute.resolved_at = DisputeStatus.RESOLVED, now
        dispute.save(update_fields=["status", "resolved_at"])
        Task.objects.filter(dispute=dispute, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, closed_at=now,
            closed_by=actor if getattr(actor, "pk", None) else None)
        interaction_record(
            client=dispute.client, kind=InteractionKind.DISPUTE, actor=actor, occurred_at=now,
            invoices=[invoice], metadata={"dispute": dispute.pk, "resolved": True},
            summary=f"Dispute of {invoice.number} resolved"
                    + ("; the invoice is open again and reminders resume" if reopen else "")
                    + (f": {note}" if note else ""))
    return dispute
