"""WCAG 2.1 AA contrast of the pay-now page's colours: every text colour in portal.css against
the backgrounds it is used on is at least 4.5:1 (normal text)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

CSS = (Path(settings.BASE_DIR) / "static" / "portal" / "portal.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", CSS))
BACKGROUNDS = {"page": VARIABLES["bg"], "white": "#ffffff"}
TEXT = {name: VARIABLES[name] for name in ("ink", "muted", "accent", "bad", "ok")}
TEXT["note"] = re.search(r"\.note \{ color: (#[0-9a-fA-F]{6})", CSS).group(1)


def luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("text", sorted(TEXT))
@pytest.mark.parametrize("background", sorted(BACKGROUNDS))
def test_text_colours_meet_aa(text, background):
    assert contrast(TEXT[text], BACKGROUNDS[background]) >= 4.5


def test_white_on_the_primary_button_meets_aa():
    assert contrast("#ffffff", VARIABLES["accent"]) >= 4.5
