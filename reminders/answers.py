"""What a client answers — on the pay-now page, or to a bookkeeper on the phone — and how each
answer changes what the reminders do next.

- **Promise to pay** a date (and optionally an amount): the invoices' reminders wait until that
  date; the bookkeeper is told; a promise that passes unpaid is flagged "broken" by the next
  tick and the cadence resumes with wording that says so (``reminders.planning``).
- **Payment plan proposal**: instalments within the admin's limits; while it waits for the
  bookkeeper, the invoices' reminders wait too; once accepted, the invoices' cadence is replaced
  by reminders around each instalment; declined, the cadence resumes.
- **Dispute** of one invoice: its reminders stop at once (the invoice is disputed, its waiting
  reminders are cancelled) and a bookkeeper gets a task. Other invoices are not touched.
- **Call back** at a time window: a call task due then.
- **Preferences**: channel order, language, no SMS. Applied from the next tick; email and letter
  stay possible because legally required notices may need them.

Every answer is one transaction and one timeline entry with the client as the actor.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import NumberFormatError, parse_decimal
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from clients.business import business
from clients.models import (
    Channel,
    Client,
    ContactFlag,
    FlagReason,
    InteractionChannel,
    InteractionKind,
)
from clients.services import contact_flag, contact_flag_clear, interaction_record
from core import calendar as cal
from core.contact import LANGUAGES, babel_locale
from core.money import MoneyError, format_money, parse_amount, quantize
from receivables.models import ACTIVE_STATUSES, Invoice, InvoiceStatus
from receivables.services import invoice_transition
from reminders import calls, plans, selectors
from reminders.models import (
    Dispute,
    DisputeReason,
    DisputeStatus,
    Instalment,
    PaymentPlan,
    PlanStatus,
    PortalSettings,
    Reminder,
    ReminderStatus,
    StepChannel,
    Task,
    TaskKind,
    TaskStatus,
)
from reminders.promises import promise_record

log = logging.getLogger(__name__)
CLIENT = "client"  # the actor label of what a client did on the pay-now page
CALLBACK_WINDOWS = {"morning": (time(9, 0), time(12, 0)), "afternoon": (time(13, 0), time(17, 0))}
ATTACHMENT_TYPES = {b"%PDF-": ("pdf", "application/pdf"),
                    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
                    b"\xff\xd8\xff": ("jpg", "image/jpeg")}


def local_today(client: Client, now: datetime) -> date:
    return now.astimezone(ZoneInfo(client.timezone)).date()


def local_decimal(text: str, client: Client) -> str:
    """An amount as the client typed it ("1.234,50" in Germany, "1,234.50" in the US) as a
    plain decimal string; what Babel cannot read is passed on for the money module to refuse."""
    try:
        return str(parse_decimal(text.strip(), locale=babel_locale(client.language,
                                                                   client.country), strict=True))
    except NumberFormatError:
        return text


def _money(client: Client, amount: Decimal, currency: str) -> str:
    return format_money(amount, currency, babel_locale(client.language, client.country))


def open_invoices(client: Client, ids: Sequence[int] | None = None) -> list[Invoice]:
    """The client's invoices that reminders run for (open or partly paid, something owed),
    optionally only ``ids``; an id that is not one of them is refused."""
    qs = (Invoice.objects.filter(client=client, status__in=ACTIVE_STATUSES, balance__gt=0)
          .select_related("terms").order_by("due_date", "number"))
    if ids is None:
        return list(qs)
    found = list(qs.filter(pk__in=ids))
    if not ids or len(found) != len(set(ids)):
        raise ValidationError({"invoices": "Choose one or more of your open invoices."})
    return found


def _one_currency(invoices: list[Invoice]) -> str:
    currencies = {i.currency for i in invoices}
    if len(currencies) != 1:
        raise ValidationError({"invoices": "Choose invoices in one currency at a time."})
    return currencies.pop()


def tell_owner(*, client: Client, title: str, text: str, now: datetime,
               invoices: Sequence[Invoice] = (), kind: TaskKind = TaskKind.NOTICE,
               plan: PaymentPlan | None = None, dispute: Dispute | None = None) -> Task:
    """A task for the client's bookkeeper (the dashboard shows it) and, when they have an
    email address, a short email. A failing email never undoes the client's answer."""
    task = Task.objects.create(kind=kind, client=client, assigned_to=client.owner,
                               title=title[:300], script=text, due_at=now, created_at=now,
                               plan=plan, dispute=dispute)
    task.invoices.set(invoices)
    email = getattr(client.owner, "email", "")
    if email:
        def send() -> None:
            try:
                send_mail(f"[Settle] {title}"[:200], text, business().from_email, [email])
            except Exception:  # the task is the record; the email is a courtesy
                log.exception("Could not email %s about %s", email, title)
        transaction.on_commit(send)
    return task


