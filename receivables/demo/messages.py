"""The words of the demo history's messages: the seeded message templates, rendered over the
values a reminder had on the day it went out (the balance then, not now).

The engine renders in its sandbox (``reminders.rendering``) over ``message_context``, which
reads today's balances; the history needs each day's, and the demo package cannot import the
engine (a lower layer). So the templates are rendered here with Django's own template engine
over the same variables, filled from the demo's rows. The templates are the seeded ones (the
demo book is made on a fresh install), each compiled once; one that does not render leaves a
plain summary instead, never a failed seed.
"""

from __future__ import annotations

import hashlib
import random
from base64 import urlsafe_b64encode
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import get_currency_name
from django.conf import settings
from django.template import Context, Engine, Template, TemplateSyntaxError

from clients.models import Client
from core.contact import babel_locale
from core.money import format_money
from core.sms import count_segments, gsm_friendly
from receivables.demo.rows import InvoiceRow

LANGUAGES = ("en", "de", "fr", "es")
NEXT_STEP = {"en": "hand the matter to our collections partner",
             "de": "die Forderung an unseren Inkassopartner übergeben",
             "fr": "confier le dossier à notre partenaire de recouvrement",
             "es": "trasladar el asunto a nuestra agencia de cobros"}
TOKEN_BYTES = 16  # as answers.links


@dataclass(frozen=True)
class Source:
    """One template as stored: (key, channel, language) → its parts."""

    subject: str
    text: str
    html: str
    language: str


@dataclass(frozen=True)
class Content:
    language: str
    subject: str
    text: str
    html: str
    segments: int


@dataclass(frozen=True)
class Line:
    """An invoice in a message, with what it owed on the day."""

    invoice: InvoiceRow
    balance: Decimal
    charges: Decimal


def pay_token(rng: random.Random) -> str:
    """A pay-link token shaped like ``answers.links.new_token`` (from the demo's seeded
    random: the book is reproducible, and these links are demo data)."""
    return urlsafe_b64encode(rng.randbytes(TOKEN_BYTES)).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def pay_url(token: str) -> str:
    return f"{settings.SITE_URL}/p/{token}/"


