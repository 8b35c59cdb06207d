"""Pieces the seeded templates share: sign-offs, invoice lists and tables per language, and the
HTML frame of an e-mail."""

from __future__ import annotations

EN_SIGN = "\n\nKind regards,\n{{ business_name }}"
DE_SIGN = "\n\nMit freundlichen Grüßen\n{{ business_name }}"
EN_LIST = ("{% for i in invoices %}- {{ i.number }}{% if i.reference %} ({{ i.reference }})"
            "{% endif %}: {{ i.amount_due }}, due {{ i.due_date }}\n{% endfor %}")
DE_LIST = ("{% for i in invoices %}- {{ i.number }}{% if i.reference %} ({{ i.reference }})"
            "{% endif %}: {{ i.amount_due }}, fällig am {{ i.due_date }}\n{% endfor %}")
HTML_LIST = ("<table><tr><th>Invoice</th><th>Reference</th><th>Due</th><th>Amount</th></tr>"
              "{% for i in invoices %}<tr><td>{{ i.number }}</td><td>{{ i.reference }}</td>"
              "<td>{{ i.due_date }}</td><td>{{ i.amount_due }}</td></tr>{% endfor %}</table>")
# French and Spanish: the sign-offs, the invoice list and its table headers in the language.
FR_SIGN = "\n\nCordialement,\n{{ business_name }}"
ES_SIGN = "\n\nUn cordial saludo,\n{{ business_name }}"
FR_FORMAL_SIGN = ("Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
                   "distinguées.")
ES_FORMAL_SIGN = "Atentamente,"
FR_LIST = ("{% for i in invoices %}- {{ i.number }}{% if i.reference %} ({{ i.reference }})"
            "{% endif %} : {{ i.amount_due }}, échéance le {{ i.due_date }}\n{% endfor %}")
ES_LIST = ("{% for i in invoices %}- {{ i.number }}{% if i.reference %} ({{ i.reference }})"
            "{% endif %}: {{ i.amount_due }}, con vencimiento el {{ i.due_date }}\n{% endfor %}")
FR_HTML_LIST = ("<table><tr><th>Facture</th><th>Référence</th><th>Échéance</th>"
                 "<th>Montant</th></tr>{% for i in invoices %}<tr><td>{{ i.number }}</td>"
                 "<td>{{ i.reference }}</td><td>{{ i.due_date }}</td><td>{{ i.amount_due }}"
                 "</td></tr>{% endfor %}</table>")
ES_HTML_LIST = ("<table><tr><th>Factura</th><th>Referencia</th><th>Vencimiento</th>"
                 "<th>Importe</th></tr>{% for i in invoices %}<tr><td>{{ i.number }}</td>"
                 "<td>{{ i.reference }}</td><td>{{ i.due_date }}</td><td>{{ i.amount_due }}"
                 "</td></tr>{% endfor %}</table>")


# How to pay (bank details first for a client who pays by transfer), as the text part says it.
HTML_PAY_LINES = ("{% if payment_instructions %}<p>{{ payment_instructions|linebreaksbr }}</p>"
                  "{% endif %}")


def html_body(paragraphs: list[str], sign: str, table: str = HTML_LIST) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<div style=\"font-family: sans-serif; line-height: 1.5\">{body}{table}"
            f"<p><a href=\"{{{{ pay_url }}}}\">{{{{ pay_url }}}}</a></p>{HTML_PAY_LINES}"
            f"<p>{sign}</p></div>")
