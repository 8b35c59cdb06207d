"""Tests for core.sms: GSM-7 / UCS-2 detection and segment counting."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.sms import (
    GSM_BASIC,
    GSM_EXTENSION,
    Segments,
    count_segments,
    gsm_alternative,
    ucs2_characters,
    ucs2_hint,
)

FAST = settings(max_examples=300, deadline=None, database=None)
CURLY_APOSTROPHE = "\u2019"


def test_character_tables_have_the_gsm_03_38_sizes():
    assert len(GSM_BASIC) == 127  # 128 code points, one of them the escape
    assert len(GSM_EXTENSION) == 10
    assert "\x1b" not in GSM_BASIC
    assert {"\n", "\r", "Ç", "Δ", "¤", "§", "¿", "à", "ß"} <= GSM_BASIC
    assert not {"ç", "á", "ł", "`", CURLY_APOSTROPHE} & GSM_BASIC


def test_empty_text_is_no_segment():
    assert count_segments("") == Segments("GSM-7", 0, 0, 160, 160)


@pytest.mark.parametrize(("length", "segments", "per_segment", "remaining"), [
    (1, 1, 160, 159), (160, 1, 160, 0), (161, 2, 153, 145), (306, 2, 153, 0),
    (307, 3, 153, 152),
])
def test_plain_gsm7(length, segments, per_segment, remaining):
    assert count_segments("a" * length) == Segments("GSM-7", length, segments, per_segment,
                                                    remaining)


@pytest.mark.parametrize("char", ["€", "[", "]", "{", "}", "\\", "^", "~", "|", "\f"])
def test_extension_characters_cost_two_septets(char):
    result = count_segments(f"Pay {char}")
    assert (result.encoding, result.units) == ("GSM-7", 6)


def test_extension_characters_fill_a_single_segment_by_septets():
    assert count_segments("€" * 80) == Segments("GSM-7", 160, 1, 160, 0)
    assert count_segments("€" * 80 + "a").segments == 2
    assert count_segments("[]" * 40 + "a").units == 161


def test_an_extension_character_is_not_split_across_segments():
    # 152 + 2 septets would straddle the 153-septet boundary: the pair moves to segment 2.
    straddling = count_segments("a" * 152 + "€" + "a" * 152)
    assert straddling == Segments("GSM-7", 306, 3, 153, 152)
    assert math.ceil(straddling.units / 153) == 2  # what a naive count would say
    # The same length with the escape fitting inside segment 1 is two full segments.
    assert count_segments("a" * 151 + "€" + "a" * 153) == Segments("GSM-7", 306, 2, 153, 0)
    assert count_segments("a" * 152 + "€" + "a" * 10) == Segments("GSM-7", 164, 2, 153, 141)


@pytest.mark.parametrize("char", ["ł", "ç"])
@pytest.mark.parametrize(("length", "segments", "per_segment", "remaining"), [
    (70, 1, 70, 0), (71, 2, 67, 63), (134, 2, 67, 0), (135, 3, 67, 66),
])
def test_ucs2(char, length, segments, per_segment, remaining):
    assert count_segments(char * length) == Segments("UCS-2", length, segments, per_segment,
                                                     remaining)


def test_one_non_gsm_character_makes_the_whole_text_ucs2():
    assert count_segments("Ç" * 160).encoding == "GSM-7"
    result = count_segments("ç" + "a" * 69)
    assert (result.encoding, result.units, result.segments) == ("UCS-2", 70, 1)
    # In UCS-2 an extension character is one code unit like any other.
    assert count_segments("€ł").units == 2


def test_emoji_is_two_utf16_units_kept_in_one_segment():
    assert count_segments("😀") == Segments("UCS-2", 2, 1, 70, 68)
    assert count_segments("😀" * 35) == Segments("UCS-2", 70, 1, 70, 0)
    assert count_segments("a" * 66 + "😀" + "a" * 3) == Segments("UCS-2", 71, 2, 67, 62)


def test_ucs2_culprits_and_hints():
    text = f"We{CURLY_APOSTROPHE}ve got ç, ł and ç, ok"
    assert ucs2_characters(text) == [CURLY_APOSTROPHE, "ç", "ł"]
    assert ucs2_characters("plain € text") == []
    assert ucs2_hint(CURLY_APOSTROPHE) == (
        f"{CURLY_APOSTROPHE} (curly apostrophe) forces UCS-2: use ' instead")
    assert ucs2_hint("ç") == "ç (latin small letter c with cedilla) forces UCS-2: use c instead"
    assert ucs2_hint("ł") == "ł (latin small letter l with stroke) forces UCS-2"
    assert ucs2_hint("\u00a0").startswith("U+00A0 (non-breaking space)")
    assert gsm_alternative("😀") is None


_GSM_CHARS = sorted(GSM_BASIC | GSM_EXTENSION)
_MIXED = st.sampled_from([*_GSM_CHARS, "ł", "ç", CURLY_APOSTROPHE, "😀", "\u00a0"])
_TEXTS = st.one_of(st.text(_MIXED, max_size=400), st.text(st.sampled_from(_GSM_CHARS),
                                                          max_size=400), st.text(max_size=200))


@FAST
@given(_TEXTS)
def test_segments_never_decrease_as_characters_are_appended(text):
    counts = [count_segments(text[:end]).segments for end in range(len(text) + 1)]
    assert counts == sorted(counts)


@FAST
@given(_TEXTS)
def test_counts_are_consistent(text):
    result = count_segments(text)
    if result.encoding == "GSM-7":
        assert set(text) <= GSM_BASIC | GSM_EXTENSION
        assert result.units == len(text) + sum(char in GSM_EXTENSION for char in text)
        if result.segments == 1:
            assert result.units <= 160
    else:
        assert result.units == len(text.encode("utf-16-le")) // 2
    if result.segments > 1:
        # Each full segment loses at most one unit to a pair that did not fit.
        per = result.per_segment
        assert math.ceil(result.units / per) <= result.segments <= math.ceil(
            result.units / (per - 1))
    assert 0 <= result.remaining < result.per_segment or not text


@FAST
@given(st.text(st.sampled_from(_GSM_CHARS), min_size=1, max_size=160))
def test_gsm7_single_segment_texts_fit_in_160_septets(text):
    result = count_segments(text)
    assert result.encoding == "GSM-7"
    assert (result.segments == 1) == (result.units <= 160)


def test_gsm_friendly_keeps_formatted_amounts_in_gsm7():
    from core.sms import gsm_friendly

    text = "927,31\u00a0€ \u2013 bis 10.\u202fMärz \u201ebitte\u201c \u2019s\u2026"
    assert count_segments(text).encoding == "UCS-2"
    assert gsm_friendly(text) == "927,31 € - bis 10. März \"bitte\" 's..."
    assert count_segments(gsm_friendly(text)).encoding == "GSM-7"
