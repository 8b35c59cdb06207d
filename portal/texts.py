"""The pay-now page's words, per language. Amounts and dates are formatted by Babel for the
client's locale; these are the sentences around them. A language without a catalogue here, or
a missing sentence, falls back to English."""

from __future__ import annotations

from typing import Any

EN: dict[str, str] = {
    "title": "Your invoices with {business}",
    "hello": "Hello {name},",
    "intro": "Here is what is open with {business}. Pay online, by bank transfer, or tell us "
             "what works for you.",
    "nothing_open": "Nothing is open: thank you, you are all settled.",
    "invoice": "Invoice",
    "due": "Due",
    "balance": "Balance",
    "fees": "Fees and interest",
    "today": "To pay today",
    "total": "Total to pay today",
    "overdue": "{days} days overdue",
    "due_in": "due in {days} days",
    "due_today": "due today",
    "due_tomorrow": "due tomorrow",
    "overdue_one": "1 day overdue",
    "card_currency": "Pay the selected {currency} invoices by card",
    "pdf": "PDF",
    "disputed": "Under review (you raised a question)",
    "promised": "You promised to pay by {day}",
    "in_plan": "In your payment plan",
    "plan_waiting": "Payment plan proposed, waiting for our answer",
    "discount": "Pay by {day} and {amount} early-payment discount applies: pay {total}.",
    "discount_today": "Early-payment discount of {amount} included if paid by {day}.",
    "how_to_pay": "How to pay",
    "card": "Pay by card",
    "card_selected": "Pay selected invoices by card",
    "card_note": "You will be taken to Stripe's secure payment page.",
    "transfer": "Bank transfer",
    "holder": "Account holder",
    "bank": "Bank",
    "iban": "IBAN",
    "bic": "BIC",
    "account": "Account number",
    "routing": "Routing number",
    "reference": "Reference (please use exactly)",
    "amount": "Amount",
    "qr": "Scan with your banking app to fill in the transfer.",
    "cheque": "Cheque payable to {payee}",
    "other_answers": "Can't pay it all right now?",
    "promise": "Promise a payment date",
    "plan": "Propose a payment plan",
    "dispute": "Something wrong with an invoice?",
    "callback": "Ask us to call you back",
    "preferences": "How we remind you",
    "statement": "Statement of account (PDF)",
    "back": "Back to your invoices",
    "send": "Send",
    "choose_invoices": "Invoices",
    "promise_date": "I will pay by",
    "promise_amount": "Amount (optional)",
    "plan_count": "Number of instalments",
    "plan_first": "First instalment on",
    "plan_frequency": "How often",
    "plan_note": "Anything we should know (optional)",
    "plan_limits": "Up to {count} instalments; the first by {first}; the last by {last}.",
    "plan_minimum": "Each instalment at least {amount}.",
    "monthly": "Monthly",
    "fortnightly": "Every two weeks",
    "weekly": "Weekly",
    "dispute_invoice": "Invoice",
    "dispute_reason": "What is wrong?",
    "dispute_message": "Tell us more",
    "dispute_file": "Attach a document (PDF, PNG or JPEG, up to {mb} MB, optional)",
    "callback_day": "Day",
    "callback_window": "Time",
    "morning": "Morning (9:00-12:00)",
    "afternoon": "Afternoon (13:00-17:00)",
    "callback_number": "Number to call (optional)",
    "callback_note": "What would you like to talk about? (optional)",
    "pref_first": "Remind me first by",
    "pref_language": "Language",
    "pref_no_sms": "No text messages (SMS)",
    "pref_legal": "Some notices, such as a formal letter of demand, are required by law and "
                  "may still come by email or post.",
    "ch_email": "Email",
    "ch_sms": "Text message (SMS)",
    "ch_letter": "Letter",
    "ch_phone": "Phone call",
    "done_promise": "Thank you. We have noted your promise; reminders for these invoices wait "
                    "until that date.",
    "done_plan": "Thank you. Your proposal is with us; we will answer shortly. Reminders wait "
                 "in the meantime.",
    "done_dispute": "Thank you. We stopped the reminders for this invoice and will look into "
                    "it.",
    "done_callback": "Thank you. We will call you back at the time you chose.",
    "done_preferences": "Thank you. Your preferences are saved.",
    "done_paid": "Thank you for your payment. It can take a moment to show here.",
    "done_cancelled": "The card payment was cancelled; nothing was charged.",
    "errors": "Please check the highlighted fields.",
    "not_found_title": "This link does not work",
    "not_found": "The link may have expired or been replaced by a newer one. Please use the link "
                 "in our most recent message, or contact us.",
    "too_many": "Too many requests. Please wait a moment and try again.",
    "plan_title": "Your payment plan",
    "plan_instalment": "Instalment {n}: {amount} on {day}",
    "plan_paid": "paid",
    "contact": "Questions? {contact}",
}

