"""Message templates: the list by key, channel and language, and the edit page with a live
preview against a real client and invoice, the SMS segment count and a test send to oneself.

"Preview" and "Send me a test" work on the text as typed, without saving it. With JavaScript
the preview follows the typing (htmx posts the form with ``action=preview`` after a pause and
swaps the ``#preview`` section in). An e-mail's HTML is shown in a sandboxed frame: on a whole
page as ``srcdoc`` (the page's Content-Security-Policy lists the e-mail's own styles); in a
swapped-in section as ``src``, a URL of its own (``template_frame``) answered with a policy for
exactly that document, since a ``srcdoc`` frame keeps the policy of the page it was first
loaded with. A letter also opens as the PDF that would be printed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from clients.models import Client
from configure import mail, selectors, services
from configure.forms import TemplateForm
from core.text import ascii_digits
from infra.csp import allow_styles_of
from infra.downloads import disposition
from infra.roles import admin_required
from receivables.models import Invoice
from reminders.channels.letter import letter_html, render_pdf
from reminders.models import MessageTemplate, TemplateChannel
from reminders.rendering import SAMPLE_CONTEXT, Rendered, TemplateError
from reminders.rendering import render as render_template
from reminders.selectors import message_context


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
    live = bool(getattr(request, "htmx", False))
    rendered = preview.rendered if preview else None
    response = render(request, "configure/template_form.html", {
        "form": form, "template": template, "target": target, "preview": preview,
        "draft": draft, "sent": sent, "variables": selectors.available_variables(),
        "live": live, "frames": _frames(request, template, target, draft=draft,
                                        rendered=rendered),
        "is_sms": template.channel == TemplateChannel.SMS,
        "is_email": template.channel == TemplateChannel.EMAIL,
        "is_letter": template.channel == TemplateChannel.LETTER})
    if live:  # the frame is a URL of its own, with its own policy (template_frame)
        return response
    # The preview frame keeps the email's own inline styles (infra/csp.py).
    return allow_styles_of(response, [rendered.html if rendered and rendered.html else ""])


# --- The preview's own documents: the HTML part in its frame, a letter as its PDF -----------

DRAFTS = "template-drafts"  # in the session: the last few drafts previewed, by their digest
KEEP_DRAFTS = 8


def _remember(request: HttpRequest, template: MessageTemplate) -> str:
    """Keep the draft as typed in the session, for its frame and PDF; returns its key."""
    body = {"pk": template.pk, "subject": template.subject, "text": template.text,
            "html": template.html}
    key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
    drafts = {k: v for k, v in (request.session.get(DRAFTS) or {}).items() if k != key}
    drafts[key] = body
    request.session[DRAFTS] = dict(list(drafts.items())[-KEEP_DRAFTS:])
    return key


def _frames(request: HttpRequest, template: MessageTemplate, target: Target, *, draft: bool,
            rendered: Rendered | None) -> dict[str, str]:
    """The URLs of the preview's HTML frame and of a letter's PDF, for this client and invoice
    and, after a change not yet saved, for the draft as typed."""
    if template.pk is None or rendered is None:
        return {}
    wanted_pdf = template.channel == TemplateChannel.LETTER and target.invoice is not None
    if not rendered.html and not wanted_pdf:
        return {}
    query: dict[str, Any] = {}
    if target.client is not None:
        query["client"] = target.client.pk
    if target.invoice is not None:
        query["invoice"] = target.invoice.pk
    if draft:
        query["draft"] = _remember(request, template)
    suffix = f"?{urlencode(query)}" if query else ""
    urls = {part: reverse("configure:template-frame", args=[template.pk, part]) + suffix
            for part in ("html", "pdf")}
    return {"html": urls["html"] if rendered.html else "",
            "pdf": urls["pdf"] if wanted_pdf else ""}


def _drafted(request: HttpRequest, template: MessageTemplate) -> MessageTemplate:
    """The template as the admin typed it (``?draft=``), else as saved."""
    draft = (request.session.get(DRAFTS) or {}).get(request.GET.get("draft", ""))
    if isinstance(draft, dict) and draft.get("pk") == template.pk:
        template.subject, template.text, template.html = (
            str(draft.get(name) or "") for name in ("subject", "text", "html"))
    return template


def _refused(text: str) -> HttpResponse:
    return HttpResponse(f"<!doctype html><title>No preview</title><p>{escape(text)}</p>",
                        status=400)


@admin_required
@require_GET
@xframe_options_sameorigin
def template_frame(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """One part of the preview as a document of its own: ``html`` (the e-mail's HTML, shown in
    the page's sandboxed frame, with a policy listing exactly its own inline styles) or ``pdf``
    (a letter as it would be printed, for the chosen client and invoice)."""
    template = _drafted(request, get_object_or_404(MessageTemplate, pk=pk))
    target = _target(request)
    if part == "pdf":
        return _letter_pdf(template, target)
    if part != "html":
        return _refused("Unknown preview.")
    preview = _preview(template, target)
    if preview.rendered is None or not preview.rendered.html:
        return _refused(preview.error or "This template has no HTML part.")
    response = HttpResponse(preview.rendered.html)
    response["Cache-Control"] = "private, no-store"
    allow_styles_of(response, [preview.rendered.html])
    # Opened on its own (not in the page's frame), the document is still sandboxed.
    update = dict(getattr(response, "_csp_update", None) or {})
    response._csp_update = {**update, "sandbox": True}  # type: ignore[attr-defined]
    return response


def _letter_pdf(template: MessageTemplate, target: Target) -> HttpResponse:
    """The letter exactly as the print queue would get it today: the body in the letter's
    layout (address, table per currency, how to pay, QR code)."""
    if template.channel != TemplateChannel.LETTER:
        return _refused("Only a letter has a PDF.")
    if target.client is None or target.invoice is None:
        return _refused("Choose a client with an open invoice to see the letter.")
    client, invoice = target.client, target.invoice
    today = client.local_today(timezone.now())
    context = message_context(client=client, invoices=[invoice], today=today,
                              pay_url=selectors.sample_pay_url(), language=template.language)
    try:  # a letter prints how to pay in its own section: the body does not repeat it
        body = render_template(subject=template.subject, text="", html=template.html,
                               context={**context, "payment_instructions": ""},
                               channel=TemplateChannel.LETTER)
    except TemplateError as exc:
        return _refused(str(exc))
    document = render_pdf(letter_html(
        client=client, invoices=[invoice], today=today, subject=body.subject,
        body_html=body.html, pay_url=context["pay_url"],
        payment_instructions=context["payment_instructions"], language=template.language))
    response = HttpResponse(document, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    disposition(response, f"letter-preview-{template.key}-{invoice.number}.pdf",
                attachment=False)
    return response


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
    live = bool(getattr(request, "htmx", False)) and action == "preview"
    if not form.is_valid():
        if live:  # only the preview is swapped in: the errors go there, in place
            return _page(request, form, target, Preview(error=_form_errors(form)), draft=True)
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


def _form_errors(form: TemplateForm) -> str:
    found = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        found += [f"{label}: {e}" if label else str(e) for e in errors]
    return "Not shown: " + " ".join(found)


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
