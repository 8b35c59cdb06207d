"""Payment terms, invoices, payments and the adjustments (discounts, fees, interest, write-offs)
that move an invoice's balance.

Invoice amounts are written only by ``receivables.services``, inside the transaction that
changes their inputs: the totals from the lines, ``charges_total``/``reductions_total`` from the
adjustments, ``amount_paid`` from the payment allocations. ``balance`` is a generated column, so
it can never disagree with them. Check constraints keep every stored amount non-negative and no
invoice or payment over-allocated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round

from clients.models import Client, PaymentMethod, validate_currency_code
from core import terms as termsmath
from core.money import format_money, minor_units
from infra.text import IdentifierValidator


class DecimalShape(TypedDict):
    """The ``max_digits``/``decimal_places`` pair a ``DecimalField`` is unpacked with."""

    max_digits: int
    decimal_places: int


MONEY: Final[DecimalShape] = {"max_digits": 19, "decimal_places": 4}
PERCENT: Final[DecimalShape] = {"max_digits": 7, "decimal_places": 4}

# SQLite does decimal arithmetic in binary floating point, so a sum compared with a sum may be
# off in the 15th digit. Amounts have at most 4 decimals: a slack of 1e-6 never hides a real
# over-allocation and never trips on float noise. (PostgreSQL's numeric is exact anyway.)
_SLACK = Decimal("0.000001")


def money_field(verbose_name: str = "", **kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(verbose_name or None, **MONEY, default=Decimal(0), **kwargs)


class InterestPeriod(models.TextChoices):
    MONTH = "month", "per month"
    YEAR = "year", "per year"


class Statutory(models.TextChoices):
    NONE = "", "No: the late fee and interest below"
    UK = "uk", "UK: Late Payment of Commercial Debts (Interest) Act 1998"
    EU = "eu", "EU: Late Payment Directive 2011/7/EU"


# Reset on statutory terms: the law sets the late fee and interest (see ``core.terms``).
_STATUTORY_RESETS: Final[dict[str, Any]] = {
    "late_fee_flat": Decimal(0), "late_fee_currency": "", "late_fee_percent": Decimal(0),
    "late_fee_after_days": 0, "interest_percent": Decimal(0),
    "interest_period": InterestPeriod.YEAR, "interest_after_days": 0}


class PaymentTerms(models.Model):
    """Commercial terms an invoice is issued under. Day counts after the due date are
    "days overdue"; the printed summary counts every day from the invoice date."""

    name = models.CharField(max_length=80, unique=True)
    net_days = models.PositiveSmallIntegerField(default=30, help_text="Due this many days after "
                                                "the invoice date (0 = due on receipt).")
    discount_percent = models.DecimalField("early-payment discount %", **PERCENT,
                                           default=Decimal(0))
    discount_days = models.PositiveSmallIntegerField(
        "discount window (days)", default=0,
        help_text="Paid in full within this many days of the invoice date earns the discount.")
    late_fee_flat = models.DecimalField(**MONEY, default=Decimal(0),
                                        help_text="A fixed fee, in the currency below.")
    late_fee_currency = models.CharField(max_length=3, blank=True,
                                         validators=[validate_currency_code],
                                         help_text="Required with a flat fee; invoices in other "
                                                   "currencies cannot use these terms.")
    late_fee_percent = models.DecimalField("late fee %", **PERCENT, default=Decimal(0))
    late_fee_after_days = models.PositiveSmallIntegerField(
        default=0, help_text="Charged once the invoice is more than this many days overdue.")
    interest_percent = models.DecimalField("interest %", **PERCENT, default=Decimal(0))
    interest_period = models.CharField(max_length=5, choices=InterestPeriod.choices,
                                       default=InterestPeriod.MONTH)
    interest_after_days = models.PositiveSmallIntegerField(
        default=0, help_text="Simple interest accrues for each day beyond this many days "
                             "overdue.")
    grace_days = models.PositiveSmallIntegerField(
        default=0, help_text="Payment this many days after the due date still counts as on "
                             "time: no fee, no interest.")
    is_default = models.BooleanField(default=False,
                                     help_text="Used for clients without terms of their own.")
    statutory = models.CharField(
        "statutory late payment", max_length=2, choices=Statutory.choices, blank=True,
        default=Statutory.NONE,
        help_text="The law's fixed sum per invoice (by its amount, in the law's currency) and "
                  "interest 8 points above the reference rate of the half-year the invoice "
                  "became late; the late fee and interest fields are then cleared.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "payment terms"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="one_default_terms"),
            *[models.CheckConstraint(condition=Q(**{f"{f}__gte": 0, f"{f}__lte": 100}),
                                     name=f"terms_{f}_0_100")
              for f in ("discount_percent", "late_fee_percent", "interest_percent")],
            models.CheckConstraint(condition=Q(late_fee_flat__gte=0),
                                   name="terms_late_fee_flat_not_negative"),
            models.CheckConstraint(condition=Q(discount_percent=0) | Q(discount_days__gt=0),
                                   name="terms_discount_has_window"),
            models.CheckConstraint(condition=Q(late_fee_flat=0) | ~Q(late_fee_currency=""),
                                   name="terms_flat_fee_has_currency"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.discount_percent and not self.discount_days:
            errors["discount_days"] = "An early-payment discount needs a window of at least 1 day."
        if self.late_fee_flat and not self.late_fee_currency:
            errors["late_fee_currency"] = "Give the currency of the flat late fee."
        if self.late_fee_currency:
            self.late_fee_currency = self.late_fee_currency.upper()
        if self.statutory:  # the law sets the fee and the interest: nothing else to check
            errors.pop("late_fee_currency", None)
            for name, value in _STATUTORY_RESETS.items():
                setattr(self, name, value)
        if errors:
            raise ValidationError(errors)

    def as_rule(self) -> termsmath.TermsRule:
        """The pure rule; statutory terms carry their rate table (published plus the admin's
        rates) and ignore the fee and interest fields, whatever a row holds."""
        if self.statutory:
            return termsmath.TermsRule(
                net_days=self.net_days, discount_percent=self.discount_percent,
                discount_days=self.discount_days, grace_days=self.grace_days,
                statutory=self.statutory, reference_rates=ReferenceRate.table(self.statutory))
        return termsmath.TermsRule(
            net_days=self.net_days, discount_percent=self.discount_percent,
            discount_days=self.discount_days, late_fee_flat=self.late_fee_flat,
            late_fee_percent=self.late_fee_percent, late_fee_after_days=self.late_fee_after_days,
            interest_percent=self.interest_percent,
            interest_period=termsmath.InterestPeriod(self.interest_period),
            interest_after_days=self.interest_after_days, grace_days=self.grace_days)

    def summary(self, locale: str = "en") -> str:
        """The terms in words, in the language of a Babel locale ("de_DE", "fr_FR", "en_GB")."""
        return termsmath.summarize(self.as_rule(), currency=self.late_fee_currency or None,
                                   locale=locale)


class ReferenceRate(models.Model):
    """An admin's reference rate for a statutory preset's half-year: one the published table
    (``core.terms``) does not have yet, or a correction of one (it wins)."""

    statutory = models.CharField(max_length=2, choices=[
        (Statutory.UK.value, "UK: Bank of England base rate"),
        (Statutory.EU.value, "EU: ECB main refinancing rate")])
    half_year_start = models.DateField(
        "half-year from", help_text="1 January (for January to June) or 1 July (for July to "
                                    "December).")
    rate = models.DecimalField("reference rate %", max_digits=6, decimal_places=3)
    note = models.CharField(max_length=200, blank=True, help_text="Where the rate comes from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["statutory", "half_year_start"]
        constraints = [
            models.UniqueConstraint(fields=["statutory", "half_year_start"],
                                    name="one_reference_rate_per_half_year"),
            models.CheckConstraint(condition=Q(rate__gte=-5, rate__lte=25),
                                   name="reference_rate_plausible"),
        ]

    def __str__(self) -> str:
        return f"{self.get_statutory_display()} from {self.half_year_start}: {self.rate} %"

    def clean(self) -> None:
        start = self.half_year_start
        if start and (start.day != 1 or start.month not in (1, 7)):
            raise ValidationError({"half_year_start": "A half-year starts on 1 January or "
                                                      "1 July."})

    @classmethod
    def table(cls, statutory: str) -> termsmath.RateTable:
        """The rates statutory terms use: the published table with the admin's rates."""
        statute = termsmath.STATUTES[statutory]
        return termsmath.merge_rates(statute.published_rates, cls.objects.filter(
            statutory=statutory).values_list("half_year_start", "rate"))


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    DISPUTED = "disputed", "Disputed"
    WRITTEN_OFF = "written_off", "Written off"
    IN_COLLECTIONS = "in_collections", "In collections"