class Composer:
    """Renders the stored templates; ``sources`` maps (key, channel, language) to a template."""

    def __init__(self, sources: dict[tuple[str, str, str], Source], business_name: str) -> None:
        self.sources = sources
        self.business_name = business_name
        self._html = Engine(autoescape=True)
        self._text = Engine(autoescape=False)
        self._compiled: dict[tuple[str, bool], Template | None] = {}
        self._terms: dict[tuple[int, str], str] = {}
        self._money: dict[tuple[Decimal, str, str], str] = {}

    def source(self, key: str, channel: str, language: str) -> Source | None:
        """selectors.template_for, and compose.template_for_step's letter fallback (a letter
        without its own template prints the email's HTML body)."""
        for wanted in ((channel,) if channel != "letter" else ("letter", "email")):
            found = (self.sources.get((key, wanted, language))
                     or self.sources.get((key, wanted, "en")))
            if found is not None:
                return found
        return None

    def _template(self, text: str, html: bool) -> Template | None:
        if (text, html) not in self._compiled:
            try:
                self._compiled[text, html] = (self._html if html else self._text).from_string(
                    text) if text else None
            except TemplateSyntaxError:
                self._compiled[text, html] = None
        return self._compiled[text, html]

    def _render(self, text: str, context: dict[str, Any], html: bool) -> str:
        template = self._template(text, html)
        if template is None:
            return ""
        try:
            return template.render(Context(context, autoescape=html)).strip()
        except Exception:  # a template edited by hand: the plain summary stands in
            return ""

    def compose(self, *, client: Client, key: str, channel: str, tone: str,
                lines: Sequence[Line], owed: dict[str, Decimal], today: date, url: str,
                ) -> Content:
        """The message as ``reminders.channels.compose.render_message`` shapes it."""
        found = self.source(key, channel, client.language)
        language = found.language if found else "en"
        context = self.context(client=client, lines=lines, owed=owed, today=today, url=url,
                               tone=tone, language=language)
        if channel == "letter":  # the letter prints how to pay in its own section
            context["payment_instructions"] = ""
        subject = self._render(found.subject, context, False) if found else ""
        text = self._render(found.text, context, False) if found and channel != "letter" \
            else ""
        html = self._render(found.html, context, True) if found and channel in (
            "email", "letter") else ""
        numbers = context["invoice_numbers"]
        if channel == "sms":
            text = gsm_friendly(text or f"{self.business_name}: {context['amount_due']} "
                                        f"({numbers}). {url}").strip()
            return Content(language, "", text, "", count_segments(text).segments)
        if not subject:
            subject = f"{numbers}: {context['amount_due']}"
        if channel == "email" and not text:
            text = f"{subject}\n\n{url}"
        return Content(language, subject[:300], text, html, 0)

    def money(self, amount: Decimal, currency: str, locale: str) -> str:
        """format_money, once per amount (an invoice's balance recurs message after message)."""
        key = (amount, currency, locale)
        if key not in self._money:
            self._money[key] = format_money(amount, currency, locale)
        return self._money[key]

    def _terms_summary(self, invoice: InvoiceRow, locale: str) -> str:
        key = (invoice.terms.pk, locale)
        if key not in self._terms:
            self._terms[key] = invoice.terms.summary(locale)
        return self._terms[key]

    def context(self, *, client: Client, lines: Sequence[Line], owed: dict[str, Decimal],
                today: date, url: str, tone: str, language: str) -> dict[str, Any]:
        """selectors.message_context's variables, from the day's balances."""
        locale = babel_locale(language, client.country)
        day = _day_text(locale)
        invoices = [line.invoice for line in lines]
        rows = [{"number": i.number, "reference": i.reference, "currency": i.currency,
                 "amount_due": self.money(line.balance, i.currency, locale),
                 "due_date": day(i.due_date), "days_overdue": max(0, (today - i.due_date).days)}
                for line, i in zip(lines, invoices, strict=True)]
        currencies = sorted({i.currency for i in invoices})

        def per_currency(amounts: dict[str, Decimal]) -> str:
            shown = [self.money(total, c, locale) for c, total in sorted(amounts.items())
                     if total]
            return format_list(shown, locale=locale) if shown else ""

        def sums(attribute: str, among: Sequence[Line] = lines) -> dict[str, Decimal]:
            found: dict[str, Decimal] = {}
            for line in among:
                cur = line.invoice.currency
                found[cur] = found.get(cur, Decimal(0)) + getattr(line, attribute)
            return found

        first = invoices[0]
        return {
            "business_name": self.business_name,
            "contact_name": client.contact_name or client.display_name,
            "client_name": client.display_name,
            "invoice_numbers": ", ".join(i.number for i in invoices),
            "invoices": rows,
            # Computed only when a template asks (Django calls a callable value).
            "sections": lambda: [
                {"currency": c, "currency_name": get_currency_name(c, locale=locale),
                 "invoices": [r for r in rows if r["currency"] == c],
                 "amount_due": per_currency(sums("balance", [
                     ln for ln in lines if ln.invoice.currency == c])),
                 "total_outstanding": self.money(owed.get(c, Decimal(0)), c, locale)}
                for c in currencies],
            "currencies": currencies,
            "invoice_count": len(invoices),
            "reference": ", ".join(sorted({i.reference for i in invoices if i.reference})),
            "amount_due": per_currency(sums("balance")) or self.money(
                Decimal(0), first.currency, locale),
            "total_outstanding": per_currency(owed) or self.money(
                Decimal(0), first.currency, locale),
            "due_date": day(min(i.due_date for i in invoices)),
            "days_overdue": max(r["days_overdue"] for r in rows),
            "discount_deadline": "", "discount_amount": "", "amount_with_discount": "",
            "fees_accrued": lambda: per_currency(sums("charges")),
            "interest_accrued": "",
            "terms_summary": lambda: self._terms_summary(first, locale),
            "pay_url": url,
            "payment_instructions": settings.SETTLE_PAYMENT_INSTRUCTIONS.format(
                reference=", ".join(i.number for i in invoices[:3]) if len(invoices) <= 3
                else client.reference),
            "history_line": "",
            "next_step": NEXT_STEP.get(language, NEXT_STEP["en"]),
            "tone": tone,
            "deadline": lambda: day(today + timedelta(days=14)),
            "instalment_number": "", "instalment_count": "", "instalment_amount": "",
            "instalment_due_date": "", "plan_remaining": "",
        }


@cache
def _day_text(locale: str) -> Any:
    @cache
    def day(value: date) -> str:
        return format_date(value, format="long", locale=locale)
    return day

