"""The instalment cadence: the reminders around each instalment of an accepted payment plan,
and their templates in English, German, French and Spanish."""

from __future__ import annotations

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
_FR_PLAN = ("le versement {{ instalment_number }} sur {{ instalment_count }} "
            "({{ instalment_amount }}) de votre échéancier de paiement pour "
            "{{ invoice_numbers }}")
_ES_PLAN = ("la cuota {{ instalment_number }} de {{ instalment_count }} ({{ instalment_amount }}) "
            "del plan de pagos acordado para {{ invoice_numbers }}")


def _plan_email(subject: str, lines: str, sign: str, *, greeting: str = "{{ contact_name }},",
                before_sign: str = "") -> tuple[str, str, str]:
    """``greeting`` and ``before_sign`` (French and Spanish: "Bonjour …," and a blank line
    before the sign-off) default to what the English and German templates were seeded with."""
    text = greeting + "\n\n" + lines + "\n\n{{ pay_url }}\n{{ payment_instructions }}"
    html = (f"<div style=\"font-family: sans-serif; line-height: 1.5\"><p>{greeting}"
            f"</p><p>{lines}</p><p><a href=\"{{{{ pay_url }}}}\">{{{{ pay_url }}}}</a></p>"
            f"<p>{{{{ payment_instructions }}}}</p><p>{sign}</p></div>")
    return subject, text + before_sign + sign.replace("<br>", "\n"), html


_FR_PLAN_SIGN = {"greeting": "Bonjour {{ contact_name }},", "before_sign": "\n\n",
                 "sign": "Cordialement,<br>{{ business_name }}"}
_ES_PLAN_SIGN = {"greeting": "Hola, {{ contact_name }}:", "before_sign": "\n\n",
                 "sign": "Un cordial saludo,<br>{{ business_name }}"}


INSTALMENT_TEMPLATES: dict[str, dict[str, dict[str, tuple[str, str, str]]]] = {
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
        "fr": {"email": _plan_email(
            "Votre prochain versement est à régler le {{ instalment_due_date }}",
            "Petit rappel : " + _FR_PLAN + " est à régler le {{ instalment_due_date }}. Nous "
            "vous remercions de votre ponctualité dans le respect de l'échéancier.",
            **_FR_PLAN_SIGN),
            "sms": ("", "{{ business_name }} : versement {{ instalment_number }}/"
                        "{{ instalment_count }}, {{ instalment_amount }}, à régler le "
                        "{{ instalment_due_date }}. {{ pay_url }}", "")},
        "es": {"email": _plan_email(
            "Su próxima cuota vence el {{ instalment_due_date }}",
            "Le recordamos que " + _ES_PLAN + " vence el {{ instalment_due_date }}. Gracias "
            "por cumplir con el plan.", **_ES_PLAN_SIGN),
            "sms": ("", "{{ business_name }}: cuota {{ instalment_number }}/"
                        "{{ instalment_count }}, {{ instalment_amount }}, vence el "
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
        "fr": {"email": _plan_email(
            "Le versement {{ instalment_number }} sur {{ instalment_count }} est à régler "
            "aujourd'hui",
            "Pour rappel, " + _FR_PLAN + " est à régler aujourd'hui.", **_FR_PLAN_SIGN),
            "sms": ("", "{{ business_name }} : versement {{ instalment_number }}/"
                        "{{ instalment_count }} ({{ instalment_amount }}) à régler aujourd'hui. "
                        "{{ pay_url }}", "")},
        "es": {"email": _plan_email(
            "La cuota {{ instalment_number }} de {{ instalment_count }} vence hoy",
            "Le recordamos que hoy vence " + _ES_PLAN + ".", **_ES_PLAN_SIGN),
            "sms": ("", "{{ business_name }}: la cuota {{ instalment_number }}/"
                        "{{ instalment_count }} ({{ instalment_amount }}) vence hoy. "
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
        "fr": {"email": _plan_email(
            "Versement {{ instalment_number }} non reçu",
            "Sauf erreur de notre part, nous n'avons pas encore reçu " + _FR_PLAN + ", prévu le "
            "{{ instalment_due_date }}. Merci de le régler dès maintenant afin de maintenir "
            "l'échéancier ; si votre situation a changé, indiquez-le-nous sur la page "
            "ci-dessous.", **_FR_PLAN_SIGN),
            "sms": ("", "{{ business_name }} : versement {{ instalment_number }} "
                        "({{ instalment_amount }}, prévu le {{ instalment_due_date }}) "
                        "toujours en attente. {{ pay_url }}", "")},
        "es": {"email": _plan_email(
            "No hemos recibido la cuota {{ instalment_number }}",
            "Aún no hemos recibido " + _ES_PLAN + ", con vencimiento el "
            "{{ instalment_due_date }}. Le rogamos que la abone cuanto antes para mantener el "
            "plan; si algo ha cambiado, indíquenoslo en la página que encontrará más abajo.",
            **_ES_PLAN_SIGN),
            "sms": ("", "{{ business_name }}: no hemos recibido la cuota {{ instalment_number }} "
                        "({{ instalment_amount }}, vencida el {{ instalment_due_date }}). "
                        "{{ pay_url }}", "")},
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
        "fr": {"call": ("Appeler {{ client_name }} : versement {{ instalment_number }} non "
                        "reçu",
                        "Le versement {{ instalment_number }} sur {{ instalment_count }} "
                        "({{ instalment_amount }}, prévu le {{ instalment_due_date }}) n'a pas "
                        "été reçu ; il reste {{ plan_remaining }} à régler sur l'échéancier. "
                        "Demander ce qui s'est passé ; convenir d'une nouvelle date ou mettre fin "
                        "à l'échéancier.", "")},
        "es": {"call": ("Llamar a {{ client_name }}: cuota {{ instalment_number }} impagada",
                        "La cuota {{ instalment_number }} de {{ instalment_count }} "
                        "({{ instalment_amount }}, con vencimiento el {{ instalment_due_date }}) "
                        "no se ha recibido; quedan {{ plan_remaining }} pendientes del plan. "
                        "Preguntar qué ha pasado; acordar una nueva fecha o cancelar el plan.",
                        "")},
    },
}
