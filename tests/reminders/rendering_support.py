"""Shared by the rendering tests (test_rendering_*): the day they run on, the invoices'
issue date, the pay link, and rendering a seeded template over the real message context.
The wall clock at TODAY is the ``render_day`` fixture (conftest.py)."""

from datetime import date
from typing import Any

from reminders import rendering, selectors
from reminders.models import MessageTemplate

NBSP = "\u00a0"
TODAY = date(2026, 11, 9)  # a Monday, three days before the invoices issued on ISSUED fall due
ISSUED = date(2026, 10, 13)  # Net 30 → due Thursday 12 November 2026
PAY_URL = "https://pay.example.com/p/t0k3n"


def render_seeded(client: Any, invoices: list[Any], key: str, *, today: date = TODAY,
                  channel: str = "email") -> tuple[MessageTemplate, rendering.Rendered]:
    template = selectors.template_for(key, channel, client.language)
    assert template is not None, f"no seeded {key}/{channel} template"
    context = selectors.message_context(client=client, invoices=invoices, today=today,
                                        pay_url=PAY_URL)
    return template, rendering.render(subject=template.subject, text=template.text,
                                      html=template.html, context=context)
