"""Message templates: the list by key, channel and language, and the edit page with a live
preview against a real client and invoice, the SMS segment count and a test send to oneself.

"Preview" and "Send me a test" work on the text as typed, without saving it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from configure import mail, selectors, services
from configure.forms import TemplateForm
from core.text import ascii_digits
from infra.csp import allow_styles_of
from infra.roles import admin_required
from receivables.models import Invoice
from reminders.models import MessageTemplate, TemplateChannel
from reminders.rendering import SAMPLE_CONTEXT, Rendered, TemplateError
from reminders.rendering import render as render_template


@admin_required
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "configure/template_list.html",
                  {"groups": selectors.template_groups()})


@dataclass
class Target:
    """The client and invoice a preview is rendered for (GET ``client`` and ``invoice``)."""

    clients: list[Client]
    client: Client | None = None
    invoices: list[Invoice] = field(default_factory=list)
    invoice: Invoice | None = None

    @property
    def query(self) -> str:
        if self.client is None:
            return ""
        invoice = f"&invoice={self.invoice.pk}" if self.invoice else ""
        return f"?client={self.client.pk}{invoice}"


def _target(request: HttpRequest) -> Target:
    target = Target(clients=selectors.preview_clients())
    chosen = request.GET.get("client", "")
    if ascii_digits(chosen):
        target.client = Client.objects.filter(pk=int(chosen)).first()
    if target.client is None and target.clients:
        target.client = target.clients[0]  # the first client with an open invoice
    if target.client is None:
        return target
    if target.client not in target.clients:
        target.clients.insert(0, target.client)
    target.invoices = selectors.preview_invoices(target.client)
    wanted = request.GET.get("invoice", "")
    target.invoice = next((i for i in target.invoices if str(i.pk) == wanted),
                          target.invoices[0] if target.invoices else None)
    return target


@dataclass
class Preview:
    rendered: Rendered | None = None
    error: str = ""
    sms: selectors.SmsCount | None = None
    sample: bool = False  # rendered over the sample values: no client owes anything


def _preview(template: MessageTemplate, target: Target) -> Preview:
    try:
        if target.client is not None and target.invoice is not None:
            rendered = selectors.preview_render(template=template, client=target.client,
                                                invoice=target.invoice, now=timezone.now())
            sample = False
        else:
            rendered = render_template(subject=template.subject, text=template.text,
                                       html=template.html, channel=template.channel,
                                       context={**SAMPLE_CONTEXT,
                                                "pay_url": selectors.sample_pay_url()})
            sample = True
    except TemplateError as exc:
        return Preview(error=str(exc))
    sms = selectors.sms_count(rendered.text) if template.channel == TemplateChannel.SMS else None
    return Preview(rendered=rendered, sms=sms, sample=sample)


def _page(request: HttpRequest, form: TemplateForm, target: Target, preview: Preview | None,
          *, draft: bool = False, sent: str = "") -> HttpResponse:
    template = form.instance
    response = render(request, "configure/template_form.html", {
        "form": form, "template": template, "target": target, "preview": preview,
        "draft": draft, "sent": sent, "variables": selectors.available_variables(),
        "is_sms": template.channel == TemplateChannel.SMS,
        "is_email": template.channel == TemplateChannel.EMAIL})
    # The preview frame keeps the email's own inline styles (config/csp.py).
    rendered = preview.rendered if preview else None
    return allow_styles_of(response, [rendered.html if rendered and rendered.html else ""])


def _test_send(request: HttpRequest, template: MessageTemplate, preview: Preview) -> str:
    """Email: send to the admin. Other channels: nothing is sent, the page shows the text."""
    if preview.rendered is None:
        return ""
    if template.channel != TemplateChannel.EMAIL:
        return "shown"
    address = getattr(request.user, "email", "")
    if not address:
        messages.error(request, "Your user has no email address: add one to your user in "
                                "the admin, then send the test again.")
        return ""
    try:
        outcome = mail.test_email_send(rendered=preview.rendered, to=address)
    except Exception as exc:  # the ESP's own errors vary; the admin needs to see them
        messages.error(request, f"The test email could not be sent: {exc}")
        return ""
    messages.success(request, outcome)
    return "email"


def _edit(request: HttpRequest, template: MessageTemplate) -> HttpResponse:
    target = _target(request)
    if request.method != "POST":
        form = TemplateForm(instance=template)
        return _page(request, form, target, _preview(template, target) if template.pk else None)
    form = TemplateForm(request.POST, instance=template)
    action = request.POST.get("action", "save")
    if not form.is_valid():
        messages.error(request, "Not saved: fix the errors below." if action == "save"
                       else "Fix the errors below to see the preview.")
        return _page(request, form, target, None, draft=True)
    if action == "save":
        changed = list(form.changed_data)
        services.template_save(template=form.instance, changed=changed, actor=request.user)
        messages.success(request, f"Saved {form.instance}.")
        return redirect(_edit_url(form.instance, target))
    preview = _preview(form.instance, target)  # the draft as typed; nothing is saved
    sent = _test_send(request, form.instance, preview) if action == "test" else ""
    return _page(request, form, target, preview, draft=True, sent=sent)


def _edit_url(template: MessageTemplate, target: Target) -> str:
    return reverse("configure:template", args=[template.pk]) + target.query


@admin_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(MessageTemplate, pk=pk))


@admin_required
def template_create(request: HttpRequest) -> HttpResponse:
    """A new template; ``?key=&channel=&language=`` prefill it, copying the English text of the
    same key and channel as a start for a translation."""
    initial = {name: request.GET.get(name, "") for name in ("key", "channel", "language")}
    english = MessageTemplate.objects.filter(key=initial["key"], channel=initial["channel"],
                                             language="en").first()
    template = MessageTemplate(**initial, **_copy_of(english))
    return _edit(request, template)


def _copy_of(template: MessageTemplate | None) -> dict[str, Any]:
    if template is None:
        return {}
    return {"subject": template.subject, "text": template.text, "html": template.html}
