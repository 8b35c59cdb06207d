"""Hostile message templates (issue 16, item 2): each one saved through the real Configure page
by an admin is refused at save, with a message naming the problem, in under 3 s, nothing
saved; the same template forced into the database (past the form) fails its reminder at send
with the reason, within the render budget (2 s, 200,000 characters for an email) and under
50 MB, while the tick goes on to send the other clients theirs."""

from __future__ import annotations

import re
import time
import tracemalloc
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse

from answers import links
from reminders import rendering
from reminders.models import MessageTemplate, OutboundMessage, Reminder, ReminderStatus
from reminders.selectors import message_context
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, step, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

# The loops of the report: false for the sample client (one invoice), true for a real client
# with two; four loops over the pay link's ~50 characters make ~6 M copies of the name.
NESTED = ("{% if invoice_count > 1 %}" + "{% for x in pay_url %}" * 4 + "{{ client_name }}"
          + "{% endfor %}" * 4 + "{% endif %}")
DOUBLING = ("{% with client_name=client_name|add:client_name %}" * 20 + "{{ client_name }}"
            + "{% endwith %}" * 20)  # 2^20 copies of the name if let run

# (id, the hostile text, what the refusal at save says, what the failed reminder says)
HOSTILE = [
    pytest.param(NESTED, "A {% for %} loop may only go over a list (invoices), not over "
                 "'pay_url', which is text.", "Too large: the message would be longer than "
                 "200,000 characters", id="four-loops-over-the-pay-link-behind-an-if"),
    pytest.param('{{ client_name|ljust:"200000000" }}', 'Too wide: |ljust:200000000 asks for '
                 "more than 200 characters", "Too wide: |ljust:200000000", id="ljust-200M"),
    pytest.param("{% lorem %}", "The {% lorem %} tag is not allowed in message templates: it "
                 "makes up text.", "The {% lorem %} tag is not allowed", id="lorem"),
    pytest.param("{% lorem 100000000 w %}", "The {% lorem %} tag is not allowed",
                 "The {% lorem %} tag is not allowed", id="lorem-100M-words"),
    pytest.param("{% widthratio 1 1 1000000000000 %}", "The {% widthratio %} tag is not "
                 "allowed", "The {% widthratio %} tag is not allowed", id="widthratio"),
    pytest.param('{{ days_overdue|floatformat:"100000000" }}', "Too wide: |floatformat:100000000 "
                 "asks for more than 20 decimal places", "Too wide: |floatformat",
                 id="floatformat-100M-places"),
    pytest.param('{{ days_overdue|stringformat:"0200000000d" }}', 'Too wide: |stringformat:'
                 '"0200000000d"', "Too wide: |stringformat", id="stringformat-200M-wide"),
    pytest.param(DOUBLING, "Too large: |add would make something longer than the 200,000 "
                 "characters", "Too large: |add", id="add-doubling-20-times"),
    pytest.param("{% debug %}", "The {% debug %} tag is not allowed",
                 "The {% debug %} tag is not allowed", id="debug"),
]


@pytest.fixture
def admin(client: Any) -> Any:
    client.force_login(UserFactory(username="ada", role="Admin"))
    return client


@pytest.fixture
def largest(make_invoice: Any) -> Any:
    """A real client owing 25 invoices: the save check renders for them too."""
    customer = ClientFactory(display_name="Großkunde GmbH")
    for n in range(25):
        make_invoice(customer, "50.00", number=f"GK-{n:03d}")
    return customer


