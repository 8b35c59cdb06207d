"""The client's side: pay-now links, the pay-now settings (limits and bank details), and the
answers a client gives there or on a call — payment plans and their instalments, disputes.

These tables were created by the reminders app and keep their names (``db_table``); the
models moved here in migration 0008 of reminders (state only, no table touched).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Q
from django.utils import timezone

from answers import banking
from answers.banking import validate_settings
from clients.models import Client
from infra.text import TextValidator


class PayLink(models.Model):
    """A pay-now link: a random token (128 bits) of which only the SHA-256 is stored, scoped to
    one client. Every message carries a fresh one, so a link's expiry is renewed by each new
    reminder, and the first visit through a link marks its message as clicked."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="pay_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    message = models.ForeignKey("reminders.OutboundMessage", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="pay_links")
    purpose = models.CharField(max_length=40, default="reminder",
                               help_text="What the link was made for: reminder, call, "
                                         "bookkeeper, receipt.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    first_visit_at = models.DateTimeField(null=True, blank=True)
    last_visit_at = models.DateTimeField(null=True, blank=True)
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "reminders_paylink"  # moved from reminders: the table kept its name
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "-created_at"])]

    def __str__(self) -> str:
        return f"Pay link for {self.client} until {self.expires_at:%Y-%m-%d}"

class PortalSettings(models.Model):
    """One row of admin settings for the pay-now pages: link lifetime, the limits of what a
    client may propose, and how to pay by bank transfer."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    link_valid_days = models.PositiveSmallIntegerField(
        default=60, help_text="A pay-now link works this many days after the message that "
                              "carried it. Every new reminder carries a new link.")
    promise_max_days = models.PositiveSmallIntegerField(
        default=45, help_text="A client may promise a payment date at most this many days ahead.")
    plan_max_instalments = models.PositiveSmallIntegerField(
        default=6, help_text="Most instalments a client may propose.")
    plan_max_months = models.PositiveSmallIntegerField(
        default=6, help_text="The last instalment at most this many months after the proposal.")
    plan_first_within_days = models.PositiveSmallIntegerField(
        default=30, help_text="The first instalment at most this many days after the proposal.")
    plan_min_instalment = models.JSONField(
        default=dict, blank=True,
        help_text='Smallest instalment per currency, e.g. {"EUR": "50", "USD": "50", '
                  '"JPY": "5000"}. No entry: no minimum.')
    callback_days = models.PositiveSmallIntegerField(
        default=10, help_text="A client may ask for a call back within this many business days.")
    dispute_attachment_mb = models.PositiveSmallIntegerField(
        default=5, help_text="Largest attachment to a dispute (PDF, PNG or JPEG).")
    # The single bank account of before per-currency accounts (``BankAccount``): read only, and
    # read at all only while no bank account was ever set up (``banking.account_book``).
    account_holder = models.CharField(max_length=140, blank=True, editable=False)
    bank_name = models.CharField(max_length=140, blank=True, editable=False)
    iban = models.CharField("IBAN", max_length=42, blank=True, editable=False)
    bic = models.CharField("BIC", max_length=11, blank=True, editable=False)
    account_number = models.CharField(max_length=34, blank=True, editable=False,
                                      help_text="For accounts without an IBAN (US, ...).")
    routing_number = models.CharField(max_length=9, blank=True, editable=False,
                                      help_text="US ABA routing number (9 digits).")
    accepts_cheques = models.BooleanField(default=False)
    cheque_payee = models.CharField(max_length=140, blank=True)

    class Meta:
        db_table = "reminders_portalsettings"  # moved from reminders: the table kept its name
        verbose_name = verbose_name_plural = "pay-now settings"
        constraints = [models.CheckConstraint(condition=Q(singleton=True),
                                              name="portal_settings_single_row")]

    def __str__(self) -> str:
        return "Pay-now settings"

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        cache.delete("settle:pay-link-valid-days")  # links.valid_days reads it afresh

    @classmethod
    def load(cls) -> PortalSettings:
        row, _ = cls.objects.get_or_create(singleton=True)
        return row

    def clean(self) -> None:
        validate_settings(self)


class BankScheme(models.TextChoices):
    IBAN = banking.SCHEME_IBAN, banking.SCHEME_LABELS[banking.SCHEME_IBAN]
    UK = banking.SCHEME_UK, banking.SCHEME_LABELS[banking.SCHEME_UK]
    US = banking.SCHEME_US, banking.SCHEME_LABELS[banking.SCHEME_US]
    OTHER = banking.SCHEME_OTHER, banking.SCHEME_LABELS[banking.SCHEME_OTHER]


class BankAccount(models.Model):
    """The business's bank account for one currency: the one clients paying invoices in that
    currency see on the pay-now page, in messages, letters, invoices and statements. One active
    account per currency; a deactivated one is kept (and may be made active again)."""

    currency = models.CharField(max_length=3, help_text="ISO 4217 code: EUR, GBP, USD, ...")
    scheme = models.CharField("kind of details", max_length=5, choices=BankScheme.choices,
                              default=BankScheme.IBAN)
    holder = models.CharField("account holder", max_length=140, validators=[
        TextValidator("The account holder", multiline=False)],
        help_text="The name the bank holds the account under.")
    bank_name = models.CharField("bank", max_length=140, blank=True, validators=[
        TextValidator("The bank's name", multiline=False)])
    iban = models.CharField("IBAN", max_length=42, blank=True,
                            help_text="Spaces are fine: DE89 3704 0044 0532 0130 00.")
    bic = models.CharField("BIC", max_length=11, blank=True, help_text="Also called SWIFT code.")
    sort_code = models.CharField(max_length=8, blank=True, help_text="6 digits, e.g. 12-34-56.")
    account_number = models.CharField(max_length=34, blank=True,
                                      help_text="UK: 8 digits. US: 4 to 17 digits.")
    routing_number = models.CharField("routing number (ABA)", max_length=11, blank=True,
                                      help_text="9 digits.")
    details = models.TextField(
        blank=True, max_length=600, validators=[TextValidator("The details")],
        help_text="For any other currency: what a client types into their bank (account "
                  "number, bank code, SWIFT, ...), one item per line.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-active", "currency", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["currency"], condition=Q(active=True), name=banking.ONE_PER_CURRENCY,
            violation_error_message="There is already an active account in this currency.")]

    def __str__(self) -> str:
        facts = banking.details_of(self).facts
        return f"{self.currency} · {self.holder}" + (f" · {facts[0][1]}" if facts else "")

    def clean(self) -> None:
        banking.validate_account(self)


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed by the client"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"

class PaymentPlan(models.Model):
    """Instalments for one or more invoices of a client in one currency. While accepted, the
    invoices' cadence is replaced by reminders around each instalment."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payment_plans")
    currency = models.CharField(max_length=3)
    invoices = models.ManyToManyField("receivables.Invoice", related_name="payment_plans",
                                      db_table="reminders_paymentplan_invoices")
    total = models.DecimalField(max_digits=19, decimal_places=4,
                                help_text="What the plan covers: the invoices' balance when "
                                          "it was proposed.")
    status = models.CharField(max_length=10, choices=PlanStatus.choices,
                              default=PlanStatus.PROPOSED)
    channel = models.CharField(max_length=12, default="portal")
    client_note = models.TextField(blank=True)
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decision_note = models.TextField(blank=True)

    class Meta:
        db_table = "reminders_paymentplan"  # moved from reminders: the table kept its name
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values),
                                   name="plan_status_known"),
            models.CheckConstraint(condition=Q(total__gt=0), name="plan_total_positive"),
        ]

    def __str__(self) -> str:
        return f"Payment plan {self.pk} for {self.client} ({self.get_status_display()})"

