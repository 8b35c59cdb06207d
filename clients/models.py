"""Clients (the people who owe) and their append-only timeline of interactions."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clients.business_cache import forget
from core import calendar as paycal
from core.contact import (
    LANGUAGES,
    ContactError,
    contact_point,
    normalize_phone,
    validate_country,
    validate_timezone,
)
from core.money import MoneyError, normalize_currency


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    LETTER = "letter", "Letter"
    PHONE = "phone", "Phone call"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    CHEQUE = "cheque", "Cheque"
    CASH = "cash", "Cash"
    OTHER = "other", "Other"


DEFAULT_CHANNEL_ORDER = [Channel.EMAIL.value, Channel.SMS.value, Channel.LETTER.value,
                         Channel.PHONE.value]


def _default_channels() -> list[str]:
    return list(DEFAULT_CHANNEL_ORDER)


def _default_payment_methods() -> list[str]:
    return [PaymentMethod.BANK_TRANSFER.value]


def _default_timezone() -> str:
    return settings.SETTLE_DEFAULT_TIMEZONE


def _default_currency() -> str:
    return settings.SETTLE_DEFAULT_CURRENCY


def _default_country() -> str:
    return settings.SETTLE_DEFAULT_COUNTRY


def _validate_choice_list(value: Any, choices: type[models.TextChoices], what: str) -> None:
    if not isinstance(value, list):
        raise ValidationError(f"{what} must be a list.")
    unknown = [v for v in value if v not in choices.values]
    if unknown:
        raise ValidationError(
            f"Unknown {what.lower()}: {', '.join(map(str, unknown))}. "
            f"Choose from {', '.join(choices.values)}.")
    if len(set(value)) != len(value):
        raise ValidationError(f"{what} lists an entry twice.")


def validate_channel_order(value: Any) -> None:
    _validate_choice_list(value, Channel, "Channel preference")


def validate_payment_methods(value: Any) -> None:
    _validate_choice_list(value, PaymentMethod, "Payment method")


def validate_pay_run(value: Any) -> None:
    try:
        paycal.normalize_pay_run(value)
    except paycal.PayRunError as exc:
        raise ValidationError(str(exc)) from None


def validate_currency_code(value: str) -> None:
    try:
        normalize_currency(value)
    except MoneyError as exc:
        raise ValidationError(str(exc)) from None


def validate_timezone_name(value: str) -> None:
    try:
        validate_timezone(value)
    except ContactError as exc:
        raise ValidationError(str(exc)) from None


def validate_country_code(value: str) -> None:
    try:
        validate_country(value)
    except ContactError as exc:
        raise ValidationError(str(exc)) from None


class ClientTag(models.Model):
    """A label such as "high-value" that cadences and filters can key on."""

    name = models.SlugField(max_length=40, unique=True,
                            help_text="Lower-case, e.g. high-value, public-sector.")
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    reference = models.CharField(
        max_length=40, unique=True,
        help_text="Customer number in your accounting system; used to match imports.")
    display_name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True,
                                  help_text="As printed on letters; the display name if empty.")
    contact_name = models.CharField("contact person", max_length=200, blank=True)
    email = models.EmailField(blank=True)
    mobile_phone = models.CharField(max_length=20, blank=True,
                                    help_text="For SMS, stored in E.164 (+4915123456789).")
    phone = models.CharField(max_length=20, blank=True,
                             help_text="Number for calls, if different from the mobile.")

    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="State, county or province.")
    country = models.CharField(max_length=2, default=_default_country,
                               validators=[validate_country_code],
                               help_text="Two-letter ISO code (DE, US, GB, ...).")

    channel_preferences = models.JSONField(
        default=_default_channels, validators=[validate_channel_order],
        help_text="Channels to try, in order: email, sms, letter, phone.")
    language = models.CharField(max_length=5, choices=list(LANGUAGES.items()), default="en")
    timezone = models.CharField(max_length=64, default=_default_timezone,
                                validators=[validate_timezone_name])
    default_currency = models.CharField(max_length=3, default=_default_currency,
                                        validators=[validate_currency_code])
    default_terms = models.ForeignKey("receivables.PaymentTerms", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+",
                                      help_text="The default terms apply when empty.")
    payment_methods = models.JSONField("preferred payment methods",
                                       default=_default_payment_methods,
                                       validators=[validate_payment_methods], blank=True)
    pay_run_days = models.JSONField(
        default=list, blank=True, validators=[validate_pay_run],
        help_text='Days of the month the client pays, e.g. [15, "last-business"].')
    tags = models.ManyToManyField(ClientTag, blank=True, related_name="clients")
    reminders_paused_until = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="owned_clients",
                              help_text="The bookkeeper responsible for this client.")
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["owner", "display_name"])]
        constraints = [
            models.CheckConstraint(condition=Q(language__in=list(LANGUAGES)),
                                   name="client_language_supported"),
            models.CheckConstraint(condition=Q(mobile_phone="") | Q(mobile_phone__startswith="+"),
                                   name="client_mobile_e164"),
            models.CheckConstraint(condition=~Q(display_name=""), name="client_has_name"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for field in ("mobile_phone", "phone"):
            value = getattr(self, field)
            if value:
                try:
                    setattr(self, field, normalize_phone(value, region=self.country or None))
                except ContactError as exc:
                    errors[field] = str(exc)
        if self.default_currency:
            self.default_currency = self.default_currency.strip().upper()
        if self.country:
            self.country = self.country.strip().upper()
        if isinstance(self.pay_run_days, list):
            with contextlib.suppress(paycal.PayRunError):  # the field validator reports it
                self.pay_run_days = paycal.normalize_pay_run(self.pay_run_days)
        if errors:
            raise ValidationError(errors)

    def contact_for(self, channel: str) -> str:
        """The address or number a channel uses for this client ('' when there is none)."""
        return contact_point(self, channel)

    @property
    def name_on_letters(self) -> str:
        return self.legal_name or self.display_name

    @property
    def pay_run_description(self) -> str:
        return paycal.describe_pay_run(self.pay_run_days or [])

    def reminders_paused_on(self, day: Any) -> bool:
        return bool(self.reminders_paused_until and day <= self.reminders_paused_until)

    def local_today(self, now: datetime | None = None) -> date:
        """The date on the client's own calendar (their time zone) at ``now``."""
        return (now or timezone.now()).astimezone(ZoneInfo(self.timezone)).date()


