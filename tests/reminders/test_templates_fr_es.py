"""French and Spanish message templates (issue 15, item 9): every step and channel the English
templates cover exists in both languages, uses the same variables and tags, renders, stays in
GSM-7 within the English SMS's segments, carries no English sign-off; the data migration adds
them without touching an admin's edits; a French client's reminder goes out in French."""

import importlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core import mail

from core.sms import GSM7, count_segments
from reminders.defaults import TEMPLATES
from reminders.models import MessageTemplate, OutboundMessage
from reminders.rendering import SAMPLE_CONTEXT, render, validate_template
from tests.factories import ClientFactory
from tests.reminders.rendering_support import ISSUED, render_seeded
from tests.reminders.support import NOW, tick

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "es")
# The English greetings and sign-offs, none of which may show in a translation.
ENGLISH_PHRASES = ("Kind regards", "Yours sincerely", "Best regards", "Dear ", "Hello ")
ENGLISH_TABLE_HEADERS = ("<th>Invoice</th>", "<th>Due</th>", "<th>Amount</th>")
# Every optional block shown: the discount, fees and interest lines render too.
FULL_CONTEXT = {**SAMPLE_CONTEXT, "discount_amount": "€59.50", "discount_deadline": "1 March 2026",
                "amount_with_discount": "€1,130.50", "fees_accrued": "€40.00",
                "interest_accrued": "€3.12"}
# Where a translation deliberately reads another variable than the English: "días" is not
# GSM-7, so the Spanish SMS gives the due date instead of the days overdue (one segment, not
# two in UCS-2).
VARIABLE_SWAPS = {("overdue_14", "sms", "es"): {"days_overdue": "due_date"}}

ENGLISH = [(key, channel) for key, languages in TEMPLATES.items()
           for channel in languages["en"]]
TRANSLATED = [(key, channel, language) for key, channel in ENGLISH for language in LANGUAGES]
SMS_KEYS = [key for key, channel in ENGLISH if channel == "sms"]


def _tags(source: str) -> list[str]:
    """The template's {{ }} and {% %} tags, quoted literals blanked ('none' / 'aucun')."""
    return sorted(re.sub(r"'[^']*'|\"[^\"]*\"", "''", " ".join(body.split()))
                  for body in re.findall(r"\{[{%](.*?)[}%]\}", source, re.S))


def _sms(key: str, language: str) -> str:
    return render(subject="", text=TEMPLATES[key][language]["sms"][1], html="",
                  context=SAMPLE_CONTEXT).text.strip()


# --- Coverage --------------------------------------------------------------------------------

def test_every_english_template_has_french_and_spanish_twins():
    for key, languages in TEMPLATES.items():
        for language in LANGUAGES:
            assert set(languages.get(language, {})) == set(languages["en"]), (key, language)


def test_the_french_and_spanish_templates_are_seeded():
    seeded = set(MessageTemplate.objects.filter(language__in=LANGUAGES)
                 .values_list("key", "channel", "language"))
    assert seeded == set(TRANSLATED)


@pytest.mark.parametrize(("key", "channel", "language"), TRANSLATED)
def test_same_variables_and_tags_as_english(key, channel, language):
    swaps = VARIABLE_SWAPS.get((key, channel, language), {})
    english, translated = TEMPLATES[key]["en"][channel], TEMPLATES[key][language][channel]
    for part, source, ours in zip(("subject", "text", "html"), english, translated,
                                  strict=True):
        expected = sorted(swaps.get(tag, tag) for tag in _tags(source))
        assert _tags(ours) == expected, (part, key, channel, language)


# --- Rendering -------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "channel", "language"), TRANSLATED)
def test_renders_with_the_sample_context_without_english(key, channel, language):
    subject, text, html = TEMPLATES[key][language][channel]
    validate_template(subject=subject, text=text, html=html)
    MessageTemplate(key=key, channel=channel, language=language, subject=subject, text=text,
                    html=html).clean()
    for context in (SAMPLE_CONTEXT, FULL_CONTEXT):
        out = render(subject=subject, text=text, html=html, context=context)
        for part in (out.subject, out.text, out.html):
            for phrase in ENGLISH_PHRASES:
                assert phrase not in part, (phrase, key, channel, language)
        for header in ENGLISH_TABLE_HEADERS:
            assert header not in out.html
        assert "MISSING" not in out.text + out.html + out.subject
        if channel in ("email", "letter"):
            assert out.subject and SAMPLE_CONTEXT["business_name"] in out.html
        if channel == "email":
            assert out.text.rstrip().endswith(SAMPLE_CONTEXT["business_name"])


