"""The one text and identifier policy, for every form, serializer and import column.

- **Free text** (a note, a dispute message, an address): any printable character plus newline,
  carriage return and tab; no other control character (NUL above all: PostgreSQL cannot store
  it, and a terminal, a CSV or a log line can be made to lie with the others).
- **A line** (a name, a reason): the same without newlines or tabs.
- **An identifier** (an invoice number, a payment reference, a client reference): printable
  characters only (no control or format character, no line or paragraph separator, no space
  but the plain one) and at most ``IDENTIFIER_MAX_LENGTH`` characters. It travels into file
  names, headers, bank transfer references and the subject of e-mails.
- **An id** (a row's primary key typed into a form or a URL): digits only, from 1 to
  ``ID_MAX``, the largest a 64-bit column (SQLite's INTEGER, PostgreSQL's bigint) holds.

Pure functions: each ``*_problem`` returns a message a person can act on, or None.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

IDENTIFIER_MAX_LENGTH = 64
ID_MAX = 2**63 - 1
FREE_TEXT_WHITESPACE = frozenset("\t\n\r")

_NAMES = {"\x00": "NUL", "\t": "tab", "\n": "line break", "\r": "carriage return",
          "\x1b": "escape", "\x7f": "DEL", "\u2028": "line separator",
          "\u2029": "paragraph separator"}
_DIGITS = re.compile(r"[0-9]{1,19}")


def describe(char: str) -> str:
    """'NUL (U+0000)', 'line break (U+000A)', 'control character U+0007'."""
    code = f"U+{ord(char):04X}"
    name = _NAMES.get(char)
    return f"{name} ({code})" if name else f"control character {code}"


def is_control(char: str) -> bool:
    """C0 and C1 control characters and DEL (Unicode category Cc)."""
    return unicodedata.category(char) == "Cc"


def first_control(text: str, *, allow: frozenset[str] = FREE_TEXT_WHITESPACE) -> str | None:
    """The first control character in ``text`` that is not in ``allow``, or None."""
    for char in text:
        if char not in allow and is_control(char):
            return char
    return None


def text_problem(text: str, *, multiline: bool = True, what: str = "The text") -> str | None:
    """Why ``text`` cannot be stored as free text (``multiline``) or as a single line."""
    allow = FREE_TEXT_WHITESPACE if multiline else frozenset()
    bad = first_control(text, allow=allow)
    if bad is None and not multiline:
        bad = next((c for c in text if c in ("\u2028", "\u2029")), None)
    if bad is None:
        return None
    return (f"{what} contains a {describe(bad)}, which cannot be stored; remove it (paste "
            "the text as plain text) and try again.")


def identifier_problem(text: str, *, what: str = "The number",
                       max_length: int = IDENTIFIER_MAX_LENGTH) -> str | None:
    """Why ``text`` cannot be an identifier: unprintable characters or too long."""
    bad = next((c for c in text if not c.isprintable()), None)
    if bad is not None:
        kind = describe(bad) if is_control(bad) or bad in _NAMES else (
            f"invisible or non-printing character U+{ord(bad):04X}")
        return (f"{what} contains a {kind}; use letters, digits and punctuation only, on "
                "one line.")
    if len(text) > max_length:
        return f"{what} is {len(text)} characters long; use at most {max_length}."
    return None


def printable(text: str, *, limit: int | None = None) -> str:
    """``text`` with every control character (newlines and tabs included) replaced by a
    space, optionally cut to ``limit``: for what a client sends that is only logged or shown,
    such as a browser's User-Agent."""
    cleaned = "".join(" " if is_control(c) else c for c in text)
    return cleaned[:limit] if limit is not None else cleaned


def ascii_digits(value: str) -> bool:
    """Only the digits 0-9 (``str.isdigit`` also says yes to "²" and other scripts' digits,
    which ``int`` then refuses)."""
    return value.isascii() and value.isdigit()


def parse_id(value: object) -> int | None:
    """A primary key typed into a form: ASCII digits, 1 to ID_MAX; anything else is None.
    (``int()`` would accept " 7", other scripts' digits and "1_000", and a 20-digit number
    overflows SQLite.)"""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= ID_MAX else None
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= ID_MAX else None


def parse_ids(values: Iterable[object]) -> list[int] | None:
    """Every value as an id (in order, each once), or None when any of them is not one."""
    ids: dict[int, None] = {}
    for value in values:
        number = parse_id(value)
        if number is None:
            return None
        ids[number] = None
    return list(ids)
