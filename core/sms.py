"""SMS length: how many segments a text is billed as, in GSM-7 or UCS-2 (3GPP TS 23.038).

Handwritten rather than a dependency: the PyPI packages near this are codecs (gsm0338,
smspdudecoder) that do not count segments, or splitters that are unmaintained (smsutil, last
release 2020) or unproven (sms-counter 0.0.1). The rules are small and pinned down by tests.

A text that uses only the GSM 03.38 basic set and its extension table is sent as GSM-7: 160
septets in one SMS, or 153 per segment once a user-data header is needed, with each extension
character costing 2 septets (escape + char) that are never split across segments. Any other
character makes the whole message UCS-2: 70 UTF-16 code units, or 67 per segment; a character
outside the BMP (most emoji) is a surrogate pair of 2 units, also kept in one segment, as the
SMS providers do so that no handset shows half an emoji.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The basic character set in code order (0x00-0x7F), without 0x1B, the escape to the extension
# table.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"
    "ÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through the escape: each costs 2 septets.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}

# Look-alikes that word processors and phones put into text, with the GSM character to type.
_LOOKALIKES: dict[str, tuple[str, str]] = {
    "\u2019": ("curly apostrophe", "'"),
    "\u2018": ("curly apostrophe", "'"),
    "\u201a": ("low curly apostrophe", "'"),
    "\u00b4": ("acute accent", "'"),
    "`": ("backtick", "'"),
    "\u201c": ("curly quote", '"'),
    "\u201d": ("curly quote", '"'),
    "\u201e": ("low curly quote", '"'),
    "\u00ab": ("guillemet", '"'),
    "\u00bb": ("guillemet", '"'),
    "\u2013": ("en dash", "-"),
    "\u2014": ("em dash", "-"),
    "\u2212": ("minus sign", "-"),
    "\u2026": ("ellipsis", "..."),
    "\u00a0": ("non-breaking space", "a plain space"),
    "\u202f": ("narrow non-breaking space", "a plain space"),
    "\t": ("tab", "a plain space"),
    "\u2022": ("bullet", "-"),
}


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for an empty text
    per_segment: int  # 160/153 (GSM-7) or 70/67 (UCS-2), as applied
    remaining: int  # units still free in the last segment


def is_gsm7(char: str) -> bool:
    return char in GSM_BASIC or char in GSM_EXTENSION


def _unit_costs(text: str) -> tuple[str, list[int]]:
    if all(is_gsm7(char) for char in text):
        return GSM7, [2 if char in GSM_EXTENSION else 1 for char in text]
    return UCS2, [2 if ord(char) > 0xFFFF else 1 for char in text]


def count_segments(text: str) -> Segments:
    """The encoding, length and segment count of ``text`` as one SMS (possibly concatenated)."""
    encoding, costs = _unit_costs(text)
    single, multi = _LIMITS[encoding]
    units = sum(costs)
    if units == 0:
        return Segments(encoding, 0, 0, single, single)
    if units <= single:
        return Segments(encoding, units, 1, single, single - units)
    # Fill segments greedily; a 2-unit character that does not fit moves whole to the next
    # one, leaving a unit unused, so this can exceed ceil(units / multi).
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return Segments(encoding, units, segments, multi, multi - used)


def ucs2_characters(text: str) -> list[str]:
    """The characters that force ``text`` into UCS-2, each once, in order of appearance."""
    return list(dict.fromkeys(char for char in text if not is_gsm7(char)))


def gsm_alternative(char: str) -> str | None:
    """What to type instead of ``char`` to stay in GSM-7, if there is an obvious choice."""
    if char in _LOOKALIKES:
        return _LOOKALIKES[char][1]
    base = unicodedata.normalize("NFKD", char)[:1]
    if base and base != char and base in GSM_BASIC:
        return base  # an accented letter without its accent: ç -> c
    return None


def ucs2_hint(char: str) -> str:
    """E.g. "\u2019 (curly apostrophe) forces UCS-2: use ' instead"."""
    name = _LOOKALIKES[char][0] if char in _LOOKALIKES else unicodedata.name(
        char, f"U+{ord(char):04X}").lower()
    shown = char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
    hint = f"{shown} ({name}) forces UCS-2"
    alternative = gsm_alternative(char)
    return f"{hint}: use {alternative} instead" if alternative else hint


# Typographic characters our own formatting produces (Babel puts no-break spaces in amounts and
# dates) that have a plain GSM-7 twin: swapping them keeps a whole SMS in GSM-7, which holds
# more than twice as many characters per segment as UCS-2.
_TYPOGRAPHIC = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
                              "\u2011": "-", "\u2013": "-", "\u2014": "-", "\u2018": "'",
                              "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"',
                              "\u201e": '"', "\u2026": "..."})


def gsm_friendly(text: str) -> str:
    """``text`` with typographic spaces, dashes, quotes and ellipses made plain."""
    return text.translate(_TYPOGRAPHIC)
