"""The print queue: letters wait here until a bookkeeper prints and posts them.

``batch_create`` takes every waiting letter into one batch (its PDF is the cover sheet plus
each letter, rendered as one document); ``batch_mark_posted`` is the moment the letters really
left, so only then does each client's timeline record its letter as sent.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from reminders.channels import letter as letters
from reminders.models import MessageStatus, OutboundMessage
from reminders.outbox import record_sent
from work.models import PrintBatch


def waiting_letters() -> QuerySet[OutboundMessage]:
    return (OutboundMessage.objects.filter(channel="letter", status=MessageStatus.PRINT_QUEUE,
                                           print_batch__isnull=True)
            .select_related("client").defer("document").order_by("created_at", "pk"))


# A batch PDF is built in memory (~5 MB a letter while rendering): longer queues go out in
# several batches.
MAX_BATCH = 100


def batch_create(*, actor: User, now: datetime | None = None) -> PrintBatch:
    """Put the oldest waiting letters (up to ``MAX_BATCH``) into a new batch; refused when
    none is waiting."""
    with transaction.atomic():
        ids = list(waiting_letters().select_for_update().values_list("pk", flat=True)
                   [:MAX_BATCH])
        if not ids:
            raise ValidationError("No letters are waiting to be printed.")
        batch = PrintBatch.objects.create(created_by=actor, created_at=now or timezone.now())
        OutboundMessage.objects.filter(pk__in=ids, status=MessageStatus.PRINT_QUEUE).update(
            print_batch=batch, status=MessageStatus.PRINTING)
    return batch


def batch_letters(batch: PrintBatch) -> list[OutboundMessage]:
    return list(batch.letters.select_related("client").order_by("pk"))


def batch_pdf(batch: PrintBatch) -> bytes:
    items = [(f"{m.client.name_on_letters} · {m.subject}", m.html)
             for m in batch_letters(batch)]
    return letters.batch_pdf(items, title=f"Print batch {batch.pk}",
                             generated_at=timezone.localtime(batch.created_at))


def batch_mark_posted(*, batch: PrintBatch, actor: User,
                      now: datetime | None = None) -> PrintBatch:
    """The batch went into the post: each letter is now sent, in each client's timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.posted_at is not None:
            raise ValidationError(f"Print batch {batch.pk} was already marked posted on "
                                  f"{timezone.localtime(batch.posted_at):%Y-%m-%d %H:%M}.")
        batch.posted_at, batch.posted_by = now, actor
        batch.save(update_fields=["posted_at", "posted_by"])
        for letter in batch_letters(batch):
            letter.status = MessageStatus.POSTED
            letter.save(update_fields=["status"])
            reminders = list(letter.reminders.select_related("invoice", "step"))
            record_sent(letter, reminders[0].step if reminders else None,
                        [r.invoice for r in reminders], now)
    return batch