class FlagReason(models.TextChoices):
    BOUNCED = "bounced", "Email bounced"
    COMPLAINED = "complained", "Marked as spam"
    OPTED_OUT = "opted_out", "Opted out of SMS"
    INVALID = "invalid", "Invalid address or number"
    UNDELIVERABLE = "undeliverable", "Undeliverable"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class ContactFlag(models.Model):
    """A contact point that does not work: reminders skip it (and fall back to the client's
    next channel) until a bookkeeper clears the flag or the client's details change."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contact_flags")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    value = models.CharField(max_length=320, help_text="The address or number flagged.")
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "channel", "value"],
                                    condition=Q(cleared_at__isnull=True),
                                    name="one_open_flag_per_contact_point"),
            models.CheckConstraint(condition=Q(reason__in=FlagReason.values),
                                   name="contact_flag_reason_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.value}: {self.get_reason_display()}"

    @property
    def is_client_choice(self) -> bool:
        """The client opted out (or marked us as spam): their choice, not a broken contact
        point; only they can take it back (START, a resubscribe)."""
        return self.reason in CLIENT_CHOICES


CLIENT_CHOICES = frozenset({FlagReason.OPTED_OUT, FlagReason.COMPLAINED})


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a timeline entry."""

    def __init__(self, what: str = "Interaction") -> None:
        super().__init__(f"{what} entries are append-only: they cannot be edited or deleted. "
                         "Record a new entry (a note or a correction) instead.")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(self.model.__name__)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(self.model.__name__)

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError(self.model.__name__)

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(self.model.__name__)


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never updated or deleted: not by save(), not by a queryset,
    and (see the migration's triggers) not by SQL either."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(type(self).__name__)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(type(self).__name__)


class InteractionKind(models.TextChoices):
    EMAIL_REMINDER = "email_reminder", "Email reminder"
    SMS_REMINDER = "sms_reminder", "SMS reminder"
    LETTER_REMINDER = "letter_reminder", "Letter"
    CALL = "call", "Call"
    NOTE = "note", "Note"
    PAYMENT = "payment", "Payment"
    PROMISE_TO_PAY = "promise_to_pay", "Promise to pay"
    DISPUTE = "dispute", "Dispute"
    ESCALATION = "escalation", "Escalation"
    PORTAL_VISIT = "portal_visit", "Pay-now page visit"
    PAYMENT_PLAN = "payment_plan", "Payment plan"
    PREFERENCES = "preferences", "Preferences changed"
    STATUS_CHANGE = "status_change", "Status change"
    INVOICE_ISSUED = "invoice_issued", "Invoice issued"
    ADJUSTMENT = "adjustment", "Fee, interest or discount"
    DELIVERY = "delivery", "Delivery update"


class InteractionChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    LETTER = "letter", "Letter"
    PHONE = "phone", "Phone"
    PORTAL = "portal", "Pay-now page"
    IN_PERSON = "in_person", "In person"
    SYSTEM = "system", "System"


class Interaction(AppendOnlyModel):
    """One entry of a client's timeline: what happened, when, who did it, and the exact content
    (the text that was sent, the note that was written) as it was at that moment."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="interactions")
    kind = models.CharField(max_length=24, choices=InteractionKind.choices)
    channel = models.CharField(max_length=12, choices=InteractionChannel.choices,
                               default=InteractionChannel.SYSTEM)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+",
                              help_text="The user who acted; empty when the system or the "
                                        "client did.")
    actor_label = models.CharField(max_length=120, default="system",
                                   help_text='"system", "client" or the user\'s name.')
    summary = models.CharField(max_length=300)
    content = models.JSONField(default=dict, blank=True,
                               help_text="Snapshot of the exact content (subject, text, html).")
    metadata = models.JSONField(default=dict, blank=True)
    # Invoice is receivables' (a layer above): named by string, so typed Any here.
    invoices: models.ManyToManyField[Any, InteractionInvoice] = models.ManyToManyField(
        "receivables.Invoice", through="InteractionInvoice", related_name="interactions",
        blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["client", "-occurred_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=InteractionKind.values),
                                   name="interaction_kind_known"),
            models.CheckConstraint(condition=~Q(summary=""), name="interaction_has_summary"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.summary}"


class InteractionInvoice(AppendOnlyModel):
    interaction = models.ForeignKey(Interaction, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey("receivables.Invoice", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interaction", "invoice"],
                                               name="interaction_invoice_once")]

    def __str__(self) -> str:
        return f"{self.interaction_id} → {self.invoice_id}"


class BusinessProfile(models.Model):
    """One row: who the business is to its clients and when it works. Empty fields fall back
    to the server's settings (SETTLE_BUSINESS_NAME, SETTLE_BUSINESS_ADDRESS,
    SETTLE_SUPPORT_PHONE, DEFAULT_FROM_EMAIL, SETTLE_BUSINESS_START/END); an admin edits it
    under Configure → Business."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField("business name", max_length=200, blank=True)
    address = models.TextField(blank=True, help_text="Sender block of letters, one line each.")
    support_phone = models.CharField(max_length=40, blank=True)
    from_email = models.CharField("sender of emails", max_length=254, blank=True,
                                  help_text='e.g. "Acme Billing <billing@acme.example>"')
    business_start = models.TimeField(null=True, blank=True,
                                      help_text="Clients' local time reminders start.")
    business_end = models.TimeField(null=True, blank=True,
                                    help_text="Clients' local time reminders stop.")
    payment_sync_max_hours = models.PositiveSmallIntegerField(
        "payment data may be this old (hours)", default=30,
        help_text="Clients whose invoices or payments come from an import or the API get no "
                  "reminders while the last payment sync is older than this (0 = no check).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "business profile"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="business_profile_one_row"),
            models.CheckConstraint(
                condition=Q(business_start__isnull=True) | Q(business_end__isnull=True)
                | Q(business_start__gte="08:00", business_end__lte="21:00",
                    business_start__lt=F("business_end")),
                name="business_hours_inside_08_21"),
        ]

    def __str__(self) -> str:
        return "Business profile"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        forget()  # the next read of clients.business.business() sees the change

    def clean(self) -> None:
        start, end = self.business_start, self.business_end
        if (start is None) != (end is None):
            raise ValidationError("Give both the start and the end of business hours, or "
                                  "neither.")
        if start and end and not (start.isoformat() >= "08:00" and end.isoformat() <= "21:00"
                                  and start < end):
            raise ValidationError("Business hours must lie between 08:00 and 21:00 and start "
                                  "before they end.")
