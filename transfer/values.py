"""Reading one cell: dates in the format the bookkeeper chose, numbers in their locale.

Every parser raises ``ValueError`` with a message that says what was expected, so the dry run
can show it next to the line and column.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, parse_decimal

from core.calendar import date_range_problem
from transfer.reading import DEFAULT_ENCODING, ENCODINGS

DATE_FORMATS = {  # the choice shown → strptime format
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
}
DECIMAL_CHOICES = {  # the choice shown → the Babel locale whose separators it means
    "point": "en",  # 1,234.56
    "comma": "de",  # 1.234,56
}
_CURRENCY_MARKS = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|[€$£¥₹]|\s")


@dataclass(frozen=True)
class Options:
    date_format: str = "YYYY-MM-DD"
    decimal: str = "point"  # "point", "comma", or a locale such as "de_CH"
    encoding: str = DEFAULT_ENCODING  # of a CSV file without a byte-order mark

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Options:
        options = cls(date_format=data.get("date_format") or cls.date_format,
                      decimal=(data.get("decimal") or cls.decimal).strip(),
                      encoding=data.get("encoding") or cls.encoding)
        options.validate()
        return options

    def as_dict(self) -> dict[str, str]:
        return {"date_format": self.date_format, "decimal": self.decimal,
                "encoding": self.encoding}

    def validate(self) -> None:
        if self.date_format not in DATE_FORMATS:
            raise ValueError(f"Unknown date format {self.date_format!r}; choose one of "
                             f"{', '.join(DATE_FORMATS)}.")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"Unknown encoding {self.encoding!r}; choose one of "
                             f"{', '.join(ENCODINGS)}.")
        self.locale  # noqa: B018 - raises for an unknown locale

    @property
    def locale(self) -> str:
        name = DECIMAL_CHOICES.get(self.decimal, self.decimal)
        try:
            Locale.parse(name.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"Unknown locale {self.decimal!r}; give one such as de_DE, "
                             "en_US or fr_CH.") from None
        return name.replace("-", "_")


def text(value: Any) -> str:
    """A cell as text. A quote before = + - @ is how spreadsheets (and Settle's exports) keep
    a cell from running as a formula: it is not part of the value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    result = str(value if value is not None else "").strip()
    if result[:1] == "'" and result[1:2] in ("=", "+", "-", "@"):
        return result[1:]
    return result


def parse_date(value: Any, options: Options, *, today: date | None = None) -> date:
    """A date in the chosen format (or ISO); with ``today``, one Settle accepts as an invoice
    or payment date (``core.calendar.date_range_problem``: 2000-01-01 to ten years ahead)."""
    day = _parse_date(value, options)
    if today is not None and (problem := date_range_problem(day, today)):
        raise ValueError(f"{day.isoformat()} is out of range. {problem}")
    return day


def _parse_date(value: Any, options: Options) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    for fmt in (DATE_FORMATS[options.date_format], "%Y-%m-%d"):  # ISO is never ambiguous
        try:
            return date(*time.strptime(raw, fmt)[:3])
        except ValueError:
            continue
    raise ValueError(f"'{raw[:40]}' is not a date in the format {options.date_format}.")


def parse_decimal_text(value: Any, options: Options, *, what: str = "amount") -> Decimal:
    """A number as written in the file's locale; currency signs and codes around it are
    allowed ("€ 1.234,56", "1,234.56 EUR"). Grouping in the wrong place is an error, not a
    guess: 1,234.56 in a comma-decimal file says so."""
    if isinstance(value, Decimal):
        return value
    raw = text(value)
    cleaned = _CURRENCY_MARKS.sub("", raw)
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    if not cleaned:
        raise ValueError(f"The {what} is empty.")
    group = Locale.parse(options.locale).number_symbols["latn"]["group"]
    if group in "\u2019\u02bc":  # CLDR's Swiss apostrophe; files have the typewriter one
        cleaned = cleaned.replace("'", group)
    try:
        number = parse_decimal(cleaned, locale=options.locale, strict=True)
    except NumberFormatError:
        pass
    else:
        return -number if negative else number
    example = "1,234.56" if Locale.parse(options.locale).number_symbols["latn"][
        "decimal"] == "." else "1.234,56"
    raise ValueError(f"'{raw}' is not a number as written with the decimal separator chosen "
                     f"(e.g. {example}).")