DE: dict[str, str] = {
    "title": "Ihre Rechnungen bei {business}",
    "hello": "Guten Tag {name},",
    "intro": "Hier sehen Sie, was bei {business} offen ist. Zahlen Sie online oder per "
             "Überweisung, oder sagen Sie uns, was für Sie passt.",
    "nothing_open": "Es ist nichts offen: vielen Dank, alles ist beglichen.",
    "invoice": "Rechnung",
    "due": "Fällig",
    "balance": "Offen",
    "fees": "Gebühren und Zinsen",
    "today": "Heute zu zahlen",
    "total": "Heute insgesamt zu zahlen",
    "overdue": "seit {days} Tagen überfällig",
    "due_in": "fällig in {days} Tagen",
    "due_today": "heute fällig",
    "due_tomorrow": "morgen fällig",
    "overdue_one": "seit 1 Tag überfällig",
    "card_currency": "Ausgewählte Rechnungen in {currency} mit Karte zahlen",
    "pdf": "PDF",
    "disputed": "In Prüfung (Sie haben eine Rückfrage gestellt)",
    "promised": "Sie haben Zahlung bis {day} zugesagt",
    "in_plan": "In Ihrer Ratenzahlung",
    "plan_waiting": "Ratenzahlung vorgeschlagen, wir antworten in Kürze",
    "discount": "Bei Zahlung bis {day} gilt {amount} Skonto: zahlen Sie {total}.",
    "discount_today": "Skonto von {amount} enthalten bei Zahlung bis {day}.",
    "how_to_pay": "So zahlen Sie",
    "card": "Mit Karte zahlen",
    "card_selected": "Ausgewählte Rechnungen mit Karte zahlen",
    "card_note": "Sie werden zur sicheren Zahlungsseite von Stripe weitergeleitet.",
    "transfer": "Überweisung",
    "holder": "Kontoinhaber",
    "bank": "Bank",
    "iban": "IBAN",
    "bic": "BIC",
    "account": "Kontonummer",
    "routing": "Routing-Nummer",
    "reference": "Verwendungszweck (bitte genau so angeben)",
    "amount": "Betrag",
    "qr": "Mit Ihrer Banking-App scannen, um die Überweisung auszufüllen.",
    "cheque": "Scheck zahlbar an {payee}",
    "other_answers": "Sie können gerade nicht alles zahlen?",
    "promise": "Zahlungstermin zusagen",
    "plan": "Ratenzahlung vorschlagen",
    "dispute": "Stimmt mit einer Rechnung etwas nicht?",
    "callback": "Rückruf vereinbaren",
    "preferences": "Wie wir Sie erinnern",
    "statement": "Kontoauszug (PDF)",
    "back": "Zurück zu Ihren Rechnungen",
    "send": "Senden",
    "choose_invoices": "Rechnungen",
    "promise_date": "Ich zahle bis",
    "promise_amount": "Betrag (optional)",
    "plan_count": "Anzahl der Raten",
    "plan_first": "Erste Rate am",
    "plan_frequency": "Wie oft",
    "plan_note": "Möchten Sie uns noch etwas sagen? (optional)",
    "plan_limits": "Bis zu {count} Raten; die erste bis {first}; die letzte bis {last}.",
    "plan_minimum": "Jede Rate mindestens {amount}.",
    "monthly": "Monatlich",
    "fortnightly": "Alle zwei Wochen",
    "weekly": "Wöchentlich",
    "dispute_invoice": "Rechnung",
    "dispute_reason": "Was stimmt nicht?",
    "dispute_message": "Erzählen Sie uns mehr",
    "dispute_file": "Dokument anhängen (PDF, PNG oder JPEG, bis {mb} MB, optional)",
    "callback_day": "Tag",
    "callback_window": "Uhrzeit",
    "morning": "Vormittags (9:00-12:00)",
    "afternoon": "Nachmittags (13:00-17:00)",
    "callback_number": "Telefonnummer (optional)",
    "callback_note": "Worüber möchten Sie sprechen? (optional)",
    "pref_first": "Erinnern Sie mich zuerst per",
    "pref_language": "Sprache",
    "pref_no_sms": "Keine SMS",
    "pref_legal": "Manche Schreiben, etwa eine förmliche Mahnung, sind gesetzlich vorgeschrieben "
                  "und können weiterhin per E-Mail oder Post kommen.",
    "ch_email": "E-Mail",
    "ch_sms": "SMS",
    "ch_letter": "Brief",
    "ch_phone": "Anruf",
    "done_promise": "Vielen Dank. Wir haben Ihre Zusage notiert; bis zu diesem Tag erinnern wir "
                    "Sie nicht an diese Rechnungen.",
    "done_plan": "Vielen Dank. Ihr Vorschlag liegt uns vor; wir antworten in Kürze. Bis dahin "
                 "pausieren die Erinnerungen.",
    "done_dispute": "Vielen Dank. Wir haben die Erinnerungen für diese Rechnung gestoppt und "
                    "prüfen sie.",
    "done_callback": "Vielen Dank. Wir rufen Sie zur gewählten Zeit zurück.",
    "done_preferences": "Vielen Dank. Ihre Einstellungen sind gespeichert.",
    "done_paid": "Vielen Dank für Ihre Zahlung. Es kann einen Moment dauern, bis sie hier "
                 "erscheint.",
    "done_cancelled": "Die Kartenzahlung wurde abgebrochen; es wurde nichts belastet.",
    "errors": "Bitte prüfen Sie die markierten Felder.",
    "not_found_title": "Dieser Link funktioniert nicht",
    "not_found": "Der Link ist vielleicht abgelaufen oder wurde durch einen neueren ersetzt. "
                 "Bitte nutzen Sie den Link aus unserer letzten Nachricht, oder kontaktieren "
                 "Sie uns.",
    "too_many": "Zu viele Anfragen. Bitte warten Sie einen Moment.",
    "plan_title": "Ihre Ratenzahlung",
    "plan_instalment": "Rate {n}: {amount} am {day}",
    "plan_paid": "bezahlt",
    "contact": "Fragen? {contact}",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "de": DE}


class Texts:
    """``t.key`` in templates; ``t.get(key, **values)`` in code."""

    def __init__(self, language: str) -> None:
        self.language = language if language in CATALOGUES else "en"
        self._catalogue = CATALOGUES[self.language]

    def get(self, key: str, **values: Any) -> str:
        text = self._catalogue.get(key) or EN[key]
        return text.format(**values) if values else text

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        return self.get(key) if key in EN else ""