@pytest.mark.parametrize(("source", "refusal", "_"), HOSTILE)
def test_a_hostile_template_is_refused_at_save_on_the_configure_page(
        admin: Any, largest: Any, battery: Any, source: str, refusal: str, _: str) -> None:
    template = MessageTemplate.objects.get(key="overdue_7", channel="email", language="de")
    before = (template.subject, template.text, template.html, template.updated_at)
    url = reverse("configure:template", args=[template.pk])
    admin.get(url)  # the page once, so the time below is the save's alone
    battery.tried(f"an admin saves the overdue_7 email (de) with the text {source[:70]!r}… "
                  "on the Configure page, with a real client owing 25 invoices")
    started = time.monotonic()
    response = admin.post(url, {"key": template.key, "channel": template.channel,
                                "language": template.language, "subject": template.subject,
                                "text": source, "html": template.html, "action": "save"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any(refusal in error for error in errors), errors
    template.refresh_from_db()
    assert (template.subject, template.text, template.html, template.updated_at) == before
    assert not LogEntry.objects.exists()
    assert elapsed < 3, elapsed
    battery.held(f"refused in {elapsed:.2f} s (bound 3 s), nothing saved: {errors[0][:110]}")


def test_a_hostile_new_template_is_not_created(admin: Any, battery: Any) -> None:
    before = MessageTemplate.objects.count()
    battery.tried("an admin creates a new email template whose text is four loops over the "
                  "pay link behind an {% if %}")
    response = admin.post(reverse("configure:template-new"), {
        "key": "hostile", "channel": "email", "language": "en", "subject": "Hi",
        "text": NESTED, "html": "", "action": "save"})
    assert response.status_code == 200
    assert "may only go over a list" in response.context["form"].non_field_errors()[0]
    assert MessageTemplate.objects.count() == before
    battery.held("refused, no template created")


@pytest.fixture
def customer(owner: Any) -> Any:
    return ClientFactory(owner=owner, display_name="Müller Bau GmbH")


@pytest.mark.parametrize(("source", "_", "reason"), HOSTILE)
def test_a_hostile_template_in_the_database_fails_its_reminder_and_the_tick_goes_on(
        customer: Any, overdue: Any, battery: Any, source: str, _: str, reason: str) -> None:
    invoices = [overdue(customer, 7), overdue(customer, 7)]  # invoice_count 2: the if is true
    english = ClientFactory(language="en", country="GB", default_currency="GBP")
    other = overdue(english, 7)
    MessageTemplate.objects.filter(key="overdue_7", channel="email", language="de").update(
        text=source)
    battery.tried(f"the overdue_7 email (de) set to {source[:70]!r}… past the form, then one "
                  "tick for a client owing two invoices and another client")
    started = time.monotonic()
    report = tick(NOW)
    elapsed = time.monotonic() - started
    rows = Reminder.objects.filter(invoice__in=invoices, step=step(7))
    assert {row.status for row in rows} == {ReminderStatus.FAILED}
    assert {row.last_error for row in rows} == {rows[0].last_error}
    assert reason in rows[0].last_error, rows[0].last_error
    assert (report.failed, report.sent) == (2, 1)
    [email] = mail.outbox  # the other client still got theirs
    assert email.to == [english.email] and other.number in email.subject
    assert not OutboundMessage.objects.filter(client=customer).exists()
    assert elapsed < 5, elapsed  # the whole tick, database and the other client's email
    seconds, peak = _cost_of_refused_render(customer, invoices, source)
    assert seconds < rendering.EMAIL_LIMITS.seconds and peak < 50_000_000, (seconds, peak)
    battery.held(f"the reminder failed ({rows[0].last_error[:90]}…); the other client's email "
                 f"went out; tick {elapsed:.2f} s; the render alone is refused in "
                 f"{seconds:.2f} s (bound 2 s) with a peak of {peak / 1e6:.1f} MB (bound 50 MB)")


def _cost_of_refused_render(customer: Any, invoices: list[Any], source: str,
                            ) -> tuple[float, int]:
    """Seconds and traced memory peak of rendering ``source`` as the dispatcher does for
    ``customer`` (the real message context, a real pay link's length), refused as it must be
    (the peak in a second render: tracing slows the first)."""
    context = message_context(client=customer, invoices=invoices, today=NOW.date(),
                              pay_url=links.link_url(links.new_token()), language="de")
    parts: dict[str, Any] = {"subject": "Mahnung", "text": source, "html": "",
                             "context": context, "channel": "email"}
    started = time.monotonic()
    with pytest.raises(rendering.TemplateError):
        rendering.render(**parts)
    seconds = time.monotonic() - started
    tracemalloc.start()
    try:
        with pytest.raises(rendering.TemplateError):
            rendering.render(**parts)
        return seconds, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_slow_template_in_the_database_is_stopped_at_the_time_limit(
        customer: Any, overdue: Any, battery: Any, monkeypatch: Any) -> None:
    """Two loops over the invoices with nothing to print: small, but slow for a client owing
    many. The limit is cut to 0.2 s here so that 60 invoices are enough to reach it."""
    monkeypatch.setattr(rendering, "EMAIL_LIMITS",
                        replace(rendering.EMAIL_LIMITS, seconds=0.2))
    invoices = [overdue(customer, 7) for _ in range(60)]
    spin = "{% for i in invoices %}{% if i.number == i.reference %}{% endif %}{% endfor %}"
    MessageTemplate.objects.filter(key="overdue_7", channel="email", language="de").update(
        text="{% for a in invoices %}{% for b in invoices %}" + spin * 40
             + "{% endfor %}{% endfor %}")
    battery.tried("two loops over 60 invoices around 40 more loops that print nothing "
                  "(~8.6 M steps), time limit cut to 0.2 s")
    started = time.monotonic()
    tick(NOW + timedelta(minutes=1))
    elapsed = time.monotonic() - started
    reminder = Reminder.objects.filter(invoice__in=invoices).first()
    assert reminder is not None and reminder.status == ReminderStatus.FAILED
    assert re.match(r"Too slow: rendering took longer than 0.2 s", reminder.last_error)
    assert elapsed < 3, elapsed
    battery.held(f"the reminder failed ({reminder.last_error[:60]}…), tick {elapsed:.2f} s")
