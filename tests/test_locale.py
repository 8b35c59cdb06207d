"""The gettext catalogues (``locale/<language>/LC_MESSAGES/django.po``: every client-facing
word of the pay-now page, invoices and statements, printed letters and card-payment lines).

Each catalogue compiles with scripts/compile-messages, has no untranslated or fuzzy entry,
keeps the msgid's placeholders, and holds exactly the strings the code marks (extracted with
Babel; with Django's makemessages too where GNU gettext is installed). Our words never change
Django's own translations. Then the words as a client sees them: the pay-now page, an invoice,
a statement, a letter and the card-payment lines in German, French and Spanish."""

from __future__ import annotations

import gettext
import html
import importlib.machinery
import importlib.util
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs

import django
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from django.apps import apps
from django.core.management import call_command

from answers import links
from checkout.services import checkout_start
from receivables import documents, services
from reminders.channels import letter as letters
from tests.checkout.conftest import fake_stripe, stripe_api  # noqa: F401 - fixtures
from tests.factories import ClientFactory, TermsFactory
from tests.reminders.support import TUESDAY

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
SCRIPT = ROOT / "scripts" / "compile-messages"
LANGUAGES = ("de", "fr", "es")
# Where marked strings may live: the project's packages (tests and benchmarks aside).
PACKAGES = sorted(path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()
                  and path.name not in {"tests", "bench"})
# Django's gettext functions, as makemessages passes them to xgettext.
KEYWORDS: dict[str, Any] = {
    "_": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "npgettext_lazy": ((1, "c"), 2, 3)}
COMPILE_HINT = "run: .venv/bin/python scripts/compile-messages"

Key = tuple[str | None, str]  # (context, msgid; the singular for a plural entry)


def catalogue(language: str, locale: Path = LOCALE) -> Catalog:
    with (locale / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle, locale=language, abort_invalid=True)


def key(context: str | None, msgid: str | tuple[str, ...] | list[str]) -> Key:
    return context, msgid if isinstance(msgid, str) else msgid[0]


def keys(catalog: Catalog) -> set[Key]:
    return {key(message.context, message.id) for message in catalog if message.id}


def run_script(*locale_dirs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, locale_dirs)],
                          capture_output=True, text=True, check=False)


def copy_catalogues(target: Path) -> Path:
    """locale/'s .po files (not the .mo) under ``target``."""
    for path in LOCALE.glob("*/LC_MESSAGES/django.po"):
        copy = target / path.relative_to(LOCALE)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    return target


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """scripts/compile-messages as a module: the placeholder check is the script's own."""
    loader = importlib.machinery.SourceFileLoader("compile_messages", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


# --- The catalogues ------------------------------------------------------------------------

def test_there_is_a_catalogue_per_client_language() -> None:
    assert sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/django.po")) == (
        sorted(LANGUAGES))


