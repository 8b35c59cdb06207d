"""The Content-Security-Policy: no 'unsafe-inline' or 'unsafe-eval' anywhere, and no page needs
them — no inline script, event-handler attribute, <style> block or style attribute in any page a
person sees, Django's admin included. Emails shown in sandboxed frames keep their own styles by
hash (config/csp.py). The browser tests (tests/e2e) also fail on any CSP violation chromium
reports."""

from __future__ import annotations

import re
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from clients.models import Client, Interaction, InteractionChannel, InteractionKind
from clients.services import interaction_record
from infra.csp import style_sources
from receivables.demo import DemoOptions, seed_demo_book
from reminders.tick import reminders_tick

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 2)


class Inline(HTMLParser):
    """Collects what a strict policy would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self._script = True
        for name, value in attrs:
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "action", "src") and (value or "").lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data: str) -> None:
        if self._script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False


def inline_code(html: str) -> list[str]:
    parser = Inline()
    parser.feed(html)
    return parser.found


def strict(policy: str) -> None:
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] in ("'self'", "'none'")
    assert "object-src" in directives and "base-uri" in directives


EMAIL_HTML = ('<div style="font-family: sans-serif; line-height: 1.5"><p>Dear Ada,</p>'
              '<style>p { margin: 0 }</style><p style="color: #333">Invoice 7 is due.</p></div>')


@pytest.fixture
def book() -> Any:
    seed_demo_book(DemoOptions(clients=12, invoices=60, today=TODAY))
    for hour in range(6, 20, 4):  # a few ticks: tasks, letters and timelines to show
        at = datetime(2026, 6, 2, hour, 5, tzinfo=ZoneInfo("UTC"))
        with time_machine.travel(at, tick=False):
            reminders_tick(now=at)
    interaction_record(client=Client.objects.first(), kind=InteractionKind.EMAIL_REMINDER,
                       channel=InteractionChannel.EMAIL, summary="Reminder sent",
                       content={"subject": "Invoice 7", "text": "Invoice 7 is due.",
                                "html": EMAIL_HTML})
    return get_user_model().objects.get(username="admin")


def _pages(user: Any) -> list[str]:
    emailed = Interaction.objects.filter(kind="email_reminder").first()
    client = emailed.client if emailed else Client.objects.first()
    invoice = client.invoices.receivable().first()
    urls = [reverse(name) for name in (
        "desk:dashboard", "desk:worklist", "reminders:tasks", "reminders:print-queue",
        "insights:analytics", "receivables:open-invoices",
        "configure:home", "configure:cadences", "configure:templates", "configure:terms",
        "configure:business", "admin:index", "transfer:index", "api:docs", "api:token")]
    urls.append(reverse("desk:client", args=[client.pk]))
    urls.append(reverse("escalation:collections", args=[client.pk]))
    if invoice is not None:
        urls.append(reverse("desk:client", args=[client.pk]) + f"?preview={invoice.pk}")
    from reminders.models import Cadence, MessageTemplate

    urls.append(reverse("configure:cadence", args=[Cadence.objects.first().pk]))
    urls.append(reverse("configure:template", args=[
        MessageTemplate.objects.filter(channel="email").first().pk]))
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    urls.append(reverse("admin:clients_client_change", args=[client.pk]))
    urls.append(reverse("admin:receivables_payment_add"))
    return urls


def test_every_page_works_under_a_policy_without_unsafe_inline(client, book):
    client.force_login(book)
    checked = 0
    for url in _pages(book):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        strict(policy)
        html = response.content.decode()
        assert inline_code(html) == [], url
        checked += 1
    assert checked > 40


def test_the_login_and_lockout_pages_are_strict(client):
    response = client.get(reverse("login"))
    strict(response["Content-Security-Policy"])
    assert inline_code(response.content.decode()) == []


def test_emails_in_frames_keep_exactly_their_own_styles(client, book):
    client.force_login(book)
    emailed = Interaction.objects.get(kind="email_reminder", content__html=EMAIL_HTML)
    response = client.get(reverse("desk:client", args=[emailed.client_id]))
    policy = response["Content-Security-Policy"]
    strict(policy)
    style_src = re.search(r"style-src ([^;]+)", policy).group(1).split()
    wanted = style_sources([emailed.content["html"]])
    assert len(wanted) == 4 and set(wanted) <= set(style_src)  # 'unsafe-hashes' + 3 styles
    # Only hashes are added: no host, no scheme, no 'unsafe-inline'.
    assert all(s in ("'self'", "'unsafe-hashes'") or s.startswith("'sha256-") for s in style_src)


def test_a_style_hash_covers_attributes_and_style_blocks():
    html = '<div style="color: red">x</div><style>p { margin: 0 }</style>'
    sources = style_sources([html, "", '<p style="color: red">same</p>'])
    # 'unsafe-hashes' (attributes) + one hash per distinct style text.
    assert sources[0] == "'unsafe-hashes'" and len(sources) == 3
    assert style_sources(["<p>plain</p>"]) == []


def test_the_pay_now_page_has_its_own_stricter_policy(client):
    from portal.views import CSP

    assert "script-src 'none'" in CSP
    strict(CSP)


def test_every_model_admin_is_covered():
    # Guard for _pages: a new app's models appear in the admin crawl automatically.
    assert any(m._meta.app_label == "receivables" for m in admin.site._registry)
    assert apps.is_installed("csp")