# Statuses in which the reminder cadence runs.
ACTIVE_STATUSES = ("open", "partially_paid")

# Statuses in which money is still expected: aging, reminders and payments work on these.
RECEIVABLE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.DISPUTED,
                       InvoiceStatus.IN_COLLECTIONS)


class InvoiceQuerySet(models.QuerySet):
    def receivable(self) -> InvoiceQuerySet:
        return self.filter(status__in=RECEIVABLE_STATUSES, balance__gt=0)


class Invoice(models.Model):
    number = models.CharField(max_length=64, unique=True,
                              validators=[IdentifierValidator("The invoice number")])
    # No index of its own: the (client, status) index below serves every lookup by client
    # (and the foreign-key checks); one index fewer to write on every invoice change.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices",
                               db_index=False)
    issue_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3, validators=[validate_currency_code])
    terms = models.ForeignKey(PaymentTerms, on_delete=models.PROTECT, related_name="invoices")
    reference = models.CharField("project or reference", max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices,
                              default=InvoiceStatus.DRAFT)
    subtotal = money_field(editable=False)
    tax_total = money_field(editable=False)
    total = money_field(editable=False)
    charges_total = money_field("fees and interest", editable=False)
    reductions_total = money_field("discounts and write-offs", editable=False)
    amount_paid = money_field(editable=False)
    # Rounded in the database: SQLite computes in binary floating point, and an unrounded
    # 1e-13 left over from a sum would make a settled invoice look owed to `balance > 0`.
    balance = models.GeneratedField(
        expression=Round(F("total") + F("charges_total") - F("reductions_total")
                         - F("amount_paid"), MONEY["decimal_places"]),
        output_field=models.DecimalField(**MONEY), db_persist=True)
    notes = models.TextField(blank=True)
    promised_until = models.DateField(null=True, blank=True,
                                      help_text="The client promised to pay by this day; "
                                                "reminders wait until it has passed.")
    reminders_paused_until = models.DateField(
        null=True, blank=True, help_text="No reminders for this invoice up to and including "
                                         "this day (a bookkeeper paused them).")
    source = models.CharField(max_length=8, default="manual", editable=False,
                              choices=[("manual", "Entered in Settle"), ("import", "Import"),
                                       ("api", "API")],
                              help_text="Where the invoice came from.")
    next_action_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the reminder planner next needs to look at this invoice.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "number"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["client", "status"]),
            # Deliberately no index on next_action_at: the planning pass rewrites it on every
            # invoice it looks at, and an indexed column makes each such update write a new
            # entry in every index of the table; without one (and with the free space the
            # PostgreSQL migration 0009 keeps on each page) the update is a HOT update that
            # writes none. The due query finds the active invoices by the (status, due_date)
            # index and filters them by next_action_at (about 40 ms on a 1M-invoice book with
            # 150,000 active ones; bench/README, "Planning on plain rows").
        ]
        constraints = [
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")),
                                   name="invoice_due_not_before_issue"),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values),
                                   name="invoice_status_known"),
            *[models.CheckConstraint(condition=Q(**{f"{f}__gte": 0}), name=f"invoice_{f}_gte_0")
              for f in ("subtotal", "tax_total", "total", "charges_total", "reductions_total",
                        "amount_paid")],
            models.CheckConstraint(
                condition=Q(amount_paid__lte=F("total") + F("charges_total")
                            - F("reductions_total") + _SLACK),
                name="invoice_not_overpaid"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(amount_paid__gte=F("total") + F("charges_total")
                                                - F("reductions_total") - _SLACK),
                name="invoice_paid_means_settled"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_receivable(self) -> bool:
        return self.status in RECEIVABLE_STATUSES and self.balance > 0

    def days_overdue(self, on: object) -> int:
        return termsmath.days_overdue(self.due_date, on)  # type: ignore[arg-type]

    def money(self, amount: Decimal, locale: str = "en") -> str:
        return format_money(amount, self.currency, locale)

    @property
    def minor_units(self) -> int:
        return minor_units(self.currency)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal(1))
    unit_price = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField("tax rate %", **PERCENT, default=Decimal(0))
    net_amount = money_field(editable=False)
    tax_amount = money_field(editable=False)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_price_not_negative"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100),
                                   name="line_tax_rate_0_100"),
        ]

    def __str__(self) -> str:
        return self.description


