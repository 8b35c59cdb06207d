"""Payment terms: the default terms, a client's terms, and the due date they give."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.models import Client
from core import calendar as cal
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

def check_dates(**dates: date | None) -> None:
    """Every invoice or payment date between 2000-01-01 and ten years from today (a field
    error per date out of range): nothing later can overflow the calendar."""
    today = timezone.localdate()
    errors = {name: problem for name, day in dates.items()
              if day is not None and (problem := cal.date_range_problem(day, today))}
    if errors:
        raise ValidationError(errors)


def check_hold(until: date | None) -> None:
    """A pause (or promise) lasts from today to at most a year ahead."""
    if until is None:
        return
    today = timezone.localdate()
    if until < today:
        raise ValidationError({"until": "Choose today or a later day."})
    if problem := cal.hold_problem(until, today):
        raise ValidationError({"until": problem})


def due_date_for(*, terms: PaymentTerms, issue_date: date) -> date:
    return termsmath.due_date_for(terms.as_rule(), issue_date)
