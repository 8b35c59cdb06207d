"""Assertions on formatted money that state what matters, not one CLDR release's glyphs.

A formatted amount must show the right digits, the currency, exactly the ISO number of
decimals behind the locale's own decimal symbol and, from 1,000 up, the locale's own grouping
symbol — both read from Babel, so a CLDR update that changes a glyph (de_CH's apostrophe went
from U+2019 to U+0027 in Babel 2.19) does not turn the suite red, while a wrong amount,
currency or number of decimals still does.
"""

from __future__ import annotations

import re

from babel.numbers import get_decimal_symbol, get_group_symbol


def assert_money_text(text: str, *, locale: str, digits: str, decimals: int, currency: str,
                      grouped: bool, negative: bool = False) -> None:
    babel_locale = locale.replace("-", "_")
    decimal_symbol = get_decimal_symbol(babel_locale)
    group_symbol = get_group_symbol(babel_locale)
    assert "".join(ch for ch in text if ch.isdigit()) == digits, text
    assert currency in text, f"{currency!r} not in {text!r}"
    number = re.search(r"\d[\d\D]*\d|\d", text)
    assert number, text
    body = number.group(0)
    if decimals:
        assert re.search(re.escape(decimal_symbol) + rf"\d{{{decimals}}}$", body), \
            f"{text!r}: expected {decimals} decimals after {decimal_symbol!r}"
    else:
        assert decimal_symbol not in body.removesuffix(currency), text
    if grouped:
        assert group_symbol in body, f"{text!r}: no grouping symbol {group_symbol!r}"
    assert ("-" in text or "\u2212" in text) == negative, text
