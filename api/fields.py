"""Money and decimals on the wire: always strings, never JSON numbers.

A JSON number is a binary float to most parsers (Python's included): 0.1 + 0.2 arrives as
0.30000000000000004, and the cents are gone before Settle sees them. Amounts therefore travel
as decimal strings both ways; quantities and tax rates may also be whole JSON numbers (exact),
never fractional ones."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import calendar as cal
from core.money import MoneyError, is_quantized, quantize, to_decimal
from core.text import IDENTIFIER_MAX_LENGTH, identifier_problem
from infra.text import IdentifierValidator, TextValidator

StrOrPromise = str | Promise  # a field's label: a string, or a lazily translated one

_DECIMAL_SCHEMA = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}


@extend_schema_field({**_DECIMAL_SCHEMA, "example": "1190.00"})
class MoneyField(serializers.Field):
    """Read only: an amount as a decimal string at its currency's minor unit ("1190.00",
    "5000" for JPY). ``currency_from`` names the attribute holding the currency code.
    ``exact`` keeps digits below the minor unit (a unit price of "0.0125")."""

    def __init__(self, currency_from: str = "currency", exact: bool = False,
                 **kwargs: Any) -> None:
        self.currency_of = attrgetter(currency_from)
        self.exact = exact
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return super().get_attribute(instance), self.currency_of(instance)

    def to_representation(self, value: tuple[Decimal, str]) -> str:
        amount, currency = value
        if self.exact and not is_quantized(amount, currency):
            return str(amount.normalize())
        return str(quantize(amount, currency))


@extend_schema_field({**_DECIMAL_SCHEMA, "example": "2.5"})
class DecimalStringField(serializers.Field):
    """Read only: a quantity or a rate as a decimal string without trailing zeros ("2.5",
    "19")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        normalized = value.normalize()
        exponent = normalized.as_tuple().exponent
        assert isinstance(exponent, int)  # a letter only for NaN and infinity, never stored
        return str(normalized.quantize(Decimal(1)) if exponent > 0 else normalized)


@extend_schema_field({**_DECIMAL_SCHEMA, "example": "120.50"})
class AmountField(serializers.Field):
    """Write: an amount as a decimal string. JSON numbers are refused, whole or not, so an
    integration that sends floats learns it at once instead of losing a cent one day."""

    default_error_messages = {
        "number": 'Send the amount as a decimal string such as "120.50", not as a JSON number '
                  "(numbers can lose cents on the way).",
        "type": 'Send the amount as a decimal string such as "120.50".',
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("type")
        if not isinstance(data, str):
            self.fail("number")
        return _decimal(data, self.label)

    def to_representation(self, value: Any) -> str:
        return str(value)


@extend_schema_field({**_DECIMAL_SCHEMA, "example": "19"})
class DecimalInputField(serializers.Field):
    """Write: a quantity or a rate, as a decimal string or a whole JSON number; a fractional
    JSON number is refused (it is a float by the time it arrives)."""

    default_error_messages = {
        "float": 'Send fractional numbers as decimal strings such as "0.5", not as JSON '
                 "numbers.",
        "type": 'Send a decimal string such as "1.5" or a whole number.',
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, float):
            self.fail("float")
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("type")
        return _decimal(data, self.label)

    def to_representation(self, value: Any) -> str:
        return str(value)


# --- Text: the policy of core.text (a 400 naming the field and the character) ---------------

class TextField(serializers.CharField):
    """Free text (notes): newlines and tabs allowed, no other control character."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(TextValidator(what="The text", multiline=True))


class LineField(serializers.CharField):
    """One line of text (a name, a description, a reason): no control character at all."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(TextValidator(what="The text", multiline=False))


class IdentifierField(serializers.CharField):
    """An invoice number or a reference: printable, one line, at most 64 characters (the
    limit is a 400 with its message, not DRF's generic one)."""

    def __init__(self, what: str = "The value", max_length: int = IDENTIFIER_MAX_LENGTH,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(IdentifierValidator(what=what, max_length=max_length))


class NamedField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A related object named by a slug (terms by name, a client by reference): the name is
    checked against the identifier policy before it reaches the database (PostgreSQL refuses
    a NUL byte with a 500 otherwise), so a bad one is a 400 saying why."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and (problem := identifier_problem(
                data, what=str(self.label or "The name"), max_length=200)):
            raise serializers.ValidationError(problem)
        return super().to_internal_value(data)


def _decimal(data: str | int, label: StrOrPromise | None) -> Decimal:
    try:
        return to_decimal(data, what=str(label) if label else "Value")
    except MoneyError as exc:
        raise serializers.ValidationError(str(exc)) from None


class QueryTextField(serializers.CharField):
    """A query parameter's free text (a search): anything without a control character, which
    the middleware refuses before the view (tab and line breaks pass); blank means no filter."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


# --- Dates: within the bounds every date the app accepts keeps (core.calendar) ----------------

class BoundedDateField(serializers.DateField):
    """``YYYY-MM-DD`` within bounds, refused with a 400 naming them otherwise:

    - ``"book"``: an invoice or payment date, 2000-01-01 to ten years from today;
    - ``"received"``: money received, 2000-01-01 to tomorrow (the client's today may already
      be tomorrow; the service refuses a day after the client's today);
    - ``"hold"``: the last day of a pause, today to a year from today.

    The schema states the same bounds as a pattern (``api.schema``)."""

    def __init__(self, *, kind: str = "book", **kwargs: Any) -> None:
        assert kind in ("book", "received", "hold")
        self.kind = kind
        super().__init__(**kwargs)

    def bounds(self, today: date) -> tuple[date, date]:
        if self.kind == "hold":
            return today, today + timedelta(days=cal.HOLD_DAYS_AHEAD)
        if self.kind == "received":
            return cal.EARLIEST_DATE, today + timedelta(days=1)
        return cal.EARLIEST_DATE, cal.latest_date(today)

    def to_internal_value(self, value: Any) -> date:
        day: date = super().to_internal_value(value)
        today = timezone.localdate()
        start, end = self.bounds(today)
        if self.kind == "hold":
            problem = ("Choose today or a later day." if day < start
                       else cal.hold_problem(day, today))
        elif self.kind == "received" and day > end:
            problem = "A payment cannot be received in the future."
        else:
            problem = cal.date_range_problem(day, today) if not start <= day <= end else None
        if problem:
            raise serializers.ValidationError(problem)
        return day


class EmailOrBlankField(serializers.CharField):
    """An e-mail address or "" (none known): the model's validation checks the address."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        self.validators.append(TextValidator(what="The e-mail address", multiline=False))