# --- Promise to pay -------------------------------------------------------------------------

def promise_from_client(*, client: Client, invoice_ids: Sequence[int], promised_on: date | None,
                        amount: str | None, now: datetime) -> list[Invoice]:
    settings_row = PortalSettings.load()
    invoices = open_invoices(client, invoice_ids)
    currency = _one_currency(invoices)
    today = local_today(client, now)
    errors: dict[str, str] = {}
    latest = today + timedelta(days=settings_row.promise_max_days)
    if promised_on is None:
        errors["promised_on"] = "Enter the date you will pay."
    elif promised_on < today:
        errors["promised_on"] = "The date must be today or later."
    elif promised_on > latest:
        errors["promised_on"] = (f"Please choose a date up to {latest.isoformat()}; for longer, "
                                 "propose a payment plan.")
    value = None
    if amount:  # neither None nor ""
        owed = sum((i.balance for i in invoices), Decimal(0))
        try:
            value = parse_amount(local_decimal(amount, client), currency, what="Amount",
                                 allow_zero=False)
        except MoneyError as exc:
            errors["amount"] = str(exc)
        else:
            if value > owed:
                errors["amount"] = (f"That is more than you owe on these invoices "
                                    f"({_money(client, owed, currency)}).")
    if errors:
        raise ValidationError(errors)
    assert promised_on is not None
    with transaction.atomic():
        promise_record(client=client, invoices=invoices, promised_on=promised_on, amount=value,
                       channel=InteractionChannel.PORTAL, now=now, actor_label=CLIENT)
        numbers = ", ".join(i.number for i in invoices)
        tell_owner(client=client, now=now, invoices=invoices,
                   title=f"{client.display_name} promised to pay {numbers} by "
                         f"{promised_on.isoformat()}",
                   text=f"On the pay-now page, {client.display_name} promised to pay "
                        + (f"{_money(client, value, currency)} " if value else "")
                        + f"by {promised_on.isoformat()} ({numbers}). Reminders for these "
                          "invoices wait until then; if the money has not arrived by then, "
                          "the promise is flagged as broken and the reminders resume.")
    return invoices


# --- Dispute --------------------------------------------------------------------------------

def _check_attachment(upload: UploadedFile, limit_mb: int) -> tuple[str, str]:
    """(extension, content type) by the file's first bytes — the name and the browser's
    content type are not trusted."""
    if upload.size is None or upload.size > limit_mb * 1024 * 1024:
        raise ValidationError({"attachment": f"The file is larger than {limit_mb} MB."})
    if upload.size == 0:
        raise ValidationError({"attachment": "The file is empty."})
    head = upload.read(16)
    upload.seek(0)
    for magic, kind in ATTACHMENT_TYPES.items():
        if head.startswith(magic):
            return kind
    raise ValidationError({"attachment": "Attach a PDF, PNG or JPEG file."})


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
    if len(message) > 5000:
        errors["message"] = "Please keep the message under 5,000 characters."
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
            dispute.attachment.save(f"{uuid.uuid4().hex}.{kind[0]}", upload, save=False)
            dispute.attachment_name = (upload.name or "attachment")[-200:]
            dispute.attachment_type = kind[1]
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


