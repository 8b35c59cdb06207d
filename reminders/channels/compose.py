"""A message for a channel: the step's template rendered with the client's context, shaped
for the channel (SMS in GSM-7 where it can, a letter in its printed layout)."""

from __future__ import annotations

from datetime import datetime

from core.sms import gsm_friendly
from reminders import selectors
from reminders.channels.letter import letter_html
from reminders.models import CadenceStep, MessageTemplate, Reminder
from reminders.rendering import Rendered, TemplateError, render


def template_for_step(step: CadenceStep, channel: str, language: str) -> MessageTemplate:
    """The step's template for the channel; a letter without its own template prints the
    email's HTML body."""
    template = selectors.template_for(step.template_key, channel, language)
    if template is None and channel == "letter":
        template = selectors.template_for(step.template_key, "email", language)
    if template is None:
        raise TemplateError(f"No '{step.template_key}' {channel} template.")
    return template

def render_message(rows: list[Reminder], step: CadenceStep, channel: str,
                    now: datetime, pay_url: str) -> tuple[MessageTemplate, Rendered]:
    client = rows[0].client
    invoices = list({r.invoice_id: r.invoice for r in rows}.values())  # one line each
    template = template_for_step(step, channel, client.language)
    today = client.local_today(now)
    context = selectors.message_context(
        client=client, invoices=invoices, today=today, pay_url=pay_url,
        tone=step.tone, language=template.language, instalment=rows[0].instalment)
    # A letter prints how to pay in its own section: the body does not repeat it.
    body_context = {**context, "payment_instructions": ""} if channel == "letter" else context
    rendered = render(subject=template.subject, text=template.text if channel != "letter"
                      else "", html=template.html if channel in ("email", "letter") else "",
                      context=body_context, channel=channel)
    if channel == "sms":
        rendered = Rendered(subject="", text=gsm_friendly(rendered.text).strip(), html="")
    if channel == "letter":  # the body goes into the letter layout: address, table, QR code
        rendered = Rendered(subject=rendered.subject, text="", html=letter_html(
            client=client, invoices=invoices, today=today, subject=rendered.subject,
            body_html=rendered.html, pay_url=context["pay_url"],
            payment_instructions=context["payment_instructions"],
            language=template.language))
    return template, rendered
