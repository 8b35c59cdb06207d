"""Every language of the pay-now page matches the English reference: every sentence
translated, same placeholders, no empty sentences. The words come from the gettext catalogues
(locale/, compiled by scripts/compile-messages). No database."""

from __future__ import annotations

import re
import string

import pytest

from portal.texts import TEXTS, Texts

LANGUAGES = ["de", "en", "es", "fr"]
# Words that are the same in English: everything else must read differently once translated.
SAME_AS_ENGLISH = {"de": {"bank", "bic", "iban", "pdf"}, "es": {"bic", "iban", "pdf"},
                   "fr": {"bic", "iban", "pdf"}}


def catalogue(language: str) -> dict[str, str]:
    """Every sentence of the page in ``language``, placeholders not filled in."""
    texts = Texts(language)
    return {key: texts.get(key) for key in TEXTS}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_french_and_spanish_are_registered() -> None:
    assert {"en", "de", "fr", "es"} <= {language for language in LANGUAGES
                                        if Texts(language).language == language}


@pytest.mark.parametrize("language", sorted(SAME_AS_ENGLISH))
def test_same_keys_as_english(language: str) -> None:
    """A sentence missing from a catalogue (or left fuzzy) would come out in English."""
    english = catalogue("en")
    same = {key for key, text in catalogue(language).items() if text == english[key]}
    assert same == SAME_AS_ENGLISH[language], (
        f"in English: {sorted(same - SAME_AS_ENGLISH[language])}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_placeholders_as_english(language: str) -> None:
    english = catalogue("en")
    wrong = {key: (placeholders(english[key]), placeholders(text))
             for key, text in catalogue(language).items()
             if placeholders(text) != placeholders(english[key])}
    assert not wrong


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_empty_sentences(language: str) -> None:
    empty = [key for key, text in catalogue(language).items() if not text.strip()]
    assert not empty


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_formats(language: str) -> None:
    texts = Texts(language)
    for key, text in catalogue(language).items():
        values = {name: f"<{name}>" for name in placeholders(text)}
        formatted = texts.get(key, **values)
        assert "{" not in formatted and "}" not in formatted
        for value in values.values():
            assert value in formatted


def test_french_overdue_formats() -> None:
    assert Texts("fr").language == "fr"
    assert Texts("fr").get("overdue", days=3) == "en retard de 3 jours"


def test_spanish_overdue_formats() -> None:
    assert Texts("es").language == "es"
    assert Texts("es").get("overdue", days=3) == "vencida hace 3 días"
    assert Texts("es").get("due_in", days=5) == "vence en 5 días"


def test_french_discount_uses_escompte() -> None:
    text = Texts("fr").get("discount", day="15 mars 2026", amount="20,00 €", total="980,00 €")
    assert "escompte de 20,00 €" in text
    assert "980,00 €" in text


def test_spanish_discount_uses_pronto_pago() -> None:
    text = Texts("es").get("discount", day="15 de marzo de 2026", amount="20,00 €",
                           total="980,00 €")
    assert "descuento por pronto pago de 20,00 €" in text


def test_french_punctuation_has_no_break_space() -> None:
    """French typography: a no-break space before ':', '?', '!' and ';'."""
    french = catalogue("fr")
    bad = {key: text for key, text in french.items()
           if re.search(r"(?<!\u00a0)[:?!;]", text)}
    assert not bad
    plain_space = {key: text for key, text in french.items() if re.search(r" [:?!;]", text)}
    assert not plain_space


def test_unknown_language_falls_back_to_english() -> None:
    assert Texts("xx").language == "en"
    assert Texts("xx").get("overdue", days=3) == "3 days overdue"