class PaymentSource(models.TextChoices):
    MANUAL = "manual", "Recorded by a bookkeeper"
    PORTAL = "portal", "Pay-now page"
    IMPORT = "import", "Import"
    API = "api", "API"


class Payment(models.Model):
    """Money received from a client. Allocations spread it over invoices; whatever is not
    allocated (``unapplied``) is the client's credit, kept until it is applied or refunded."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, validators=[validate_currency_code])
    received_on = models.DateField()
    method = models.CharField(max_length=16, choices=PaymentMethod.choices,
                              default=PaymentMethod.BANK_TRANSFER)
    reference = models.CharField(max_length=120, blank=True,
                                 validators=[IdentifierValidator("The payment reference")],
                                 help_text="Bank or provider reference; unique per client.")
    source = models.CharField(max_length=8, choices=PaymentSource.choices,
                              default=PaymentSource.MANUAL)
    amount_allocated = money_field(editable=False)
    unapplied = models.GeneratedField(expression=Round(F("amount") - F("amount_allocated"),
                                                       MONEY["decimal_places"]),
                                      output_field=models.DecimalField(**MONEY), db_persist=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["client", "currency"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(amount_allocated__gte=0),
                                   name="payment_allocated_not_negative"),
            models.CheckConstraint(condition=Q(amount_allocated__lte=F("amount") + _SLACK),
                                   name="payment_not_over_allocated"),
            models.UniqueConstraint(fields=["client", "reference"], condition=~Q(reference=""),
                                    name="payment_reference_once_per_client"),
        ]

    def __str__(self) -> str:
        return f"{format_money(self.amount, self.currency)} on {self.received_on}"


class PaymentSync(models.Model):
    """The last time an outside system (a file import or the API) brought Settle's payments up
    to date. Clients whose books come from that system are not reminded while it is stale."""

    source = models.CharField(max_length=8, unique=True,
                              choices=[(PaymentSource.IMPORT, PaymentSource.IMPORT.label),
                                       (PaymentSource.API, PaymentSource.API.label)])
    synced_at = models.DateTimeField()
    payments = models.PositiveIntegerField(default=0, help_text="Payments that sync recorded.")

    def __str__(self) -> str:
        return f"{self.get_source_display()} sync at {self.synced_at:%Y-%m-%d %H:%M}"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0),
                                              name="allocation_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} to invoice {self.invoice_id}"


class AdjustmentKind(models.TextChoices):
    EARLY_DISCOUNT = "early_discount", "Early-payment discount"
    LATE_FEE = "late_fee", "Late fee"
    INTEREST = "interest", "Interest"
    WRITE_OFF = "write_off", "Write-off"
    CREDIT_NOTE = "credit_note", "Credit note"


# Adjustments that add to what the client owes; all others reduce it.
CHARGE_KINDS = (AdjustmentKind.LATE_FEE, AdjustmentKind.INTEREST)


class InvoiceAdjustment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(max_length=16, choices=AdjustmentKind.choices)
    amount = models.DecimalField(**MONEY)
    effective_on = models.DateField()
    memo = models.CharField(max_length=300, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="adjustments")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="adjustment_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=AdjustmentKind.values),
                                   name="adjustment_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.invoice_id}"

    @property
    def is_charge(self) -> bool:
        return self.kind in CHARGE_KINDS


# --- The book's snapshot (receivables.snapshot) ------------------------------------------------


class BookSnapshot(models.Model):
    """One picture of the receivable book, taken by the scheduler tick (or a person's refresh):
    per currency what is owed and how old (``SnapshotCurrency``), and the cash to expect per day
    (``SnapshotCash``). The dashboard reads the latest one instead of aggregating every invoice;
    the last one of each day is kept as history, for trends. Written only by
    ``receivables.snapshot.snapshot_refresh``, in one transaction with its rows."""

    on = models.DateField(help_text="The day the figures are for (in the business's time "
                                    "zone): aging and the cash to expect count from it.")
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]  # the newest first: ids follow the order snapshots were taken
        indexes = [models.Index(fields=["on", "id"])]

    def __str__(self) -> str:
        return f"Book snapshot for {self.on} taken at {self.taken_at:%Y-%m-%d %H:%M}"


# DSO looks back this many days: owed now / invoiced in them * them.
DSO_DAYS: Final = 90


def dso_days(receivable: Decimal, invoiced: Decimal) -> int | None:
    """Days sales outstanding: owed now / invoiced in the last ``DSO_DAYS`` days * DSO_DAYS
    (None when nothing was invoiced)."""
    return round(receivable / invoiced * DSO_DAYS) if invoiced else None

# The aging bucket (receivables.selectors.AGING_BUCKETS, by key) each pair of columns holds.
SNAPSHOT_BUCKET_COLUMNS: Final[dict[str, str]] = {
    "current": "current", "1-30": "late_1_30", "31-60": "late_31_60", "61-90": "late_61_90",
    "90+": "late_over_90"}


def _count_field() -> models.PositiveIntegerField[Any, Any]:
    return models.PositiveIntegerField(default=0)


class SnapshotCurrency(models.Model):
    """A snapshot's figures in one currency: the receivable balance and its aging buckets
    (amount and number of invoices each, as the dashboard shows them), what was invoiced in the
    last 90 days (for DSO) and the cash expected in the 7 days from the snapshot's day. Amounts
    are quantized at the currency's minor unit."""

    snapshot = models.ForeignKey(BookSnapshot, on_delete=models.CASCADE,
                                 related_name="currencies")
    currency = models.CharField(max_length=3)
    receivable = money_field()
    receivable_count = _count_field()
    current = money_field("not yet due")
    current_count = _count_field()
    late_1_30 = money_field("1–30 days overdue")
    late_1_30_count = _count_field()
    late_31_60 = money_field("31–60 days overdue")
    late_31_60_count = _count_field()
    late_61_90 = money_field("61–90 days overdue")
    late_61_90_count = _count_field()
    late_over_90 = money_field("over 90 days overdue")
    late_over_90_count = _count_field()
    invoiced_90_days = money_field("invoiced in the last 90 days")
    cash_week = money_field("cash expected in the 7 days from the snapshot's day")

    class Meta:
        ordering = ["snapshot", "currency"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "currency"],
                                               name="snapshot_currency_once")]

    def __str__(self) -> str:
        return f"{self.currency} in snapshot {self.snapshot_id}"

    @property
    def overdue(self) -> Decimal:
        """Owed past its due date: every bucket but "current"."""
        return self.receivable - self.current

    @property
    def overdue_count(self) -> int:
        return self.receivable_count - self.current_count

    @property
    def dso_days(self) -> int | None:
        return dso_days(self.receivable, self.invoiced_90_days)


class SnapshotCash(models.Model):
    """Cash a snapshot expects on one day in one currency: open invoices by their due date,
    promised ones by the promised day, accepted payment plans' instalments by theirs."""

    snapshot = models.ForeignKey(BookSnapshot, on_delete=models.CASCADE, related_name="cash")
    currency = models.CharField(max_length=3)
    day = models.DateField()
    amount = money_field()

    class Meta:
        ordering = ["snapshot", "currency", "day"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "currency", "day"],
                                               name="snapshot_cash_once_a_day")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} expected on {self.day}"
