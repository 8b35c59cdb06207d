"""The one place the configuration pages send anything: a template's test email to the admin
who asked for it, through Django's mail (the ESP when configured, else the local store)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from clients.business import business
from reminders.rendering import Rendered

TEST_PREFIX = "[Test] "


def test_email_send(*, rendered: Rendered, to: str) -> str:
    """Send ``rendered`` to ``to``; returns where it went, in words."""
    send_mail(subject=TEST_PREFIX + rendered.subject, message=rendered.text,
              from_email=business().from_email, recipient_list=[to],
              html_message=rendered.html or None)
    if settings.ESP:
        return f"Test email sent to {to} through {settings.ESP}."
    return (f"Test email to {to} kept in the local mail store: no ESP is configured, so "
            "nothing left Settle.")
