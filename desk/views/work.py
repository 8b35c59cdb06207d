"""The bookkeeper's pages for work the engine hands to people: call tasks, the print queue,
and contact points flagged as not working. Views only read selectors and call services."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from answers import disputes
from answers.models import Dispute, PaymentPlan
from answers.plans import plan_accept, plan_cancel, plan_decline
from clients.models import ContactFlag
from clients.selectors import client_timeline, open_flags
from clients.services import contact_flag_clear
from core.money import format_money
from core.text import parse_id
from infra.downloads import disposition
from infra.http import viewer_locale
from infra.roles import AuthenticatedHttpRequest, bookkeeper_required
from receivables.models import Invoice
from work import calls, printing
from work.models import CallOutcome, PrintBatch, Task, TaskKind, TaskStatus


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@bookkeeper_required
def task_list(request: HttpRequest) -> HttpResponse:
    """Calls to make and clients no channel reaches: mine first, most urgent first."""
    show_all = request.GET.get("all") == "1"
    tasks = (Task.objects.filter(status=TaskStatus.OPEN).select_related("client", "assigned_to")
             .order_by("due_at", "pk"))
    kind = request.GET.get("kind", "")
    if kind in TaskKind.values:
        tasks = tasks.filter(kind=kind)
    if not show_all:
        # Not ``assigned_to__in=[me, None]``: SQL ``IN`` never matches NULL (unassigned).
        tasks = tasks.filter(Q(assigned_to=request.user) | Q(assigned_to__isnull=True))
    now = timezone.now()
    rows = [{"task": t, "local_time": now.astimezone(ZoneInfo(t.client.timezone)),
             "overdue": t.due_at <= now} for t in tasks[:200]]
    return render(request, "reminders/task_list.html", {"rows": rows, "show_all": show_all,
                                                        "kind": kind, "kinds": TaskKind.choices})


def _invoice_rows(invoices: list[Invoice], locale: str) -> list[dict[str, object]]:
    today = timezone.localdate()
    return [{"invoice": i, "balance": format_money(i.balance, i.currency, locale),
             "days_overdue": i.days_overdue(today)} for i in invoices]


@bookkeeper_required
def task_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("client", "assigned_to", "step"), pk=pk)
    client = task.client
    errors: list[str] = []
    if request.method == "POST":
        try:
            promised_on = (date.fromisoformat(request.POST["promised_on"])
                           if request.POST.get("promised_on") else None)
        except ValueError:
            errors.append("Enter the promised date as YYYY-MM-DD.")
            promised_on = None
        if not errors:
            try:
                calls.call_record(task=task, number=request.POST.get("number", ""),
                                  outcome=request.POST.get("outcome", ""), actor=request.user,
                                  note=request.POST.get("note", "").strip(),
                                  promised_on=promised_on,
                                  promised_amount=request.POST.get("promised_amount") or None,
                                  invoice_ids=[parse_id(v) or 0 for v in
                                               request.POST.getlist("invoices")]
                                  if "invoices-shown" in request.POST else None)
            except ValidationError as exc:
                errors.extend(_errors(exc))
            else:
                messages.success(request, "Call recorded.")
                return redirect("reminders:task", pk=task.pk)
    locale = viewer_locale(request)  # the bookkeeper reads the amounts: one money format
    invoices = list(Invoice.objects.receivable().filter(client=client).order_by("due_date"))
    # The call is about the task's invoices unless the caller ticks others (all open ones
    # for a task about none: a call-back).
    about = ({int(pk) for pk in request.POST.getlist("invoices") if pk.isdigit()}
             if request.method == "POST" else
             {i.pk for i in task.invoices.all()} or {i.pk for i in invoices})
    left, free_at = calls.calls_left(client, timezone.now())
    flagged = {(f.channel, f.value): f for f in open_flags(client)}
    numbers = [{"number": n, "label": label,
                "flag": flagged.get(("phone", n)) or flagged.get(("sms", n))}
               for n, label in ((client.phone, "Phone"), (client.mobile_phone, "Mobile")) if n]
    return render(request, "reminders/task_detail.html", {
        "task": task, "client": client, "numbers": numbers, "errors": errors,
        "local_time": timezone.now().astimezone(ZoneInfo(client.timezone)),
        "invoices": _invoice_rows(invoices, locale), "about": about,
        "timeline": client_timeline(
            client=client, limit=10), "outcomes": CallOutcome.choices, "calls_left": left,
        "free_at": free_at, "flags": open_flags(client), "post": request.POST,
        "attempts": task.attempts.select_related("called_by")[:20],
        "plan": task.plan, "plan_rows": _plan_rows(task.plan, locale) if task.plan else [],
        "plan_total": format_money(task.plan.total, task.plan.currency, locale)
        if task.plan else "",
        "dispute": task.dispute})


def _plan_rows(plan: PaymentPlan, locale: str) -> list[dict[str, object]]:
    from reminders.selectors import plan_progress

    return [{"number": s.number, "due_date": s.due_date,
             "amount": format_money(s.amount, plan.currency, locale),
             "remaining": format_money(s.remaining, plan.currency, locale), "paid": s.settled}
            for s in plan_progress(plan)]


@bookkeeper_required
@require_POST
def task_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task, pk=pk)
    calls.task_close(task=task, actor=request.user)
    messages.success(request, f"Task closed: {task.title}")
    return redirect("reminders:tasks")


@bookkeeper_required
@require_POST
def flag_clear(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(ContactFlag.objects.select_related("client"), pk=pk)
    try:
        contact_flag_clear(flag=flag, actor=request.user, note=request.POST.get("note", ""))
        messages.success(request, f"{flag.get_channel_display()} {flag.value} can be used again.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "reminders:tasks"  # never off-site (an open redirect)
    return redirect(target)


@bookkeeper_required
def print_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "reminders/print_queue.html", {
        "waiting": printing.waiting_letters(),
        "batches": PrintBatch.objects.select_related("created_by", "posted_by")
        .prefetch_related("letters__client")[:20]})


@bookkeeper_required
@require_POST
def print_batch_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        batch = printing.batch_create(actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
        return redirect("reminders:print-queue")
    messages.success(request, f"Print batch {batch.pk} created with {batch.letters.count()} "
                              "letters: download, print, post, then mark it posted.")
    return redirect("reminders:print-queue")


@bookkeeper_required
def print_batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PrintBatch, pk=pk)
    response = HttpResponse(printing.batch_pdf(batch), content_type="application/pdf")
    disposition(response, f"settle-print-batch-{pk}.pdf")
    return response


@bookkeeper_required
@require_POST
def print_batch_posted(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PrintBatch, pk=pk)
    try:
        printing.batch_mark_posted(batch=batch, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, f"Print batch {pk} marked posted: each letter is in its "
                                  "client's timeline.")
    return redirect("reminders:print-queue")


@bookkeeper_required
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from reminders.models import OutboundMessage

    letter = get_object_or_404(OutboundMessage, pk=pk, channel="letter",
                               document__isnull=False)
    assert letter.document is not None  # the query asks for a stored document
    response = HttpResponse(bytes(letter.document), content_type="application/pdf")
    disposition(response, f"settle-letter-{pk}.pdf", attachment=False)
    return response


@bookkeeper_required
@require_POST
def plan_decide(request: AuthenticatedHttpRequest, pk: int, decision: str) -> HttpResponse:
    """One click on a plan task: accept or decline the client's proposal."""
    plan = get_object_or_404(PaymentPlan, pk=pk)
    act = {"accept": plan_accept, "decline": plan_decline,
           "cancel": plan_cancel}.get(decision)
    if act is None:
        raise Http404
    try:
        act(plan=plan, actor=request.user, note=request.POST.get("note", "").strip())
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, f"Payment plan {plan.pk} {decision}ed"
                         if decision != "cancel" else f"Payment plan {plan.pk} cancelled")
    return _back(request, "reminders:tasks")


@bookkeeper_required
def dispute_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """The client's attachment, only to signed-in staff, never rendered inline."""
    dispute = get_object_or_404(Dispute, pk=pk)
    if not dispute.attachment:
        raise Http404
    # Saved under the extension of the type found when it was checked (the stored name is
    # the server's), whatever the client called it: "evil.html" is saved as "evil.pdf".
    stored = PurePath(dispute.attachment.name)
    shown = PurePath(dispute.attachment_name or "attachment").stem
    response = FileResponse(dispute.attachment.open("rb"),
                            content_type=dispute.attachment_type or "application/octet-stream")
    disposition(response, f"{shown}{stored.suffix}", default=f"dispute-{dispute.pk}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@bookkeeper_required
@require_POST
def dispute_resolve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Close a dispute: the invoice is open again (reminders resume) or stays as corrected."""
    dispute = get_object_or_404(Dispute.objects.select_related("invoice", "client"), pk=pk)
    try:
        disputes.dispute_resolve(dispute=dispute, actor=request.user,
                                         reopen=request.POST.get("reopen") == "1",
                                         note=request.POST.get("note", "").strip())
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, f"Dispute of {dispute.invoice.number} resolved.")
    return _back(request, "reminders:tasks")


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)
