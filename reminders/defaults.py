"""The seeded default cadence and its message templates (English and German), from the domain
articles: a friendly nudge before the due date, a reminder on the day, a polite follow-up after
a week, a firmer one offering a payment plan after two, a call for high-value clients at three
weeks, a formal letter of demand naming the next step at 30 days, collections at 45.

Plain data, loaded by a data migration and editable in the admin afterwards.
"""

from __future__ import annotations

DEFAULT_CADENCE = "Standard"

# (name, offset_days, channel, template_key, tone, actions, only_tags)
DEFAULT_STEPS: list[tuple[str, int, str, str, str, list[str], list[str]]] = [
    ("Friendly nudge", -3, "preferred", "pre_due", "friendly", ["send_message"], []),
    ("Due today", 0, "preferred", "due_today", "friendly", ["send_message"], []),
    ("Polite follow-up", 7, "preferred", "overdue_7", "friendly", ["send_message"], []),
    ("Firmer, offers a plan", 14, "preferred", "overdue_14", "firm",
     ["send_message", "apply_late_fee"], []),
    ("Call high-value clients", 21, "call", "call_21", "firm", ["create_call_task"],
     ["high-value"]),
    ("Letter of demand", 30, "letter", "demand_30", "final",
     ["send_message", "start_interest", "mark_escalated"], []),
    ("Hand to collections", 45, "call", "collections_45", "final",
     ["hand_to_collections", "create_call_task"], []),
]

_EN_SIGN = "\n\nKind regards,\n{{ business_name }}"
_DE_SIGN = "\n\nMit freundlichen Grüßen\n{{ business_name }}"
_EN_LIST = ("{% for i in invoices %}- {{ i.number }}{% if i.reference %} ({{ i.reference }})"
            "{% endif %}: {{ i.amount_due }}, due {{ i.due_date }}\n{% endfor %}")
_DE_LIST = ("{% for i in invoices %}- {{ i.number }}{% if i.reference %} ({{ i.reference }})"
            "{% endif %}: {{ i.amount_due }}, fällig am {{ i.due_date }}\n{% endfor %}")
_HTML_LIST = ("<table><tr><th>Invoice</th><th>Reference</th><th>Due</th><th>Amount</th></tr>"
              "{% for i in invoices %}<tr><td>{{ i.number }}</td><td>{{ i.reference }}</td>"
              "<td>{{ i.due_date }}</td><td>{{ i.amount_due }}</td></tr>{% endfor %}</table>")


def _html(paragraphs: list[str], sign: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<div style=\"font-family: sans-serif; line-height: 1.5\">{body}{_HTML_LIST}"
            f"<p><a href=\"{{{{ pay_url }}}}\">{{{{ pay_url }}}}</a></p><p>{sign}</p></div>")