def test_every_catalogue_compiles(tmp_path: Path) -> None:
    locale = copy_catalogues(tmp_path / "locale")
    result = run_script(locale)
    assert result.returncode == 0, result.stderr
    # (context, msgid): what each language reads; in variables, so makemessages run on the
    # whole tree does not take these lookups for strings to translate.
    words = {(None, "Invoice"): ("Rechnung", "Facture", "Factura"),
             ("invoice or statement", "Total"): ("Gesamtbetrag", "Total TTC", "Total"),
             ("letter", "Total"): ("Gesamt", "Total", "Total")}
    for index, language in enumerate(LANGUAGES):
        with (locale / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        found = {(context, msgid): compiled.pgettext(context, msgid) if context
                 else compiled.gettext(msgid) for context, msgid in words}
        assert found == {word: expected[index] for word, expected in words.items()}


def test_the_compiled_catalogues_in_locale_are_up_to_date(tmp_path: Path) -> None:
    """The app reads locale/*/LC_MESSAGES/django.mo: not committed, compiled at install."""
    locale = copy_catalogues(tmp_path / "locale")
    assert run_script(locale).returncode == 0
    for language in LANGUAGES:
        compiled = LOCALE / language / "LC_MESSAGES" / "django.mo"
        assert compiled.exists(), f"{compiled} is missing: {COMPILE_HINT}"
        fresh = (locale / language / "LC_MESSAGES" / "django.mo").read_bytes()
        assert compiled.read_bytes() == fresh, f"{compiled} is out of date: {COMPILE_HINT}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_untranslated_or_fuzzy_entries(language: str) -> None:
    catalog = catalogue(language)
    assert not catalog.fuzzy, "the header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not (
        all(m.string) if isinstance(m.string, (list, tuple)) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert (untranslated, fuzzy) == ([], [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_msgid(language: str, script: ModuleType) -> None:
    problems = {message.id: script.message_problems(message)
                for message in catalogue(language) if message.id}
    assert {msgid: found for msgid, found in problems.items() if found} == {}


@pytest.mark.parametrize(("msgstr", "problem"), [
    ("Rechnung {nummer}", "placeholders differ"),
    ("Rechnung", "placeholders differ"),
    ("Rechnung {number} {number:", "malformed {...} placeholder"),
])
def test_a_translation_with_other_placeholders_is_refused(tmp_path: Path, msgstr: str,
                                                          problem: str) -> None:
    locale = copy_catalogues(tmp_path / "locale")
    po = locale / "de" / "LC_MESSAGES" / "django.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgstr "Rechnung {number}"' in text
    po.write_text(text.replace('msgstr "Rechnung {number}"', f'msgstr "{msgstr}"'),
                  encoding="utf-8")
    result = run_script(locale)
    assert result.returncode == 1
    assert problem in result.stderr and "'Invoice {number}'" in result.stderr
    assert "de/LC_MESSAGES/django.po" in result.stderr
    assert not list(locale.glob("*/LC_MESSAGES/django.mo")), "nothing is written on error"


@pytest.mark.parametrize(("added", "problem"), [
    ('msgid "Unterminated\nmsgstr ""\n', "malformed string"),
    ('msgid "Invoice"\nmsgstr "Facture"\n', "msgid 'Invoice' is defined twice"),
    ('msgid "A"\nnot a po line\n', "neither a PO keyword nor a string"),
])
def test_a_malformed_catalogue_is_refused(tmp_path: Path, added: str, problem: str) -> None:
    locale = copy_catalogues(tmp_path / "locale")
    po = locale / "fr" / "LC_MESSAGES" / "django.po"
    po.write_text(f"{po.read_text(encoding='utf-8')}\n{added}", encoding="utf-8")
    result = run_script(locale)
    assert result.returncode == 1
    assert "fr/LC_MESSAGES/django.po: malformed catalogue" in result.stderr
    assert problem in result.stderr
    assert not list(locale.glob("*/LC_MESSAGES/django.mo")), "nothing is written on error"


def marked_in_code() -> dict[Key, str]:
    """Every string the project's code marks for translation, with where it is."""
    found: dict[Key, str] = {}
    for package in PACKAGES:
        for filename, lineno, message, _comments, context in extract_from_dir(
                ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS):
            found.setdefault(key(context, message), f"{package}/{filename}:{lineno}")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_has_every_string_the_code_marks_and_no_other(language: str) -> None:
    in_code, in_catalogue = marked_in_code(), keys(catalogue(language))
    assert {"core", "portal", "receivables", "reminders", "checkout"} <= set(PACKAGES)
    assert len(in_code) > 150  # the extraction found the four word lists
    missing = {k: where for k, where in in_code.items() if k not in in_catalogue}
    assert missing == {}, "run manage.py makemessages, then translate"
    assert sorted(in_catalogue - set(in_code), key=str) == [], "strings no code uses"


@pytest.mark.skipif(not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge")),
                    reason="GNU gettext (xgettext, msguniq, msgmerge) is not installed: "
                           "Django's makemessages cannot run; the Babel extraction test "
                           "above checks the same catalogues (apt-get install gettext)")
def test_makemessages_finds_nothing_new(tmp_path: Path, settings: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What `manage.py makemessages -l de -l fr -l es` does, on a copy of the project: the
    merged catalogues have the same entries, all still translated."""
    tree = tmp_path / "project"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
        ".*", "var", "locale", "__pycache__", "*.pyc", "*.mo"))
    copy_catalogues(tree / "locale")
    settings.LOCALE_PATHS = [tree / "locale"]
    monkeypatch.chdir(tree)
    call_command("makemessages", locale=list(LANGUAGES), verbosity=0)
    for language in LANGUAGES:
        merged = catalogue(language, tree / "locale")
        assert keys(merged) == keys(catalogue(language))
        assert [m.id for m in merged if m.id and (m.fuzzy or not m.string)] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_our_words_do_not_change_djangos_own_translations(language: str) -> None:
    """locale/ comes first in Django's lookup: a msgid that Django or an installed app also
    translates, differently, would change their pages too. Such a word needs a context."""
    others = [Path(django.__file__).parent / "conf" / "locale"] + [
        Path(config.path) / "locale" for config in apps.get_app_configs()]
    clashes = []
    for directory in others:
        path = directory / language / "LC_MESSAGES" / "django.mo"
        if not path.exists():
            continue
        with path.open("rb") as handle:
            theirs = gettext.GNUTranslations(handle)
        for message in catalogue(language):
            if not message.id or not isinstance(message.id, str):
                continue
            translated = (theirs.pgettext(message.context, message.id) if message.context
                          else theirs.gettext(message.id))
            if translated not in (message.id, message.string):
                clashes.append((str(path), message.context, message.id, translated,
                                message.string))
    assert clashes == []


# --- What a client sees --------------------------------------------------------------------

PAGE = {
    "de": ["Ihre Rechnungen bei", "Heute insgesamt zu zahlen", "seit 5 Tagen überfällig",
           ">Offen<", "Stimmt mit einer Rechnung etwas nicht?"],
    "fr": ["Vos factures auprès de", "Total à payer aujourd'hui", "en retard de 5 jours",
           ">Solde<", "Un problème avec une facture\u00a0?"],
    "es": ["Sus facturas con", "Total a pagar hoy", "vencida hace 5 días", ">Saldo<",
           "¿Hay algún problema con una factura?"],
    "en": ["Your invoices with", "Total to pay today", "5 days overdue", ">Balance<",
           "Something wrong with an invoice?"],
}


@pytest.mark.django_db
@pytest.mark.usefixtures("at_now")
@pytest.mark.parametrize("language", [*LANGUAGES, "en"])
def test_the_pay_now_page_speaks_the_clients_language_not_the_browsers(
        client: Any, overdue: Any, language: str) -> None:
    customer = ClientFactory(language=language)
    overdue(customer, 5)
    browser = "de" if language == "en" else "en"
    issued = links.link_issue(client=customer)
    response = client.get(f"/p/{issued.token}/", HTTP_ACCEPT_LANGUAGE=browser)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert f'<html lang="{language}">' in page
    assert [text for text in PAGE[language] if text not in page] == []


INVOICE = {
    "de": ["Rechnung INV-", "Rechnungsnr.", "Gesamtbetrag", "Zahlungsinformationen",
           ">Beschreibung<", ">USt.<"],
    "fr": ["Facture INV-", "N° de facture", "Total TTC", "Modalités de paiement",
           ">Désignation<", ">TVA<"],
    "es": ["Factura INV-", "N.º de factura", "Base imponible", "Forma de pago",
           ">Descripción<", ">IVA<"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invoice_is_labelled_in_the_clients_language(make_invoice: Any,
                                                        language: str) -> None:
    customer = ClientFactory(language=language)
    invoice = make_invoice(customer, issue_date=TUESDAY,
                           lines=[services.LineInput("Consulting", "1000.00", tax_rate=19)])
    text = html.unescape(documents.invoice_html(invoice))
    assert [label for label in INVOICE[language] if label not in text] == []
    assert "Invoice no." not in text and "Payment terms" not in text


@pytest.mark.django_db
def test_the_statements_balance_is_not_the_pay_now_pages() -> None:
    """Same English word, two translations: the statement's "Balance" column is the German
    "Saldo", the pay-now page's (what is still open) "Offen"."""
    customer = ClientFactory(language="de")
    statement = documents.statement_for(customer, currency="EUR", start=None, end=TUESDAY,
                                        today=TUESDAY)
    text = html.unescape(documents.statement_html(statement))
    assert "Kontoauszug" in text and ">Saldo<" in text and ">Offen<" not in text


LETTER = {
    "de": ["Offene Rechnungen", "Tage überfällig", "Gesamtbetrag", ">Zinsen<",
           "Zahlungsinformationen", "Online bezahlen"],
    "fr": ["Factures impayées", "Jours de retard", "Total dû", ">Intérêts<",
           "Modalités de paiement", "Payer en ligne"],
    "es": ["Facturas pendientes", "Días de retraso", "Total adeudado", ">Intereses<",
           "Forma de pago", "Pagar en línea"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_letter_is_labelled_in_the_clients_language(make_invoice: Any,
                                                      language: str) -> None:
    customer = ClientFactory(language=language)
    invoice = make_invoice(customer, issue_date=date(2026, 1, 1))
    text = html.unescape(letters.letter_html(
        client=customer, invoices=[invoice], today=TUESDAY, subject="-", body_html="",
        pay_url="https://pay.example.com/p/t0k3n", payment_instructions="",
        language=customer.language))
    assert [label for label in LETTER[language] if label not in text] == []
    assert "Open invoices" not in text and "Days overdue" not in text


CARD = {
    "de": ("Rechnung", "− Skonto", "+ Mahngebühr", "+ Verzugszinsen"),
    "fr": ("Facture", "− escompte", "+ frais de retard", "+ intérêts de retard"),
    "es": ("Factura", "− descuento por pronto pago", "+ recargo por demora",
           "+ intereses de demora"),
}


@pytest.mark.django_db
@pytest.mark.usefixtures("at_now")
@pytest.mark.parametrize("language", LANGUAGES)
def test_card_payment_lines_are_in_the_clients_language(
        settings: Any, make_invoice: Any, stripe_api: Any, fake_stripe: Any,  # noqa: F811
        language: str) -> None:
    """Stripe's payment page names each invoice and what changes its balance: in French and
    Spanish too (these lines were English before the catalogues)."""
    settings.STRIPE_SECRET_KEY = "sk_test_locale"
    customer = ClientFactory(language=language)
    late = make_invoice(customer, "1000.00", issue_date=date(2026, 1, 1), terms=TermsFactory(
        name="Fee and interest", net_days=30, late_fee_percent=Decimal("5"),
        interest_percent=Decimal("1.5")))
    early = make_invoice(customer, "1000.00", issue_date=date(2026, 3, 10), terms=TermsFactory(
        name="2/10 net 30", net_days=30, discount_percent=Decimal("2"), discount_days=10))

    checkout_start(client=customer, invoices=[late, early],
                   success_url="https://settle.example/p/t/?done=paid",
                   cancel_url="https://settle.example/p/t/?done=cancelled")

    body = stripe_api.calls[-1].request.body
    sent = {k: v[0] for k, v in parse_qs(body if isinstance(body, str) else body.decode()).items()}
    item, discount, late_fee, interest = CARD[language]
    product = "line_items[{}][price_data][product_data][{}]"
    assert sent[product.format(0, "name")] == f"{item} {late.number}"
    assert sent[product.format(1, "name")] == f"{item} {early.number}"
    assert late_fee in sent[product.format(0, "description")]
    assert interest in sent[product.format(0, "description")]
    assert discount in sent[product.format(1, "description")]