# --- Call back ------------------------------------------------------------------------------

def callback_days(client: Client, now: datetime) -> list[date]:
    """The business days a client may ask to be called on: from the next business day."""
    today = local_today(client, now)
    day, days = today, []
    for _ in range(PortalSettings.load().callback_days):
        day = cal.next_business_day(day + timedelta(days=1), client.country)
        days.append(day)
    return days


def callback_request(*, client: Client, day: date | None, window: str, number: str, note: str,
                     now: datetime) -> Task:
    errors: dict[str, str] = {}
    if day is None or day not in callback_days(client, now):
        errors["day"] = "Choose one of the business days offered."
    if window not in CALLBACK_WINDOWS:
        errors["window"] = "Choose morning or afternoon."
    number = (number or "").strip()
    if number:
        from core.contact import ContactError, normalize_phone

        try:
            number = normalize_phone(number, region=client.country or None)
        except ContactError as exc:
            errors["number"] = str(exc)
    elif not (client.phone or client.mobile_phone):
        errors["number"] = "Give us a number to call."
    if errors:
        raise ValidationError(errors)
    assert day is not None
    start, end = CALLBACK_WINDOWS[window]
    zone = ZoneInfo(client.timezone)
    due = datetime.combine(day, start, tzinfo=zone)
    invoices = open_invoices(client)
    call_on = number or client.phone or client.mobile_phone
    with transaction.atomic():
        task = calls.task_call_create(
            client=client, invoices=invoices, step=None, now=now, due_at=due,
            title=f"Call back {client.display_name} on {day.isoformat()} "
                  f"{start:%H:%M}-{end:%H:%M} ({client.timezone}) at {call_on}")
        if note.strip():
            Task.objects.filter(pk=task.pk).update(
                script=f"The client wrote: {note.strip()[:2000]}\n\n{task.script}")
        interaction_record(
            client=client, kind=InteractionKind.NOTE, channel=InteractionChannel.PORTAL,
            actor_label=CLIENT, occurred_at=now, invoices=invoices,
            summary=f"Asked to be called back on {day.isoformat()} between {start:%H:%M} and "
                    f"{end:%H:%M} at {call_on}" + (f": {note.strip()}" if note.strip() else ""),
            metadata={"task": task.pk, "callback": due.isoformat(), "number": call_on})
    return task


# --- Preferences ----------------------------------------------------------------------------

def channel_choices(client: Client) -> list[str]:
    """Channels the client can put first: those we have contact details for."""
    return [c for c in (Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.PHONE)
            if client.contact_for(c)]


def sms_opted_out(client: Client) -> bool:
    return ContactFlag.objects.filter(client=client, channel=Channel.SMS,
                                      value=client.mobile_phone, reason=FlagReason.OPTED_OUT,
                                      cleared_at__isnull=True).exists()


def preferences_update(*, client: Client, first_channel: str, language: str, no_sms: bool,
                       now: datetime) -> list[str]:
    """Apply the client's choices; returns what changed (empty when nothing did)."""
    errors: dict[str, str] = {}
    if first_channel not in channel_choices(client):
        errors["first_channel"] = "Choose one of the channels offered."
    if language not in LANGUAGES:
        errors["language"] = "Choose one of the languages offered."
    if errors:
        raise ValidationError(errors)
    changes = []
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        order = list(client.channel_preferences)
        new_order = [first_channel] + [c for c in order if c != first_channel]
        if new_order != order:
            client.channel_preferences = new_order
            changes.append("channels: " + " → ".join(new_order))
        if language != client.language:
            client.language = language
            changes.append(f"language: {LANGUAGES[language]}")
        client.save(update_fields=["channel_preferences", "language", "updated_at"])
        if client.mobile_phone and no_sms != sms_opted_out(client):
            if no_sms:
                contact_flag(client=client, channel=Channel.SMS, reason=FlagReason.OPTED_OUT,
                             detail="opted out on the pay-now page", when=now)
                changes.append("no SMS")
            else:
                for flag in ContactFlag.objects.filter(
                        client=client, channel=Channel.SMS, reason=FlagReason.OPTED_OUT,
                        cleared_at__isnull=True):
                    contact_flag_clear(flag=flag, actor=None,
                                       note="the client opted back in on the pay-now page")
                changes.append("SMS allowed again")
        if not changes:
            return []
        # From the next tick: re-plan the invoices, and point waiting reminders that follow
        # the client's preference at the new first working channel.
        client.invoices.update(next_action_at=None)
        fresh = Client.objects.prefetch_related(selectors.open_flags_prefetch()).get(
            pk=client.pk)
        usable = selectors.usable_channels(fresh)
        if usable:
            Reminder.objects.filter(client=client, status=ReminderStatus.SCHEDULED,
                                    step__channel=StepChannel.PREFERRED).update(
                channel=usable[0])
        interaction_record(
            client=client, kind=InteractionKind.PREFERENCES, channel=InteractionChannel.PORTAL,
            actor_label=CLIENT, occurred_at=now,
            summary="Changed reminder preferences: " + "; ".join(changes),
            metadata={"channel_preferences": new_order, "language": language,
                      "no_sms": no_sms})
    return changes


