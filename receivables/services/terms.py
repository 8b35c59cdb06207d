"""Payment terms: the default terms, a client's terms, and the due date they give."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

from clients.models import Client
from core import terms as termsmath
from core.money import (
    MoneyError,
)
from receivables.models import (
    PaymentTerms,
)

DEFAULT_TERMS_NAME = "Net 30"

def money_error(field: str, exc: MoneyError) -> ValidationError:
    return ValidationError({field: str(exc)})

def terms_default() -> PaymentTerms:
    """The terms marked default, created as plain "Net 30" on a fresh install."""
    terms = PaymentTerms.objects.filter(is_default=True).first()
    if terms is None:
        terms, _ = PaymentTerms.objects.get_or_create(
            name=DEFAULT_TERMS_NAME, defaults={"net_days": 30, "is_default": True})
    return terms

def terms_for(client: Client) -> PaymentTerms:
    return client.default_terms or terms_default()

def due_date_for(*, terms: PaymentTerms, issue_date: date) -> date:
    return termsmath.due_date_for(terms.as_rule(), issue_date)
