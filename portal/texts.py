"""The pay-now page's words: English source strings marked for gettext, translated in
``locale/<language>/LC_MESSAGES/django.po`` (de, fr, es). Amounts and dates are formatted by
Babel for the client's locale; these are the sentences around them, with ``{name}``
placeholders filled in by ``Texts.get``. A language without a catalogue, or a sentence a
catalogue lacks, falls back to English."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override, pgettext_lazy

from core.contact import DEFAULT_LANGUAGE, LANGUAGES

# Looked up by key in templates (``t.title``) and code (``t.get("overdue", days=3)``). A
# context (pgettext) where the same English word reads differently elsewhere: on invoices
# ("Balance" is "Saldo" there, "Offen" here), or in Django's own catalogues, which locale/
# overrides (a plain "Email" or "Time" here would change them on every page).
TEXTS: dict[str, Promise] = {
    "choose_one": _("Choose the invoices you want to pay."),
    "title": _("Your invoices with {business}"),
    "hello": _("Hello {name},"),
    "intro": _("Here is what is open with {business}. Pay online, by bank transfer, or tell us "
               "what works for you."),
    # Without card payment the intro never says "Pay online".
    "intro_transfer": _("Here is what is open with {business}. Pay by bank transfer, or tell us "
                        "what works for you."),
    "nothing_open": _("Nothing is open: thank you, you are all settled."),
    "invoice": _("Invoice"),
    "due": _("Due"),
    "balance": pgettext_lazy("pay-now page", "Balance"),
    "fees": _("Fees and interest"),
    "today": _("To pay today"),
    "total": _("Total to pay today"),
    "overdue": _("{days} days overdue"),
    "due_in": _("due in {days} days"),
    "due_today": _("due today"),
    "due_tomorrow": _("due tomorrow"),
    "overdue_one": _("1 day overdue"),
    "card_currency": _("Pay the selected {currency} invoices by card"),
    "pdf": _("PDF"),
    "disputed": _("Under review (you raised a question)"),
    "promised": _("You promised to pay by {day}"),
    "in_plan": _("In your payment plan"),
    "plan_waiting": _("Payment plan proposed, waiting for our answer"),
    "discount": _("Pay by {day} and {amount} early-payment discount applies: pay {total}."),
    "discount_today": _("Early-payment discount of {amount} included if paid by {day}."),
    "how_to_pay": pgettext_lazy("pay-now page", "How to pay"),
    "card": _("Pay by card"),
    "card_selected": _("Pay selected invoices by card"),
    "card_note": _("You will be taken to Stripe's secure payment page."),
    "transfer": _("Bank transfer"),
    "holder": _("Account holder"),
    "bank": _("Bank"),
    "iban": _("IBAN"),
    "bic": _("BIC"),
    "account": _("Account number"),
    "routing": _("Routing number"),
    "reference": _("Reference (please use exactly)"),
    "amount": _("Amount"),
    "qr": _("Scan with your banking app to fill in the transfer."),
    # The pay-now account is in another currency: never its IBAN as the way to pay this one.
    "other_currency": _("For payments in {currency}, please contact us for our account details."),
    "invoice_list": _("Invoices ({count})"),
    "one_currency": _("Choose invoices in one currency at a time."),
    "cheque": _("Cheque payable to {payee}"),
    "other_answers": _("Can't pay it all right now?"),
    "promise": _("Promise a payment date"),
    "plan": _("Propose a payment plan"),
    "dispute": _("Something wrong with an invoice?"),
    "callback": _("Ask us to call you back"),
    "preferences": _("How we remind you"),
    "statement": _("Statement of account (PDF)"),
    "back": _("Back to your invoices"),
    "send": _("Send"),
    "choose_invoices": _("Invoices"),
    "promise_date": _("I will pay by"),
    "promise_amount": _("Amount (optional)"),
    "plan_count": _("Number of instalments"),
    "plan_first": _("First instalment on"),
    "plan_frequency": _("How often"),
    "plan_note": _("Anything we should know (optional)"),
    "plan_limits": _("Up to {count} instalments; the first by {first}; the last by {last}."),
    "plan_minimum": _("Each instalment at least {amount}."),
    "monthly": _("Monthly"),
    "fortnightly": _("Every two weeks"),
    "weekly": _("Weekly"),
    "dispute_invoice": _("Invoice"),
    "dispute_reason": _("What is wrong?"),
    "dispute_message": _("Tell us more"),
    "dispute_file": _("Attach a document (PDF, PNG or JPEG, up to {mb} MB, optional)"),
    "callback_day": _("Day"),
    "callback_window": pgettext_lazy("pay-now page", "Time"),
    "morning": _("Morning (9:00-12:00)"),
    "afternoon": _("Afternoon (13:00-17:00)"),
    "callback_number": _("Number to call (optional)"),
    "callback_note": _("What would you like to talk about? (optional)"),
    "pref_first": _("Remind me first by"),
    "pref_language": _("Language"),
    "pref_no_sms": _("No text messages (SMS)"),
    "pref_legal": _("Some notices, such as a formal letter of demand, are required by law and "
                    "may still come by email or post."),
    "ch_email": pgettext_lazy("pay-now page", "Email"),
    "ch_sms": _("Text message (SMS)"),
    "ch_letter": _("Letter"),
    "ch_phone": _("Phone call"),
    "done_promise": _("Thank you. We have noted your promise; reminders for these invoices wait "
                      "until that date."),
    "done_plan": _("Thank you. Your proposal is with us; we will answer shortly. Reminders wait "
                   "in the meantime."),
    "done_dispute": _("Thank you. We stopped the reminders for this invoice and will look into "
                      "it."),
    "done_callback": _("Thank you. We will call you back at the time you chose."),
    "done_preferences": _("Thank you. Your preferences are saved."),
    "done_paid": _("Thank you for your payment. It can take a moment to show here."),
    "done_cancelled": _("The card payment was cancelled; nothing was charged."),
    "errors": _("Please check the highlighted fields."),
    "not_found_title": _("This link does not work"),
    "not_found": _("The link may have expired or been replaced by a newer one. Please use the "
                   "link in our most recent message, or contact us."),
    "too_many": _("Too many requests. Please wait a moment and try again."),
    "plan_title": _("Your payment plan"),
    "plan_instalment": _("Instalment {n}: {amount} on {day}"),
    "plan_paid": _("paid"),
    "contact": _("Questions? {contact}"),
    "reason_wrong_amount": _("The amount is wrong"),
    "reason_not_received": _("We did not receive the goods or service"),
    "reason_quality": _("A problem with the work or goods"),
    "reason_already_paid": _("We already paid this"),
    "reason_not_ours": _("This invoice is not ours"),
    "reason_other": _("Something else"),
}


class Texts:
    """The page's words in one language: ``t.key`` in templates; ``t.get(key, **values)`` in
    code. Each lookup translates under ``override(language)``, whatever language the request
    itself is in (the pay-now page speaks the client's language, not the browser's)."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def get(self, key: str, **values: Any) -> str:
        with override(self.language):
            text = str(TEXTS[key])
        return text.format(**values) if values else text

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        return self.get(key) if key in TEXTS else ""