class Instalment(models.Model):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(max_digits=19, decimal_places=4)

    class Meta:
        db_table = "reminders_instalment"  # moved from reminders: the table kept its name
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="instalment_number_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Instalment {self.number} of plan {self.plan_id} on {self.due_date}"

class DisputeReason(models.TextChoices):
    WRONG_AMOUNT = "wrong_amount", "The amount is wrong"
    NOT_RECEIVED = "not_received", "We did not receive the goods or service"
    QUALITY = "quality", "A problem with the work or goods"
    ALREADY_PAID = "already_paid", "We already paid this"
    NOT_OURS = "not_ours", "This invoice is not ours"
    OTHER = "other", "Something else"

class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"

class Dispute(models.Model):
    """A client's objection to one invoice: its reminders stop at once and a bookkeeper
    reviews it. The attachment is stored privately and served only to signed-in staff."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="disputes")
    invoice = models.ForeignKey("receivables.Invoice", on_delete=models.PROTECT,
                                related_name="disputes")
    reason = models.CharField(max_length=16, choices=DisputeReason.choices)
    message = models.TextField(blank=True)
    attachment = models.FileField(upload_to="disputes/%Y/%m/", blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)
    channel = models.CharField(max_length=12, default="portal")
    status = models.CharField(max_length=10, choices=DisputeStatus.choices,
                              default=DisputeStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "reminders_dispute"  # moved from reminders: the table kept its name
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(reason__in=DisputeReason.values),
                                              name="dispute_reason_known")]

    def __str__(self) -> str:
        return f"Dispute of {self.invoice} ({self.get_reason_display()})"
