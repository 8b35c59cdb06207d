"""The standard cadence's message templates in English, German, French and Spanish: a nudge
before the due date, the day itself, a polite follow-up, a firmer one offering a plan, a call,
the letter of demand, the hand-over."""

from __future__ import annotations

from reminders.defaults.snippets import (
    DE_LIST,
    DE_SIGN,
    EN_LIST,
    EN_SIGN,
    ES_FORMAL_SIGN,
    ES_HTML_LIST,
    ES_LIST,
    ES_SIGN,
    FR_FORMAL_SIGN,
    FR_HTML_LIST,
    FR_LIST,
    FR_SIGN,
    HTML_LIST,
    html_body,
)

# key -> language -> channel -> (subject, text, html)
CADENCE_TEMPLATES: dict[str, dict[str, dict[str, tuple[str, str, str]]]] = {
    "pre_due": {
        "en": {
            "email": (
                "Friendly reminder: invoice {{ invoice_numbers }} is due on {{ due_date }}",
                "Hello {{ contact_name }},\n\njust a friendly note that {{ amount_due }} is due "
                "on {{ due_date }}. {{ history_line }}\n\n" + EN_LIST
                + "{% if discount_amount %}\nPay by {{ discount_deadline }} and you save "
                "{{ discount_amount }}.\n{% endif %}\nPay or view the invoice: {{ pay_url }}\n"
                "{{ payment_instructions }}" + EN_SIGN,
                html_body(["Hello {{ contact_name }},",
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
                + DE_LIST + "{% if discount_amount %}\nBei Zahlung bis {{ discount_deadline }} "
                "sparen Sie {{ discount_amount }}.\n{% endif %}\nRechnung ansehen und bezahlen: "
                "{{ pay_url }}\n{{ payment_instructions }}" + DE_SIGN,
                html_body(["Guten Tag {{ contact_name }},",
                       "nur eine freundliche Erinnerung: <strong>{{ amount_due }}</strong> sind "
                       "am {{ due_date }} fällig. {{ history_line }}"],
                      "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} für {{ invoice_numbers }} fällig "
                        "am {{ due_date }}. Zahlen: {{ pay_url }}", ""),
        },
        "fr": {
            "email": (
                "Petit rappel : facture {{ invoice_numbers }} à régler le {{ due_date }}",
                "Bonjour {{ contact_name }},\n\nNous vous rappelons simplement que la somme de "
                "{{ amount_due }} arrive à échéance le {{ due_date }}. {{ history_line }}\n\n"
                + FR_LIST + "{% if discount_amount %}\nEn réglant au plus tard le "
                "{{ discount_deadline }}, vous bénéficiez d'un escompte de {{ discount_amount }}."
                "\n{% endif %}\nRégler ou consulter la facture : {{ pay_url }}\n"
                "{{ payment_instructions }}" + FR_SIGN,
                html_body(["Bonjour {{ contact_name }},",
                       "Nous vous rappelons simplement que la somme de <strong>{{ amount_due }}"
                       "</strong> arrive à échéance le {{ due_date }}. {{ history_line }}"],
                      "Cordialement,<br>{{ business_name }}", FR_HTML_LIST),
            ),
            "sms": ("", "{{ business_name }} : {{ amount_due }} pour {{ invoice_numbers }} à "
                        "régler le {{ due_date }}. Payer : {{ pay_url }}", ""),
        },
        "es": {
            "email": (
                "Recordatorio: la factura {{ invoice_numbers }} vence el {{ due_date }}",
                "Hola, {{ contact_name }}:\n\nSolo queríamos recordarle que el importe de "
                "{{ amount_due }} vence el {{ due_date }}. {{ history_line }}\n\n" + ES_LIST
                + "{% if discount_amount %}\nSi paga a más tardar el {{ discount_deadline }}, "
                "se ahorrará {{ discount_amount }}.\n{% endif %}\nPague o consulte la factura "
                "aquí: {{ pay_url }}\n{{ payment_instructions }}" + ES_SIGN,
                html_body(["Hola, {{ contact_name }}:",
                       "Solo queríamos recordarle que el importe de <strong>{{ amount_due }}"
                       "</strong> vence el {{ due_date }}. {{ history_line }}"],
                      "Un cordial saludo,<br>{{ business_name }}", ES_HTML_LIST),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} de {{ invoice_numbers }} vence el "
                        "{{ due_date }}. Pague: {{ pay_url }}", ""),
        },
    },
    "due_today": {
        "en": {
            "email": (
                "Invoice {{ invoice_numbers }} is due today",
                "Hello {{ contact_name }},\n\n{{ amount_due }} is due today. {{ history_line }}"
                "\n\n" + EN_LIST + "\nPay in a minute: {{ pay_url }}\n{{ payment_instructions }}"
                + EN_SIGN,
                html_body(["Hello {{ contact_name }},",
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
                "{{ history_line }}\n\n" + DE_LIST + "\nJetzt bezahlen: {{ pay_url }}\n"
                "{{ payment_instructions }}" + DE_SIGN,
                html_body(["Guten Tag {{ contact_name }},",
                       "heute sind <strong>{{ amount_due }}</strong> fällig. {{ history_line }}"],
                      "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} ({{ invoice_numbers }}) heute "
                        "fällig. Zahlen: {{ pay_url }}", ""),
        },
        "fr": {
            "email": (
                "La facture {{ invoice_numbers }} arrive à échéance aujourd'hui",
                "Bonjour {{ contact_name }},\n\nLa somme de {{ amount_due }} arrive à échéance "
                "aujourd'hui. {{ history_line }}\n\n" + FR_LIST + "\nRéglez en quelques clics :"
                " {{ pay_url }}\n{{ payment_instructions }}" + FR_SIGN,
                html_body(["Bonjour {{ contact_name }},",
                       "La somme de <strong>{{ amount_due }}</strong> arrive à échéance "
                       "aujourd'hui. {{ history_line }}"],
                      "Cordialement,<br>{{ business_name }}", FR_HTML_LIST),
            ),
            "sms": ("", "{{ business_name }} : {{ amount_due }} ({{ invoice_numbers }}) à régler "
                        "aujourd'hui. Payer : {{ pay_url }}", ""),
        },
        "es": {
            "email": (
                "La factura {{ invoice_numbers }} vence hoy",
                "Hola, {{ contact_name }}:\n\nHoy vence el pago de {{ amount_due }}. "
                "{{ history_line }}\n\n" + ES_LIST + "\nPuede pagar en un minuto aquí: "
                "{{ pay_url }}\n{{ payment_instructions }}" + ES_SIGN,
                html_body(["Hola, {{ contact_name }}:",
                       "Hoy vence el pago de <strong>{{ amount_due }}</strong>. "
                       "{{ history_line }}"],
                      "Un cordial saludo,<br>{{ business_name }}", ES_HTML_LIST),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} ({{ invoice_numbers }}) vence hoy. "
                        "Pague: {{ pay_url }}", ""),
        },
    },
    "overdue_7": {
        "en": {
            "email": (
                "Following up: invoice {{ invoice_numbers }}",
                "Hello {{ contact_name }},\n\nwe haven't received {{ amount_due }} yet, which "
                "was due on {{ due_date }}. It may simply have slipped through. "
                "{{ history_line }}\n\n" + EN_LIST + "\nPay or tell us if something is wrong:"
                " {{ pay_url }}\n{{ payment_instructions }}" + EN_SIGN,
                html_body(["Hello {{ contact_name }},",
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
                "{{ history_line }}\n\n" + DE_LIST + "\nBezahlen oder uns Bescheid geben: "
                "{{ pay_url }}\n{{ payment_instructions }}" + DE_SIGN,
                html_body(["Guten Tag {{ contact_name }},",
                       "wir haben <strong>{{ amount_due }}</strong>, fällig am {{ due_date }}, "
                       "noch nicht erhalten. {{ history_line }}"],
                      "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} ({{ invoice_numbers }}) war am "
                        "{{ due_date }} fällig. Zahlen: {{ pay_url }}", ""),
        },
        "fr": {
            "email": (
                "Rappel : facture {{ invoice_numbers }} en attente de règlement",
                "Bonjour {{ contact_name }},\n\nSauf erreur de notre part, nous n'avons pas "
                "encore reçu le règlement de la somme de {{ amount_due }}, échue le "
                "{{ due_date }}. Il s'agit sans doute d'un simple oubli. {{ history_line }}\n\n"
                + FR_LIST + "\nRégler la facture ou nous signaler un problème : {{ pay_url }}\n"
                "{{ payment_instructions }}" + FR_SIGN,
                html_body(["Bonjour {{ contact_name }},",
                       "Sauf erreur de notre part, nous n'avons pas encore reçu le règlement de "
                       "la somme de <strong>{{ amount_due }}</strong>, échue le {{ due_date }}. "
                       "Il s'agit sans doute d'un simple oubli. {{ history_line }}"],
                      "Cordialement,<br>{{ business_name }}", FR_HTML_LIST),
            ),
            "sms": ("", "{{ business_name }} : {{ amount_due }} ({{ invoice_numbers }}) était à "
                        "régler le {{ due_date }}. Payer ou répondre : {{ pay_url }}", ""),
        },
        "es": {
            "email": (
                "Factura {{ invoice_numbers }} pendiente de pago",
                "Hola, {{ contact_name }}:\n\nAún no hemos recibido el pago de {{ amount_due }}, "
                "que venció el {{ due_date }}. Es posible que simplemente se le haya pasado. "
                "{{ history_line }}\n\n" + ES_LIST + "\nPague o indíquenos si hay algún "
                "problema: {{ pay_url }}\n{{ payment_instructions }}" + ES_SIGN,
                html_body(["Hola, {{ contact_name }}:",
                       "Aún no hemos recibido el pago de <strong>{{ amount_due }}</strong>, que "
                       "venció el {{ due_date }}. Es posible que simplemente se le haya pasado. "
                       "{{ history_line }}"],
                      "Un cordial saludo,<br>{{ business_name }}", ES_HTML_LIST),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} ({{ invoice_numbers }}) pendiente "
                        "desde el {{ due_date }}. Pague o responda: {{ pay_url }}", ""),
        },
    },
    "overdue_14": {
        "en": {
            "email": (
                "Overdue: invoice {{ invoice_numbers }} ({{ days_overdue }} days)",
                "Hello {{ contact_name }},\n\n{{ amount_due }} is now {{ days_overdue }} days "
                "overdue. {{ history_line }} Please pay it, or if paying at once is difficult, "
                "propose a payment plan on the page below and we will find a way together.\n\n"
                + EN_LIST + "{% if fees_accrued or interest_accrued %}\nFees so far: "
                "{{ fees_accrued|default:'none' }}; interest: "
                "{{ interest_accrued|default:'none' }} ({{ terms_summary }}).\n{% endif %}\n"
                "{{ pay_url }}\n{{ payment_instructions }}" + EN_SIGN,
                html_body(["Hello {{ contact_name }},",
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
                "schlagen Sie auf der Seite unten eine Ratenzahlung vor.\n\n" + DE_LIST
                + "\n{{ pay_url }}\n{{ payment_instructions }}" + DE_SIGN,
                html_body(["Guten Tag {{ contact_name }},",
                       "<strong>{{ amount_due }}</strong> sind seit {{ days_overdue }} Tagen "
                       "überfällig. {{ history_line }} Bitte zahlen Sie oder schlagen Sie eine "
                       "Ratenzahlung vor."], "Mit freundlichen Grüßen, {{ business_name }}"),
            ),
            "sms": ("", "{{ business_name }}: {{ amount_due }} seit {{ days_overdue }} Tagen "
                        "überfällig. Zahlen oder Raten vorschlagen: {{ pay_url }}", ""),
        },
        "fr": {
            "email": (
                "Facture {{ invoice_numbers }} en retard de paiement ({{ days_overdue }} jours)",
                "Bonjour {{ contact_name }},\n\nLa somme de {{ amount_due }} est désormais en "
                "retard de {{ days_overdue }} jours. {{ history_line }} Nous vous remercions de "
                "bien vouloir régler cette somme ou, si un paiement en une seule fois vous pose "
                "difficulté, de nous proposer un échéancier sur la page ci-dessous : nous "
                "trouverons ensemble une solution.\n\n" + FR_LIST
                + "{% if fees_accrued or interest_accrued %}\nFrais à ce jour : "
                "{{ fees_accrued|default:'aucun' }} ; intérêts : "
                "{{ interest_accrued|default:'aucun' }} ({{ terms_summary }}).\n{% endif %}\n"
                "{{ pay_url }}\n{{ payment_instructions }}" + FR_SIGN,
                html_body(["Bonjour {{ contact_name }},",
                       "La somme de <strong>{{ amount_due }}</strong> est désormais en retard de "
                       "{{ days_overdue }} jours. {{ history_line }} Nous vous remercions de "
                       "bien vouloir régler cette somme ou de nous proposer un échéancier : nous "
                       "trouverons ensemble une solution."],
                      "Cordialement,<br>{{ business_name }}", FR_HTML_LIST),
            ),
            "sms": ("", "{{ business_name }} : {{ amount_due }} en retard de {{ days_overdue }} "
                        "jours. Payer ou proposer un échéancier : {{ pay_url }}", ""),
        },
        "es": {
            "email": (
                "Factura {{ invoice_numbers }} vencida ({{ days_overdue }} días de retraso)",
                "Estimado/a {{ contact_name }}:\n\nEl pago de {{ amount_due }} acumula ya "
                "{{ days_overdue }} días de retraso. {{ history_line }} Le rogamos que abone "
                "este importe o, si le resulta difícil pagarlo de una sola vez, que nos proponga "
                "un plan de pagos en la página indicada más abajo; juntos encontraremos una "
                "solución.\n\n" + ES_LIST + "{% if fees_accrued or interest_accrued %}\n"
                "Recargos hasta la fecha: {{ fees_accrued|default:'ninguno' }}; intereses: "
                "{{ interest_accrued|default:'ninguno' }} ({{ terms_summary }}).\n{% endif %}\n"
                "{{ pay_url }}\n{{ payment_instructions }}" + ES_SIGN,
                html_body(["Estimado/a {{ contact_name }}:",
                       "El pago de <strong>{{ amount_due }}</strong> acumula ya "
                       "{{ days_overdue }} días de retraso. {{ history_line }} Le rogamos que "
                       "abone este importe o que nos proponga un plan de pagos; juntos "
                       "encontraremos una solución."],
                      "Un cordial saludo,<br>{{ business_name }}", ES_HTML_LIST),
            ),
            # "días" is not GSM-7 (it would make the SMS UCS-2, twice as long): the due date
            # says the same in GSM-7.
            "sms": ("", "{{ business_name }}: {{ amount_due }} pendiente desde el "
                        "{{ due_date }}. Pague o pida un plan de pagos: {{ pay_url }}", ""),
        },
    },
    "demand_30": {
        "en": {
            "email": (
                "Formal demand for payment: {{ invoice_numbers }}",
                "Dear {{ contact_name }},\n\ndespite our reminders, {{ amount_due }} remains "
                "unpaid ({{ days_overdue }} days overdue). We ask you to pay the full amount by "
                "{{ deadline }}. If we have not received payment by then, we will "
                "{{ next_step }}.\n\n" + EN_LIST + "\n{{ pay_url }}\n{{ payment_instructions }}"
                "\n\nYours sincerely,\n{{ business_name }}",
                html_body(["Dear {{ contact_name }},",
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
                "have not received payment by then, we will {{ next_step }}.</p>" + HTML_LIST
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
                " werden wir {{ next_step }}.\n\n" + DE_LIST + "\n{{ pay_url }}\n"
                "{{ payment_instructions }}" + DE_SIGN,
                html_body(["Sehr geehrte/r {{ contact_name }},",
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
                + HTML_LIST + "<p>{{ payment_instructions }}</p><p>Online bezahlen: "
                "{{ pay_url }}</p><p>Mit freundlichen Grüßen<br>{{ business_name }}</p>",
            ),
            "sms": ("", "{{ business_name }}: letzte Mahnung. Bitte {{ amount_due }} bis "
                        "{{ deadline }} zahlen: {{ pay_url }}", ""),
        },
        "fr": {
            "email": (
                "Mise en demeure de payer : {{ invoice_numbers }}",
                "À l'attention de {{ contact_name }}\n\nMadame, Monsieur,\n\nMalgré nos "
                "précédentes relances, la somme de {{ amount_due }} demeure impayée "
                "({{ days_overdue }} jours de retard). Par la présente, nous vous mettons en "
                "demeure de nous régler l'intégralité de cette somme au plus tard le "
                "{{ deadline }}. À défaut de paiement à cette date, nous nous verrons contraints "
                "de {{ next_step }}.\n\n" + FR_LIST + "\n{{ pay_url }}\n"
                "{{ payment_instructions }}\n\n" + FR_FORMAL_SIGN + "\n{{ business_name }}",
                html_body(["À l'attention de {{ contact_name }}", "Madame, Monsieur,",
                       "Malgré nos précédentes relances, la somme de <strong>{{ amount_due }}"
                       "</strong> demeure impayée ({{ days_overdue }} jours de retard). Par la "
                       "présente, nous vous mettons en demeure de nous régler l'intégralité de "
                       "cette somme au plus tard le <strong>{{ deadline }}</strong>. À défaut de "
                       "paiement à cette date, nous nous verrons contraints de "
                       "{{ next_step }}."],
                      FR_FORMAL_SIGN + "<br>{{ business_name }}", FR_HTML_LIST),
            ),
            "letter": (
                "Mise en demeure de payer",
                "",
                "<p>À l'attention de {{ contact_name }}</p><p>Madame, Monsieur,</p><p>Malgré "
                "nos précédentes relances, la somme de <strong>{{ amount_due }}</strong> "
                "demeure impayée ({{ days_overdue }} jours de retard). Par la présente, nous "
                "vous mettons en demeure de nous régler l'intégralité de cette somme au plus "
                "tard le <strong>{{ deadline }}</strong>. À défaut de paiement à cette date, "
                "nous nous verrons contraints de {{ next_step }}.</p>" + FR_HTML_LIST
                + "<p>{{ payment_instructions }}</p><p>Paiement en ligne : {{ pay_url }}</p>"
                "<p>" + FR_FORMAL_SIGN + "<br>{{ business_name }}</p>",
            ),
            "sms": ("", "{{ business_name }} : dernière relance. Merci de régler {{ amount_due }} "
                        "au plus tard le {{ deadline }} : {{ pay_url }}", ""),
        },
        "es": {
            "email": (
                "Requerimiento formal de pago: {{ invoice_numbers }}",
                "Estimado/a {{ contact_name }}:\n\nA pesar de nuestros recordatorios anteriores, "
                "el importe de {{ amount_due }} sigue pendiente de pago ({{ days_overdue }} días "
                "de retraso). Por medio de la presente, le requerimos formalmente el pago de la "
                "totalidad de dicho importe a más tardar el {{ deadline }}. Si para entonces no "
                "hemos recibido el pago, nos veremos obligados a {{ next_step }}.\n\n" + ES_LIST
                + "\n{{ pay_url }}\n{{ payment_instructions }}\n\n" + ES_FORMAL_SIGN
                + "\n{{ business_name }}",
                html_body(["Estimado/a {{ contact_name }}:",
                       "A pesar de nuestros recordatorios anteriores, el importe de <strong>"
                       "{{ amount_due }}</strong> sigue pendiente de pago ({{ days_overdue }} "
                       "días de retraso). Por medio de la presente, le requerimos formalmente el "
                       "pago de la totalidad de dicho importe a más tardar el <strong>"
                       "{{ deadline }}</strong>. Si para entonces no hemos recibido el pago, nos "
                       "veremos obligados a {{ next_step }}."],
                      ES_FORMAL_SIGN + "<br>{{ business_name }}", ES_HTML_LIST),
            ),
            "letter": (
                "Requerimiento formal de pago",
                "",
                "<p>Estimado/a {{ contact_name }}:</p><p>A pesar de nuestros recordatorios "
                "anteriores, el importe de <strong>{{ amount_due }}</strong> sigue pendiente de "
                "pago ({{ days_overdue }} días de retraso). Por medio de la presente, le "
                "requerimos formalmente el pago de la totalidad de dicho importe a más tardar el "
                "<strong>{{ deadline }}</strong>. Si para entonces no hemos recibido el pago, "
                "nos veremos obligados a {{ next_step }}.</p>" + ES_HTML_LIST
                + "<p>{{ payment_instructions }}</p><p>Pague en línea: {{ pay_url }}</p>"
                "<p>" + ES_FORMAL_SIGN + "<br>{{ business_name }}</p>",
            ),
            "sms": ("", "{{ business_name }}: aviso final. Le rogamos que abone {{ amount_due }} "
                        "hasta el {{ deadline }}: {{ pay_url }}", ""),
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
        "fr": {"call": ("Appeler {{ client_name }} au sujet de {{ invoice_numbers }}",
                        "Appeler {{ contact_name }} ({{ client_name }}). {{ amount_due }} en "
                        "retard de {{ days_overdue }} jours. {{ history_line }} Demander si la "
                        "facture a bien été reçue et quand elle sera réglée ; proposer un "
                        "échéancier.", "")},
        "es": {"call": ("Llamar a {{ client_name }} por {{ invoice_numbers }}",
                        "Llamar a {{ contact_name }} ({{ client_name }}). {{ amount_due }} con "
                        "{{ days_overdue }} días de retraso. {{ history_line }} Preguntar si "
                        "recibió la factura y cuándo la pagará; ofrecer un plan de pagos.", "")},
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
        "fr": {"call": ("Recouvrement : {{ client_name }}",
                        "La créance de {{ amount_due }} sur {{ client_name }}, en retard de "
                        "{{ days_overdue }} jours, a été confiée au recouvrement. Vérifier le "
                        "dossier et contacter le partenaire de recouvrement.", "")},
        "es": {"call": ("Agencia de cobros: {{ client_name }}",
                        "La deuda de {{ amount_due }} de {{ client_name }}, con "
                        "{{ days_overdue }} días de retraso, se ha trasladado a la agencia de "
                        "cobros. Revisar el expediente y contactar con la agencia de cobros.",
                        "")},
    },
}
