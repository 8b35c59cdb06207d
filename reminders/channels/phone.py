"""Calls: the client prefers the phone, or a step asks for a call — a person calls, with the
step's ``call`` template (else its email text) rendered as the script. The task itself, and
what each call's outcome does, are the people's work (``work.calls``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from answers import links
from clients.models import Client
from receivables.models import Invoice
from reminders import selectors
from reminders.models import CadenceStep
from reminders.rendering import TemplateError, render
from work.calls import default_call_title, task_call_create, task_call_for_step
from work.models import Task


def call_script(*, client: Client, invoices: Sequence[Invoice], step: CadenceStep | None,
                now: datetime, pay_url: str | None = None) -> tuple[str, str]:
    """(title, script) from the step's call template, else its email text, else a plain
    line; the script is what the bookkeeper says, so it is plain text. ``pay_url`` for a
    preview (otherwise a pay link is issued for the call)."""
    default_title = default_call_title(client, invoices)
    key = step.template_key if step else ""
    template = (selectors.template_for(key, "call", client.language)
                or selectors.template_for(key, "email", client.language)) if key else None
    if template is None or not invoices:
        return default_title, ""
    context = selectors.message_context(
        client=client, invoices=list(invoices), today=client.local_today(now),
        pay_url=pay_url or links.link_issue(client=client, now=now, purpose="call").url,
        tone=step.tone if step else "friendly",
        language=template.language)
    try:
        rendered = render(subject=template.subject, text=template.text, html="",
                          context=context)
    except TemplateError as exc:
        return default_title, f"(The call script could not be rendered: {exc})"
    return (rendered.subject or default_title)[:300], rendered.text


def hand_to_caller(*, client: Client, invoices: Sequence[Invoice], step: CadenceStep | None,
                   now: datetime) -> Task:
    """A call task for the client's owner with the step's script (the client's open call
    task, if the cadence made one that nobody has closed yet: one call, not one per step)."""
    title, script = call_script(client=client, invoices=invoices, step=step, now=now)
    if step is not None:
        return task_call_for_step(client=client, invoices=invoices, step=step, now=now,
                                  title=title, script=script)
    return task_call_create(client=client, invoices=invoices, step=step, now=now, title=title,
                            script=script)
