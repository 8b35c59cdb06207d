"""Forms of the configuration pages: field checks with messages an admin can act on. Model
invariants (``clean()`` of templates, terms and pay-now settings) run through ``full_clean``,
which a ``ModelForm`` calls; the writes themselves are in ``configure.services``."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.db.models import Count, QuerySet
from django.utils import timezone

from answers.models import BankAccount, PortalSettings
from clients.models import Client, ClientTag
from configure.selectors import sample_pay_url
from core.contact import LANGUAGES
from core.money import MoneyError, parse_amount
from receivables.models import Invoice, PaymentTerms, ReferenceRate
from reminders.models import (
    Cadence,
    CadencePurpose,
    CadenceStep,
    MessageTemplate,
    StepAction,
    StepChannel,
)
from reminders.rendering import TemplateError, validate_template
from reminders.selectors import message_context

OFFSET_LIMIT = 365
_OFFSET_ERRORS = {
    "min_value": f"Use at most {OFFSET_LIMIT} days before the due date (-{OFFSET_LIMIT}).",
    "max_value": f"Use at most {OFFSET_LIMIT} days after the due date.",
    "invalid": "Give a whole number of days: negative before the due date, 0 on it, "
               "positive after.",
}

# Which English templates a sending step needs, by its channel: each inner tuple is one need
# that any of its channels meets (a letter without its own template prints the email's HTML;
# a call script falls back to the email text, then to a plain line, so it needs none).
TEMPLATE_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    StepChannel.EMAIL: (("email",),),
    StepChannel.SMS: (("sms",),),
    StepChannel.LETTER: (("letter", "email"),),
    StepChannel.PREFERRED: (("email",), ("sms",)),
    StepChannel.CALL: (),
}


_STEP_PHRASE = {StepChannel.EMAIL: "an email step", StepChannel.SMS: "an SMS step",
                StepChannel.LETTER: "a letter step",
                StepChannel.PREFERRED: "a step on the client's preferred channel"}
_CHANNEL_WORD = {"email": "email", "sms": "SMS", "letter": "letter"}


def offset_field(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(min_value=-OFFSET_LIMIT, max_value=OFFSET_LIMIT,
                              error_messages=_OFFSET_ERRORS, **kwargs)


def missing_templates(*, key: str, channel: str, available: set[tuple[str, str]]) -> list[str]:
    """The English templates ``key`` lacks for a sending step on ``channel``, as words."""
    return [" or ".join(_CHANNEL_WORD[c] for c in need) for need in TEMPLATE_NEEDS.get(
        channel, ()) if not any((key, c) in available for c in need)]


class StepForm(forms.ModelForm):
    offset_days = offset_field(
        label="Offset (days from the due date)",
        help_text="-3 is three days before the due date, 0 the due date, 7 a week after.")
    template_key = forms.ChoiceField(required=False, label="Message template")
    actions = forms.MultipleChoiceField(
        choices=StepAction.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one action: a step that does nothing "
                                    "only clutters the cadence."})
    only_tags = forms.ModelMultipleChoiceField(
        queryset=ClientTag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Only for clients tagged",
        help_text="None ticked: the step applies to every client on this cadence.")

    class Meta:
        model = CadenceStep
        fields = ["name", "offset_days", "channel", "template_key", "tone", "actions",
                  "only_tags", "legal_notice", "needs_notice"]

    def __init__(self, *args: Any, templates: list[tuple[str, str, str]], **kwargs: Any
                 ) -> None:
        """``templates``: every (key, channel, language) there is, loaded once by the view."""
        super().__init__(*args, **kwargs)
        keys = sorted({key for key, _, _ in templates})
        template_key = cast(forms.ChoiceField, self.fields["template_key"])
        template_key.choices = [("", "— none —"), *((k, k) for k in keys)]
        self.english = {(key, channel) for key, channel, lang in templates if lang == "en"}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if CadenceStep.objects.filter(cadence=self.instance.cadence, name__iexact=name).exclude(
                pk=self.instance.pk).exists():
            raise forms.ValidationError(
                f"This cadence already has a step called '{name}'. Step names must be unique "
                "within a cadence: the outbox, the forecast and the timeline show them.")
        return name

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        key, channel = data.get("template_key") or "", data.get("channel")
        sends = StepAction.SEND_MESSAGE in (data.get("actions") or [])
        if sends and not key:
            self.add_error("template_key", "A step that sends a message needs a message "
                                           "template.")
        if data.get("legal_notice") and channel in ("sms", "call"):
            self.add_error("channel", "A legal notice goes by letter or e-mail (or "
                                      "'preferred', which means one of them), never by SMS or "
                                      "a call.")
        elif sends and channel:
            lacking = missing_templates(key=key, channel=channel, available=self.english)
            if lacking:
                self.add_error("template_key", (
                    f"'{key}' has no English {' and no English '.join(lacking)} template, "
                    f"which {_STEP_PHRASE[channel]} needs (clients without a template in their "
                    "own language get the English one). Add it under Message templates "
                    "first, or choose another template or channel."))
        return data


class MoveForm(forms.Form):
    offset_days = offset_field(label="Move to (days from the due date)")


class CadenceForm(forms.ModelForm):
    notice_days = forms.IntegerField(
        required=False, min_value=1, max_value=90, label="Notice period (days)",
        help_text="How long a letter of demand gives the client before a step that needs "
                  "notice (hand-over to collections). Empty keeps the current period (14 days "
                  "for a new cadence).")

    hold_business_days = forms.IntegerField(
        required=False, min_value=0, max_value=20, label="Hold after a personal contact "
                                                          "(business days)",
        help_text="After a logged call, a note, a promise, a reply or a call-back request, "
                  "automated messages to that client wait this long (0: no hold). Empty keeps "
                  "the current value (3 for a new cadence).")

    def clean_notice_days(self) -> int:
        value = self.cleaned_data.get("notice_days")
        return int(value) if value is not None else self.instance.notice_days

    def clean_hold_business_days(self) -> int:
        value = self.cleaned_data.get("hold_business_days")
        return int(value) if value is not None else self.instance.hold_business_days

    class Meta:
        model = Cadence
        fields = ["name", "description", "priority", "notice_days", "hold_business_days"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        error_messages = {"name": {"unique": "Another cadence already has this name."}}


class CadenceSettingsForm(CadenceForm):
    """Name, priority, and who the cadence is for: tags and explicitly assigned clients."""

    tags = forms.ModelMultipleChoiceField(
        queryset=ClientTag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Clients with any of these tags use this cadence (the lowest priority number "
                  "wins when a client's tags match several).")
    add_clients = forms.CharField(
        required=False, label="Assign clients",
        help_text="Client references, separated by commas or spaces, e.g. C-00012, C-00040.")
    remove_clients = forms.ModelMultipleChoiceField(
        queryset=Client.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Unassign")

    class Meta(CadenceForm.Meta):
        fields = [*CadenceForm.Meta.fields, "tags"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.purpose == CadencePurpose.INSTALMENTS:
            for name in ("tags", "add_clients", "remove_clients"):
                del self.fields[name]  # every accepted plan uses the instalment cadence
        else:
            remove_clients = cast(forms.ModelMultipleChoiceField, self.fields["remove_clients"])
            remove_clients.queryset = self.assigned()

    def assigned(self) -> QuerySet[Client]:
        return self.instance.clients.order_by("reference")

    def clean_add_clients(self) -> list[Client]:
        refs = [r for r in re.split(r"[\s,;]+", self.cleaned_data["add_clients"]) if r]
        found = {c.reference: c for c in Client.objects.filter(reference__in=refs)
                 .prefetch_related("cadences")}
        unknown = [r for r in refs if r not in found]
        if unknown:
            raise forms.ValidationError(f"No client with reference {', '.join(unknown)}.")
        elsewhere = [f"{c.reference} ('{other.name}')" for c in found.values()
                     for other in c.cadences.all() if other.pk != self.instance.pk]
        if elsewhere:
            raise forms.ValidationError(
                f"Already assigned to another cadence: {', '.join(elsewhere)}. A client follows "
                "one cadence: unassign it there first.")
        already = set(self.instance.clients.values_list("pk", flat=True))
        return [found[r] for r in dict.fromkeys(refs) if found[r].pk not in already]


class TemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["key", "channel", "language", "subject", "text", "html"]
        widgets = {"text": forms.Textarea(attrs={"rows": 12, "class": "code"}),
                   "html": forms.Textarea(attrs={"rows": 12, "class": "code"}),
                   "subject": forms.TextInput(attrs={"class": "wide"})}
        labels = {"html": "HTML"}
        error_messages = {"key": {"invalid": "Use lower-case letters, digits, - and _ only."}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # steps refer to the key: a template keeps what it is for
            for name in ("key", "channel", "language"):
                self.fields[name].disabled = True

    def _get_validation_exclusions(self) -> set[str]:
        # The unique (key, channel, language) check is clean()'s, with a message that says
        # what to do; the form field has validated the key's characters already.
        # A private ModelForm hook that django-stubs does not declare.
        return {*super()._get_validation_exclusions(), "key"}  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        key, channel, language = (data.get(f) for f in ("key", "channel", "language"))
        if key and channel and language and MessageTemplate.objects.filter(
                key=key, channel=channel, language=language).exclude(
                pk=self.instance.pk).exists():
            raise forms.ValidationError(
                f"'{key}' already has a {channel} template in {LANGUAGES.get(language)}: "
                "edit that one.")
        return data

    def _post_clean(self) -> None:  # type: ignore[misc]  # a ModelForm hook, as above
        """After the model's own check (over the sample values), the render budget of the
        channel with every {% if %} branch taken, for the sample and for the largest real
        client, so a branch the sample never takes cannot hide the cost of a real message."""
        super()._post_clean()  # type: ignore[misc]
        if self.errors:  # the model's check has spoken; one message is enough
            return
        template = self.instance
        try:
            validate_template(subject=template.subject, text=template.text, html=template.html,
                              channel=template.channel,
                              contexts=largest_client_context(template.language))
        except TemplateError as exc:
            self.add_error(None, str(exc))


# The client with the most open invoices is checked at save with all of them (up to
# LARGEST_CLIENT_INVOICES) as invoice lines. The context is built for the first
# CONTEXT_INVOICES only (it costs two queries an invoice); the other lines repeat those with
# their own numbers and references: a loop over invoices costs what it would for real.
LARGEST_CLIENT_INVOICES = 1000
CONTEXT_INVOICES = 20


def largest_client_context(language: str) -> list[tuple[str, dict[str, Any]]]:
    """The message context of the client with the most open invoices, in ``language``, as
    (label, context) for ``validate_template``; none while nobody owes anything."""
    top = (Invoice.objects.receivable().values("client_id").annotate(open=Count("id"))
           .order_by("-open", "client_id").first())
    if top is None:
        return []
    client = Client.objects.get(pk=top["client_id"])
    receivable = Invoice.objects.receivable().filter(client=client).order_by("due_date", "pk")
    invoices = list(receivable.select_related("terms")[:CONTEXT_INVOICES])
    context = message_context(client=client, invoices=invoices,
                              today=client.local_today(timezone.now()),
                              pay_url=sample_pay_url(), language=language)
    every = list(receivable.values_list("number", "reference")[:LARGEST_CLIENT_INVOICES])
    lines = context["invoices"]
    context["invoices"] = [{**lines[n % len(lines)], "number": number, "reference": reference}
                           for n, (number, reference) in enumerate(every)]
    context["invoice_count"] = len(every)
    context["invoice_numbers"] = ", ".join(number for number, _ in every)
    context["reference"] = ", ".join(sorted({reference for _, reference in every if reference}))
    return [(f"{client.display_name}, the client with the most open invoices "
             f"({top['open']})", context)]


class TermsForm(forms.ModelForm):
    class Meta:
        model = PaymentTerms
        fields = ["name", "net_days", "discount_percent", "discount_days", "late_fee_flat",
                  "late_fee_currency", "late_fee_percent", "late_fee_after_days",
                  "interest_percent", "interest_period", "interest_after_days", "grace_days",
                  "is_default", "statutory"]
        error_messages = {"name": {"unique": "Other payment terms already have this name."}}

    def _get_validation_exclusions(self) -> set[str]:
        # "One default" is kept by the save (the new default takes over), not refused here.
        # A private ModelForm hook that django-stubs does not declare.
        return {*super()._get_validation_exclusions(), "is_default"}  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("statutory"):  # the law sets the fee and interest: the model clears them
            return data
        fee, currency = data.get("late_fee_flat"), (data.get("late_fee_currency") or "").upper()
        if fee and currency:
            try:
                parse_amount(fee, currency, what="The flat late fee")
            except MoneyError as exc:
                self.add_error("late_fee_flat", str(exc))
        for name in ("discount_percent", "late_fee_percent", "interest_percent"):
            value = data.get(name)
            if value is not None and not 0 <= value <= 100:
                self.add_error(name, "Give a percentage between 0 and 100.")
        return data


class ReferenceRateForm(forms.ModelForm):
    """An admin's reference rate for one half-year of a statutory preset (it adds a half-year
    or overrides the published rate; saving the same half-year again replaces it)."""

    class Meta:
        model = ReferenceRate
        fields = ["statutory", "half_year_start", "rate", "note"]
        labels = {"statutory": "Preset", "rate": "Reference rate (% a year)"}
        widgets = {"half_year_start": forms.DateInput(attrs={"type": "date"})}
        error_messages = {"rate": {"invalid": "Give the reference rate as a number, e.g. "
                                              "4.00."}}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # The same half-year again replaces the admin's earlier rate: the form edits that row.
        statutory, start = data.get("statutory"), data.get("half_year_start")
        existing = ReferenceRate.objects.filter(statutory=statutory, half_year_start=start
                                                ).first() if statutory and start else None
        if existing is not None:
            self.instance = existing
        return data

    def clean_rate(self) -> Any:
        rate = self.cleaned_data.get("rate")
        if rate is not None and not -5 <= rate <= 25:
            raise forms.ValidationError("Give a percentage between -5 and 25.")
        return rate


class PortalSettingsForm(forms.ModelForm):
    class Meta:
        model = PortalSettings
        fields = ["link_valid_days", "promise_max_days", "callback_days", "dispute_attachment_mb",
                  "plan_max_instalments", "plan_max_months", "plan_first_within_days",
                  "plan_min_instalment", "accepts_cheques", "cheque_payee"]
        widgets = {"plan_min_instalment": forms.Textarea(attrs={"rows": 2, "class": "code"})}
        labels = {"link_valid_days": "Pay-now link works (days)",
                  "promise_max_days": "Promise at most (days ahead)",
                  "callback_days": "Call back within (business days)",
                  "dispute_attachment_mb": "Largest dispute attachment (MB)",
                  "plan_max_instalments": "Most instalments",
                  "plan_max_months": "Plan ends within (months)",
                  "plan_first_within_days": "First instalment within (days)",
                  "plan_min_instalment": "Smallest instalment per currency"}


class BankAccountForm(forms.ModelForm):
    """One bank account: its currency, holder, and the details of its kind (an IBAN, a UK
    sort code, a US routing number, or free text). ``BankAccount.clean`` checks and normalizes
    them (``answers.banking.validate_account``), each error on its field."""

    class Meta:
        model = BankAccount
        fields = ["currency", "holder", "bank_name", "scheme", "iban", "bic", "sort_code",
                  "routing_number", "account_number", "details"]
        widgets = {"scheme": forms.RadioSelect,
                   "currency": forms.TextInput(attrs={"size": 4, "maxlength": 3,
                                                      "autocapitalize": "characters",
                                                      "autocomplete": "off"}),
                   "details": forms.Textarea(attrs={"rows": 4})}
        labels = {"currency": "Currency", "holder": "Account holder", "bank_name": "Bank",
                  "scheme": "Kind of details", "sort_code": "Sort code",
                  "account_number": "Account number", "routing_number": "Routing number (ABA)",
                  "details": "Details"}
        error_messages = {"holder": {"required": "Give the account holder's name as the bank "
                                                 "knows it."},
                          "currency": {"required": "Give the account's currency (EUR, GBP, "
                                                   "USD, ...)."}}


class BusinessProfileForm(forms.ModelForm):
    """Who the business is to its clients and its hours; empty fields keep the server's
    settings."""

    class Meta:
        from clients.models import BusinessProfile

        model = BusinessProfile
        fields = ["name", "address", "support_phone", "from_email", "business_start",
                  "business_end", "payment_sync_max_hours"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}),
                   "business_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "business_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