# --- Payment plans --------------------------------------------------------------------------

def plan_limits(client: Client, currency: str, now: datetime) -> dict[str, Any]:
    row = PortalSettings.load()
    today = local_today(client, now)
    minimum = row.plan_min_instalment.get(currency)
    return {"max_instalments": row.plan_max_instalments,
            "first_by": today + timedelta(days=row.plan_first_within_days),
            "last_by": plans.add_months(today, row.plan_max_months),
            "min_instalment": quantize(Decimal(str(minimum)), currency) if minimum else None}


def plan_propose(*, client: Client, invoice_ids: Sequence[int], count: int | None,
                 first: date | None, frequency: str, note: str, now: datetime,
                 channel: str = InteractionChannel.PORTAL) -> PaymentPlan:
    invoices = open_invoices(client, invoice_ids)
    currency = _one_currency(invoices)
    limits = plan_limits(client, currency, now)
    today = local_today(client, now)
    total = quantize(sum((i.balance for i in invoices), Decimal(0)), currency)
    errors: dict[str, str] = {}
    if PaymentPlan.objects.filter(invoices__in=invoices, status__in=[
            PlanStatus.PROPOSED, PlanStatus.ACCEPTED]).exists():
        errors["invoices"] = "One of these invoices already has a payment plan."
    if count is None or not 2 <= count <= limits["max_instalments"]:
        errors["count"] = f"Choose between 2 and {limits['max_instalments']} instalments."
    if first is None or not today <= first <= limits["first_by"]:
        errors["first"] = (f"The first instalment must be between today and "
                           f"{limits['first_by'].isoformat()}.")
    if frequency not in plans.FREQUENCIES:
        errors["frequency"] = "Choose how often you will pay."
    if errors:
        raise ValidationError(errors)
    assert count is not None and first is not None
    rows = plans.schedule(total=total, currency=currency, count=count, first=first,
                          frequency=frequency)
    if rows[-1][0] > limits["last_by"]:
        errors["count"] = (f"The last instalment would be on {rows[-1][0].isoformat()}; plans "
                           f"must end by {limits['last_by'].isoformat()}. Choose fewer or more "
                           "frequent instalments.")
    minimum = limits["min_instalment"]
    if minimum and min(a for _, a in rows) < minimum:
        errors["count"] = (f"Each instalment must be at least {_money(client, minimum, currency)}"
                           "; choose fewer instalments.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = PaymentPlan.objects.create(client=client, currency=currency, total=total,
                                          channel=channel, client_note=note.strip()[:2000],
                                          proposed_at=now)
        plan.invoices.set(invoices)
        Instalment.objects.bulk_create(
            Instalment(plan=plan, number=n, due_date=d, amount=a)
            for n, (d, a) in enumerate(rows, start=1))
        Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(next_action_at=None)
        described = describe_schedule(client, rows, currency)
        numbers = ", ".join(i.number for i in invoices)
        interaction_record(
            client=client, kind=InteractionKind.PAYMENT_PLAN, channel=channel,
            actor_label=CLIENT, occurred_at=now, invoices=invoices,
            summary=f"Proposed a payment plan for {numbers}: {described}",
            content={"note": plan.client_note}, metadata={"plan": plan.pk, "status": "proposed"})
        tell_owner(client=client, now=now, invoices=invoices, kind=TaskKind.PLAN, plan=plan,
                   title=f"{client.display_name} proposes a payment plan for {numbers}",
                   text=f"{described}.\n\n{plan.client_note}\n\nReminders for these invoices "
                        "wait until you accept or decline.")
    return plan