def test_optional_blocks_are_translated_too():
    fr = render(subject="", text=TEMPLATES["overdue_14"]["fr"]["email"][1], html="",
                context={**FULL_CONTEXT, "interest_accrued": ""}).text
    assert "Frais à ce jour : €40.00 ; intérêts : aucun (Net 30)." in fr
    es = render(subject="", text=TEMPLATES["pre_due"]["es"]["email"][1], html="",
                context=FULL_CONTEXT).text
    assert "Si paga a más tardar el 1 March 2026, se ahorrará €59.50." in es


@pytest.mark.parametrize("key", SMS_KEYS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_stays_gsm7_within_the_english_segment_count(key, language):
    english, translated = count_segments(_sms(key, "en")), count_segments(_sms(key, language))
    assert translated.encoding == GSM7, _sms(key, language)
    assert translated.segments <= english.segments, (translated, english)
    assert SAMPLE_CONTEXT["pay_url"] in _sms(key, language)


@pytest.mark.usefixtures("render_day")
@pytest.mark.parametrize(("language", "country", "expected"), [
    ("fr", "FR", ["Mise en demeure de payer : ", "Madame, Monsieur,",
                  "nous vous mettons en demeure de nous régler l'intégralité de cette somme au "
                  "plus tard le 26 décembre 2026.",
                  "nous nous verrons contraints de confier le dossier à notre partenaire de "
                  "recouvrement.", "(30 jours de retard)",
                  "l'expression de nos salutations distinguées.\nSettle Demo Ltd\n"]),
    ("es", "ES", ["Requerimiento formal de pago: ", "Estimado/a Erika Mustermann:",
                  "le requerimos formalmente el pago de la totalidad de dicho importe a más "
                  "tardar el 26 de diciembre de 2026.",
                  "nos veremos obligados a trasladar el asunto a nuestra agencia de cobros.",
                  "(30 días de retraso)", "Atentamente,\nSettle Demo Ltd\n"]),
])
def test_letter_of_demand_is_formal_in_the_clients_locale(make_invoice, language, country,
                                                          expected):
    client = ClientFactory(language=language, country=country)
    invoice = make_invoice(client, "927.31", issue_date=ISSUED)
    today = invoice.due_date + timedelta(days=30)  # 12 December 2026
    template, out = render_seeded(client, [invoice], "demand_30", today=today)
    assert template.language == language
    text = out.subject + "\n" + out.text
    for phrase in expected:
        assert phrase in text, phrase
    assert "927,31" in out.text and "927.31" not in out.text
    _, letter = render_seeded(client, [invoice], "demand_30", channel="letter", today=today)
    assert letter.subject == expected[0].rstrip(": ")
    assert "Sincerely" not in letter.html and "collections partner" not in letter.html


# --- The data migration ----------------------------------------------------------------------

def test_migration_adds_missing_templates_and_keeps_edited_ones():
    migration = importlib.import_module(
        "reminders.migrations.0014_french_and_spanish_templates")
    MessageTemplate.objects.filter(key="overdue_7", language="es").delete()
    MessageTemplate.objects.filter(key="overdue_7", channel="email", language="fr").update(
        subject="Notre propre objet")
    migration.install(apps, None)
    migration.install(apps, None)  # idempotent
    assert MessageTemplate.objects.get(
        key="overdue_7", channel="email", language="fr").subject == "Notre propre objet"
    restored = MessageTemplate.objects.get(key="overdue_7", channel="email", language="es")
    assert restored.subject == TEMPLATES["overdue_7"]["es"]["email"][0]
    assert MessageTemplate.objects.filter(language__in=LANGUAGES).count() == len(TRANSLATED)


# --- End to end ------------------------------------------------------------------------------

@pytest.mark.usefixtures("at_now")
def test_french_client_gets_the_overdue_email_in_french(owner: Any, overdue: Any):
    client = ClientFactory(language="fr", country="FR", timezone="Europe/Paris", owner=owner)
    invoice = overdue(client, 7)
    report = tick(NOW)
    assert (report.sent, report.errors) == (1, [])
    [email] = mail.outbox
    message = OutboundMessage.objects.get()
    assert (message.channel, message.language) == ("email", "fr")
    assert email.subject == f"Rappel : facture {invoice.number} en attente de règlement"
    assert email.body.startswith("Bonjour Erika Mustermann,\n\nSauf erreur de notre part")
    assert "échue le 10 mars 2026" in email.body
    assert "927,31" in email.body and "927.31" not in email.body
    assert email.body.endswith("Cordialement,\nSettle Demo Ltd\n")
    [(html, _)] = email.alternatives
    assert "<th>Facture</th>" in html and "Cordialement," in html
    for english in ("Following up", "Hello", "Kind regards", "due on", "March"):
        assert english not in email.body and english not in html