# key -> language -> channel -> (subject, text, html)
TEMPLATES: dict[str, dict[str, dict[str, tuple[str, str, str]]]] = {
    "pre_due": {
        "en": {
            "email": (
                "Friendly reminder: invoice {{ invoice_numbers }} is due on {{ due_date }}",
                "Hello {{ contact_name }},\n\njust a friendly note that {{ amount_due }} is due "
                "on {{ due_date }}. {{ history_line }}\n\n" + _EN_LIST
                + "{% if discount_amount %}\nPay by {{ discount_deadline }} and you save "
                "{{ discount_amount }}.\n{% endif %}\nPay or view the invoice: {{ pay_url }}\n"
                "{{ payment_instructions }}" + _EN_SIGN,
                _html(["Hello {{ contact_name }},",
                       "just a friendly note that <strong>{{ amount_due }}</strong> is due on "
                       "{{ due_date }}. {{ history_line }}"], "Kind regards, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} for {{ invoice_numbers }} is due "
                        "{{ due_date }}. Pay: {{ pay_url }}", ""),
        },
        "de": {
            "email": (
                "Freundliche Erinnerung: Rechnung {{ invoice_numbers }} ist am {{ due_date }} "
                "fällig",
                "Guten Tag {{ contact_name }},\n\nnur eine freundliche Erinnerung: "
                "{{ amount_due }} sind am {{ due_date }} fällig. {{ history_line }}\n\n"
                + _DE_LIST + "{% if discount_amount %}\nBei Zahlung bis {{ discount_deadline }} "
                "sparen Sie {{ discount_amount }}.\n{% endif %}\nRechnung ansehen und bezahlen: "
                "{{ pay_url }}\n{{ payment_instructions }}" + _DE_SIGN,
                _html(["Guten Tag {{ contact_name }},",
                       "nur eine freundliche Erinnerung: <strong>{{ amount_due }}</strong> sind "
                       "am {{ due_date }} fällig. {{ history_line }}"],
                      "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} für {{ invoice_numbers }} fällig "
                        "am {{ due_date }}. Zahlen: {{ pay_url }}", ""),
        },
    },
    "due_today": {
        "en": {
            "email": (
                "Invoice {{ invoice_numbers }} is due today",
                "Hello {{ contact_name }},\n\n{{ amount_due }} is due today. {{ history_line }}"
                "\n\n" + _EN_LIST + "\nPay in a minute: {{ pay_url }}\n{{ payment_instructions }}"
                + _EN_SIGN,
                _html(["Hello {{ contact_name }},",
                       "<strong>{{ amount_due }}</strong> is due today. {{ history_line }}"],
                      "Kind regards, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} ({{ invoice_numbers }}) is due "
                        "today. Pay: {{ pay_url }}", ""),
        },
        "de": {
            "email": (
                "Rechnung {{ invoice_numbers }} ist heute fällig",
                "Guten Tag {{ contact_name }},\n\nheute sind {{ amount_due }} fällig. "
                "{{ history_line }}\n\n" + _DE_LIST + "\nJetzt bezahlen: {{ pay_url }}\n"
                "{{ payment_instructions }}" + _DE_SIGN,
                _html(["Guten Tag {{ contact_name }},",
                       "heute sind <strong>{{ amount_due }}</strong> fällig. {{ history_line }}"],
                      "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} ({{ invoice_numbers }}) heute "
                        "fällig. Zahlen: {{ pay_url }}", ""),
        },
    },
    "overdue_7": {
        "en": {
            "email": (
                "Following up: invoice {{ invoice_numbers }}",
                "Hello {{ contact_name }},\n\nwe haven't received {{ amount_due }} yet, which "
                "was due on {{ due_date }}. It may simply have slipped through. "
                "{{ history_line }}\n\n" + _EN_LIST + "\nPay or tell us if something is wrong:"
                " {{ pay_url }}\n{{ payment_instructions }}" + _EN_SIGN,
                _html(["Hello {{ contact_name }},",
                       "we haven't received <strong>{{ amount_due }}</strong> yet, which was due"
                       " on {{ due_date }}. It may simply have slipped through. "
                       "{{ history_line }}"], "Kind regards, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} ({{ invoice_numbers }}) was due "
                        "{{ due_date }}. Pay or reply: {{ pay_url }}", ""),
        },
        "de": {
            "email": (
                "Nachfrage zu Rechnung {{ invoice_numbers }}",
                "Guten Tag {{ contact_name }},\n\nwir haben {{ amount_due }}, fällig am "
                "{{ due_date }}, noch nicht erhalten. Vielleicht ist es nur untergegangen. "
                "{{ history_line }}\n\n" + _DE_LIST + "\nBezahlen oder uns Bescheid geben: "
                "{{ pay_url }}\n{{ payment_instructions }}" + _DE_SIGN,
                _html(["Guten Tag {{ contact_name }},",
                       "wir haben <strong>{{ amount_due }}</strong>, fällig am {{ due_date }}, "
                       "noch nicht erhalten. {{ history_line }}"],
                      "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} ({{ invoice_numbers }}) war am "
                        "{{ due_date }} fällig. Zahlen: {{ pay_url }}", ""),
        },
    },
    "overdue_14": {
        "en": {
            "email": (
                "Overdue: invoice {{ invoice_numbers }} ({{ days_overdue }} days)",
                "Hello {{ contact_name }},\n\n{{ amount_due }} is now {{ days_overdue }} days "
                "overdue. {{ history_line }} Please pay it, or if paying at once is difficult, "
                "propose a payment plan on the page below and we will find a way together.\n\n"
                + _EN_LIST + "{% if fees_accrued or interest_accrued %}\nFees so far: "
                "{{ fees_accrued|default:'none' }}; interest: "
                "{{ interest_accrued|default:'none' }} ({{ terms_summary }}).\n{% endif %}\n"
                "{{ pay_url }}\n{{ payment_instructions }}" + _EN_SIGN,
                _html(["Hello {{ contact_name }},",
                       "<strong>{{ amount_due }}</strong> is now {{ days_overdue }} days overdue."
                       " {{ history_line }} Please pay it, or propose a payment plan and we will"
                       " find a way together."], "Kind regards, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} is {{ days_overdue }} days "
                        "overdue. Pay or propose a plan: {{ pay_url }}", ""),
        },
        "de": {
            "email": (
                "Überfällig: Rechnung {{ invoice_numbers }} ({{ days_overdue }} Tage)",
                "Guten Tag {{ contact_name }},\n\n{{ amount_due }} sind seit {{ days_overdue }} "
                "Tagen überfällig. {{ history_line }} Bitte begleichen Sie den Betrag oder "
                "schlagen Sie auf der Seite unten eine Ratenzahlung vor.\n\n" + _DE_LIST
                + "\n{{ pay_url }}\n{{ payment_instructions }}" + _DE_SIGN,
                _html(["Guten Tag {{ contact_name }},",
                       "<strong>{{ amount_due }}</strong> sind seit {{ days_overdue }} Tagen "
                       "überfällig. {{ history_line }} Bitte zahlen Sie oder schlagen Sie eine "
                       "Ratenzahlung vor."], "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} seit {{ days_overdue }} Tagen "
                        "überfällig. Zahlen oder Raten vorschlagen: {{ pay_url }}", ""),
        },
    },
    "demand_30": {
        "en": {
            "email": (
                "Formal demand for payment: {{ invoice_numbers }}",
                "Dear {{ contact_name }},\n\ndespite our reminders, {{ amount_due }} remains "
                "unpaid ({{ days_overdue }} days overdue). We ask you to pay the full amount by "
                "{{ deadline }}. If we have not received payment by then, we will "
                "{{ next_step }}.\n\n" + _EN_LIST + "\n{{ pay_url }}\n{{ payment_instructions }}"
                "\n\nYours sincerely,\n{{ business_name }}",
                _html(["Dear {{ contact_name }},",
                       "despite our reminders, <strong>{{ amount_due }}</strong> remains unpaid "
                       "({{ days_overdue }} days overdue). Please pay the full amount by "
                       "<strong>{{ deadline }}</strong>. If we have not received payment by "
                       "then, we will {{ next_step }}."], "Yours sincerely, {{ business_name }}"),
            ),
            "letter": (
                "Formal demand for payment",
                "",
                "<p>Dear {{ contact_name }},</p><p>despite our reminders, <strong>"
                "{{ amount_due }}</strong> remains unpaid ({{ days_overdue }} days overdue). "
                "We ask you to pay the full amount by <strong>{{ deadline }}</strong>. If we "
                "have not received payment by then, we will {{ next_step }}.</p>" + _HTML_LIST
                + "<p>{{ payment_instructions }}</p><p>Pay online: {{ pay_url }}</p>"
                "<p>Yours sincerely,<br>{{ business_name }}</p>",
            ),
            "sms": ("", "{{ business_name }}: final notice. Pay {{ amount_due }} by "
                        "{{ deadline }}: {{ pay_url }}", ""),
        },
        "de": {
            "email": (
                "Letzte Mahnung: {{ invoice_numbers }}",
                "Sehr geehrte/r {{ contact_name }},\n\ntrotz unserer Erinnerungen sind "
                "{{ amount_due }} weiterhin offen ({{ days_overdue }} Tage überfällig). Bitte "
                "zahlen Sie den Betrag bis zum {{ deadline }}. Geht bis dahin keine Zahlung ein,"
                " werden wir {{ next_step }}.\n\n" + _DE_LIST + "\n{{ pay_url }}\n"
                "{{ payment_instructions }}" + _DE_SIGN,
                _html(["Sehr geehrte/r {{ contact_name }},",
                       "trotz unserer Erinnerungen sind <strong>{{ amount_due }}</strong> "
                       "weiterhin offen. Bitte zahlen Sie bis zum <strong>{{ deadline }}"
                       "</strong>. Andernfalls werden wir {{ next_step }}."],
                      "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "letter": (
                "Letzte Mahnung",
                "",
                "<p>Sehr geehrte/r {{ contact_name }},</p><p>trotz unserer Erinnerungen sind "
                "<strong>{{ amount_due }}</strong> weiterhin offen ({{ days_overdue }} Tage "
                "überfällig). Bitte zahlen Sie den Betrag bis zum <strong>{{ deadline }}"
                "</strong>. Geht bis dahin keine Zahlung ein, werden wir {{ next_step }}.</p>"
                + _HTML_LIST + "<p>{{ payment_instructions }}</p><p>Online bezahlen: "
                "{{ pay_url }}</p><p>Mit freundlichen Grüßen<br>{{ business_name }}</p>",
            ),
            "sms": ("", "{{ business_name }}: letzte Mahnung. Bitte {{ amount_due }} bis "
                        "{{ deadline }} zahlen: {{ pay_url }}", ""),
        },
    },
    "call_21": {
        "en": {"call": ("Call {{ client_name }} about {{ invoice_numbers }}",
                        "Call {{ contact_name }} ({{ client_name }}). {{ amount_due }} is "
                        "{{ days_overdue }} days overdue. {{ history_line }} Ask whether the "
                        "invoice arrived, when it will be paid, and offer a payment plan.", "")},
        "de": {"call": ("Anruf bei {{ client_name }} zu {{ invoice_numbers }}",
                        "{{ contact_name }} ({{ client_name }}) anrufen. {{ amount_due }} seit "
                        "{{ days_overdue }} Tagen überfällig. {{ history_line }} Fragen, ob die "
                        "Rechnung angekommen ist und wann gezahlt wird; Ratenzahlung anbieten.",
                        "")},
    },
    "collections_45": {
        "en": {"call": ("Collections: {{ client_name }}",
                        "{{ amount_due }} from {{ client_name }} is {{ days_overdue }} days "
                        "overdue and has been handed to collections. Review and contact the "
                        "collections partner.", "")},
        "de": {"call": ("Inkasso: {{ client_name }}",
                        "{{ amount_due }} von {{ client_name }} sind {{ days_overdue }} Tage "
                        "überfällig und an das Inkasso übergeben. Prüfen und Inkassopartner "
                        "kontaktieren.", "")},
    },
}


INSTALMENT_CADENCE = "Payment-plan instalments"

# The reminders around each instalment of an accepted plan (offsets from the instalment's date).
INSTALMENT_STEPS: list[tuple[str, int, str, str, str, list[str], list[str]]] = [
    ("Instalment coming up", -3, "preferred", "instalment_upcoming", "friendly",
     ["send_message"], []),
    ("Instalment due today", 0, "preferred", "instalment_due", "friendly", ["send_message"], []),
    ("Instalment missed", 5, "preferred", "instalment_missed", "firm", ["send_message"], []),
    ("Call about the missed instalment", 10, "call", "instalment_call", "firm",
     ["create_call_task"], []),
]

_EN_PLAN = ("{{ instalment_amount }} (instalment {{ instalment_number }} of "
            "{{ instalment_count }} of your payment plan for {{ invoice_numbers }})")
_DE_PLAN = ("{{ instalment_amount }} (Rate {{ instalment_number }} von {{ instalment_count }} "
            "Ihrer Ratenzahlung für {{ invoice_numbers }})")


def _plan_email(subject: str, lines: str, sign: str) -> tuple[str, str, str]:
    text = "{{ contact_name }},\n\n" + lines + "\n\n{{ pay_url }}\n{{ payment_instructions }}"
    html = (f"<div style=\"font-family: sans-serif; line-height: 1.5\"><p>{{{{ contact_name }}}},"
            f"</p><p>{lines}</p><p><a href=\"{{{{ pay_url }}}}\">{{{{ pay_url }}}}</a></p>"
            f"<p>{{{{ payment_instructions }}}}</p><p>{sign}</p></div>")
    return subject, text + sign.replace("<br>", "\n"), html


TEMPLATES.update({
    "instalment_upcoming": {
        "en": {"email": _plan_email(
            "Your next instalment is due on {{ instalment_due_date }}",
            "a quick reminder: " + _EN_PLAN + " is due on {{ instalment_due_date }}. Thank you "
            "for keeping to the plan.", "Kind regards<br>{{ business_name }}"),
            "sms": ("", "{{ business_name }}: instalment {{ instalment_number }}/"
                        "{{ instalment_count }}, {{ instalment_amount }}, due "
                        "{{ instalment_due_date }}. {{ pay_url }}", "")},
        "de": {"email": _plan_email(
            "Ihre nächste Rate ist am {{ instalment_due_date }} fällig",
            "eine kurze Erinnerung: " + _DE_PLAN + " ist am {{ instalment_due_date }} fällig. "
            "Danke, dass Sie sich an den Plan halten.",
            "Mit freundlichen Grüßen<br>{{ business_name }}"),
            "sms": ("", "{{ business_name }}: Rate {{ instalment_number }}/"
                        "{{ instalment_count }}, {{ instalment_amount }}, fällig am "
                        "{{ instalment_due_date }}. {{ pay_url }}", "")},
    },
    "instalment_due": {
        "en": {"email": _plan_email(
            "Instalment {{ instalment_number }} of {{ instalment_count }} is due today",
            _EN_PLAN + " is due today.", "Kind regards<br>{{ business_name }}"),
            "sms": ("", "{{ business_name }}: instalment {{ instalment_number }}/"
                        "{{ instalment_count }} ({{ instalment_amount }}) is due today. "
                        "{{ pay_url }}", "")},
        "de": {"email": _plan_email(
            "Rate {{ instalment_number }} von {{ instalment_count }} ist heute fällig",
            _DE_PLAN + " ist heute fällig.", "Mit freundlichen Grüßen<br>{{ business_name }}"),
            "sms": ("", "{{ business_name }}: Rate {{ instalment_number }}/"
                        "{{ instalment_count }} ({{ instalment_amount }}) ist heute fällig. "
                        "{{ pay_url }}", "")},
    },
    "instalment_missed": {
        "en": {"email": _plan_email(
            "Instalment {{ instalment_number }} has not arrived",
            "we have not yet received " + _EN_PLAN + ", due on {{ instalment_due_date }}. "
            "Please pay it now to keep the plan; if something has changed, tell us on the page "
            "below.", "Kind regards<br>{{ business_name }}"),
            "sms": ("", "{{ business_name }}: instalment {{ instalment_number }} "
                        "({{ instalment_amount }}, due {{ instalment_due_date }}) has not "
                        "arrived. {{ pay_url }}", "")},
        "de": {"email": _plan_email(
            "Rate {{ instalment_number }} ist nicht eingegangen",
            "wir haben " + _DE_PLAN + ", fällig am {{ instalment_due_date }}, noch nicht "
            "erhalten. Bitte zahlen Sie jetzt, damit der Plan bestehen bleibt; hat sich etwas "
            "geändert, sagen Sie es uns auf der Seite unten.",
            "Mit freundlichen Grüßen<br>{{ business_name }}"),
            "sms": ("", "{{ business_name }}: Rate {{ instalment_number }} "
                        "({{ instalment_amount }}, fällig {{ instalment_due_date }}) ist nicht "
                        "eingegangen. {{ pay_url }}", "")},
    },
    "instalment_call": {
        "en": {"call": ("Call {{ client_name }}: missed instalment {{ instalment_number }}",
                        "Instalment {{ instalment_number }} of {{ instalment_count }} "
                        "({{ instalment_amount }}, due {{ instalment_due_date }}) has not "
                        "arrived; {{ plan_remaining }} is left on the plan. Ask what happened; "
                        "agree a new date or cancel the plan.", "")},
        "de": {"call": ("Anruf bei {{ client_name }}: Rate {{ instalment_number }} fehlt",
                        "Rate {{ instalment_number }} von {{ instalment_count }} "
                        "({{ instalment_amount }}, fällig {{ instalment_due_date }}) ist nicht "
                        "eingegangen; offen sind noch {{ plan_remaining }}. Nachfragen; neues "
                        "Datum vereinbaren oder den Plan beenden.", "")},
    },
})


def install_instalment_cadence(apps: object) -> None:
    """The instalment cadence and its templates (a later migration; idempotent)."""
    get = apps.get_model  # type: ignore[attr-defined]
    cadence_model, step_model = get("reminders", "Cadence"), get("reminders", "CadenceStep")
    cadence, created = cadence_model.objects.get_or_create(
        name=INSTALMENT_CADENCE, defaults={
            "purpose": "instalments", "priority": 1000,
            "description": "Reminders around each instalment of an accepted payment plan."})
    if created:
        for name, offset, channel, key, tone, actions, _ in INSTALMENT_STEPS:
            step_model.objects.create(cadence=cadence, name=name, offset_days=offset,
                                      channel=channel, template_key=key, tone=tone,
                                      actions=actions)
    _install_templates(apps, [k for k in TEMPLATES if k.startswith("instalment_")])


def _install_templates(apps: object, keys: list[str]) -> None:
    template_model = apps.get_model("reminders", "MessageTemplate")  # type: ignore[attr-defined]
    for key in keys:
        for language, channels in TEMPLATES[key].items():
            for channel, (subject, text, html) in channels.items():
                template_model.objects.get_or_create(
                    key=key, channel=channel, language=language,
                    defaults={"subject": subject, "text": text, "html": html})


def install_defaults(apps: object) -> None:
    """Create the default cadence and templates unless they exist (used by the migration)."""
    get = apps.get_model  # type: ignore[attr-defined]
    cadence_model, step_model = get("reminders", "Cadence"), get("reminders", "CadenceStep")
    template_model, tag_model = get("reminders", "MessageTemplate"), get("clients", "ClientTag")
    cadence, created = cadence_model.objects.get_or_create(
        name=DEFAULT_CADENCE, defaults={"is_default": True, "priority": 1000,
                                        "description": "Seeded from the domain articles."})
    # The legal flags came later (reminders.0011): a migration before it has no such fields.
    has_flags = any(f.name == "legal_notice" for f in step_model._meta.get_fields())
    if created:
        for name, offset, channel, key, tone, actions, only_tags in DEFAULT_STEPS:
            flags = legal_flags(key, actions) if has_flags else {}
            step = step_model.objects.create(cadence=cadence, name=name, offset_days=offset,
                                             channel=channel, template_key=key, tone=tone,
                                             actions=actions, **flags)
            for tag in only_tags:
                step.only_tags.add(tag_model.objects.get_or_create(name=tag)[0])
    for key, languages in TEMPLATES.items():
        for language, channels in languages.items():
            for channel, (subject, text, html) in channels.items():
                template_model.objects.get_or_create(
                    key=key, channel=channel, language=language,
                    defaults={"subject": subject, "text": text, "html": html})


def legal_flags(template_key: str, actions: list[str]) -> dict[str, bool]:
    """The seeded cadences' legal steps: a letter of demand is a legal notice; handing over to
    collections needs one first."""
    return {"legal_notice": template_key.startswith("demand"),
            "needs_notice": "hand_to_collections" in actions}