def describe_schedule(client: Client, rows: Sequence[tuple[date, Decimal]], currency: str) -> str:
    return (f"{len(rows)} instalments, " + ", ".join(
        f"{_money(client, a, currency)} on {d.isoformat()}" for d, a in rows))


def _decide(plan: PaymentPlan, actor: User | None, now: datetime, to: PlanStatus,
            note: str) -> PaymentPlan:
    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        allowed = {PlanStatus.ACCEPTED: {PlanStatus.PROPOSED},
                   PlanStatus.DECLINED: {PlanStatus.PROPOSED},
                   PlanStatus.CANCELLED: {PlanStatus.ACCEPTED, PlanStatus.PROPOSED}}[to]
        if plan.status not in allowed:
            raise ValidationError(f"This plan is {plan.get_status_display().lower()}; it cannot "
                                  f"be {to.label.lower()} now.")
        plan.status, plan.decided_at, plan.decision_note = to, now, note.strip()[:2000]
        plan.decided_by = actor if getattr(actor, "pk", None) else None
        plan.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        invoices = list(plan.invoices.all())
        Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(next_action_at=None)
        if to == PlanStatus.ACCEPTED:
            # The plan's reminders replace the cadence's: what waits in the outbox goes.
            Reminder.objects.filter(invoice__in=invoices, instalment__isnull=True,
                                    status=ReminderStatus.SCHEDULED).update(
                status=ReminderStatus.CANCELLED,
                last_error="Not sent: replaced by the payment plan's reminders.")
        Task.objects.filter(plan=plan, kind=TaskKind.PLAN, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, closed_at=now, closed_by=plan.decided_by)
        rows = [(i.due_date, i.amount) for i in plan.instalments.all()]
        what = {PlanStatus.ACCEPTED: "accepted", PlanStatus.DECLINED: "declined",
                PlanStatus.CANCELLED: "cancelled"}[to]
        follow = {PlanStatus.ACCEPTED: "reminders now follow the instalments",
                  PlanStatus.DECLINED: "the usual reminders resume",
                  PlanStatus.CANCELLED: "the usual reminders resume"}[to]
        interaction_record(
            client=plan.client, kind=InteractionKind.PAYMENT_PLAN, actor=actor,
            occurred_at=now, invoices=invoices,
            summary=f"Payment plan {what} ({describe_schedule(plan.client, rows, plan.currency)})"
                    f"; {follow}" + (f". Note: {plan.decision_note}" if plan.decision_note
                                     else ""),
            metadata={"plan": plan.pk, "status": to.value})
    return plan


def plan_accept(*, plan: PaymentPlan, actor: User | None, now: datetime | None = None,
                note: str = "") -> PaymentPlan:
    return _decide(plan, actor, now or timezone.now(), PlanStatus.ACCEPTED, note)


def plan_decline(*, plan: PaymentPlan, actor: User | None,
                 now: datetime | None = None, note: str = "") -> PaymentPlan:
    return _decide(plan, actor, now or timezone.now(), PlanStatus.DECLINED, note)


def plan_cancel(*, plan: PaymentPlan, actor: User | None,
                now: datetime | None = None, note: str = "") -> PaymentPlan:
    return _decide(plan, actor, now or timezone.now(), PlanStatus.CANCELLED, note)
