"""Reminder engine state: cadences and their steps, message templates, and the outbox.

The outbox (``Reminder``) is the source of truth: a row per (invoice, cadence step), unique, so a
second beat, a retried task or a crash can never plan the same reminder twice. Its life is a
chain of conditional UPDATEs: scheduled → claimed → sending → sent | failed | cancelled, with
``review`` for a row whose outcome is unknown after a crash (a person decides; nothing is ever
re-sent on its own).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from clients.models import Client, ClientTag
from core.contact import LANGUAGES
from reminders.rendering import TemplateError, validate_template


class SchedulerState(models.Model):
    """A single row: when the scheduler last completed a pass and what went wrong in it."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    last_tick_at = models.DateTimeField(null=True, blank=True)
    ticks = models.PositiveBigIntegerField(default=0)
    last_errors = models.PositiveIntegerField(
        default=0, help_text="Invoices or messages the last completed pass could not handle.")

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True),
                                              name="scheduler_state_single_row")]

    def __str__(self) -> str:
        return f"last tick {self.last_tick_at or 'never'}"


class Tone(models.TextChoices):
    FRIENDLY = "friendly", "Friendly"
    FIRM = "firm", "Firm"
    FINAL = "final", "Final"


class StepChannel(models.TextChoices):
    PREFERRED = "preferred", "Client's preferred channel"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    LETTER = "letter", "Letter"
    CALL = "call", "Call task"


class StepAction(models.TextChoices):
    SEND_MESSAGE = "send_message", "Send the message"
    CREATE_CALL_TASK = "create_call_task", "Create a call task"
    APPLY_LATE_FEE = "apply_late_fee", "Apply the late fee"
    START_INTEREST = "start_interest", "Start charging interest"
    MARK_ESCALATED = "mark_escalated", "Mark escalated"
    HAND_TO_COLLECTIONS = "hand_to_collections", "Hand to collections"


class CadencePurpose(models.TextChoices):
    INVOICES = "invoices", "Unpaid invoices"
    INSTALMENTS = "instalments", "Payment-plan instalments"


class Cadence(models.Model):
    """An escalation sequence. A client uses the cadence assigned to them, else the first (by
    priority) whose tags they carry, else the default."""

    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=100,
                                                help_text="Lower wins when tags overlap.")
    tags = models.ManyToManyField(ClientTag, blank=True, related_name="cadences",
                                  help_text="Clients with any of these tags use this cadence.")
    clients = models.ManyToManyField(Client, blank=True, related_name="cadences",
                                     help_text="Clients assigned to this cadence explicitly.")
    min_days_between_messages = models.PositiveSmallIntegerField(
        default=7, help_text="Once anything is overdue, at most one automated message to a "
                             "client per this many days (one covers every invoice then due).")
    max_messages_per_30_days = models.PositiveSmallIntegerField(
        default=4, help_text="At most this many automated messages to a client in 30 days.")
    hold_business_days = models.PositiveSmallIntegerField(
        default=3, help_text="After a person's contact with the client (a logged call, a note, "
                             "a promise, a reply, a dispute, a call-back request), automated "
                             "messages wait this many business days.")
    notice_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days a legal notice (the letter of demand) gives the client "
                              "before a step that needs it (hand-over to collections).")
    purpose = models.CharField(
        max_length=12, choices=CadencePurpose.choices, default=CadencePurpose.INVOICES,
        help_text="Invoices: the escalation for unpaid invoices. Instalments: the reminders "
                  "around each instalment of an accepted payment plan (offsets count from the "
                  "instalment's date).")

    class Meta:
        ordering = ["priority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"],
                                    condition=Q(is_default=True, purpose="invoices"),
                                    name="one_default_cadence"),
            models.UniqueConstraint(fields=["purpose"], condition=Q(purpose="instalments"),
                                    name="one_instalment_cadence"),
        ]

    def __str__(self) -> str:
        return self.name


class CadenceStep(models.Model):
    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=80)
    offset_days = models.SmallIntegerField(
        help_text="Days relative to the due date: -3 is three days before, 7 a week after.")
    channel = models.CharField(max_length=10, choices=StepChannel.choices,
                               default=StepChannel.PREFERRED)
    template_key = models.SlugField(max_length=60, blank=True,
                                    help_text="Message template used by this step.")
    tone = models.CharField(max_length=10, choices=Tone.choices, default=Tone.FRIENDLY)
    actions = models.JSONField(default=list, blank=True,
                               help_text="What the step does: " + ", ".join(StepAction.values))
    only_tags = models.ManyToManyField(ClientTag, blank=True, related_name="+",
                                       help_text="Only for clients with one of these tags.")
    legal_notice = models.BooleanField(
        default=False, help_text="A legal notice (letter of demand): it goes by its own channel "
                                 "(by letter or e-mail when it says 'preferred'), never by SMS or "
                                 "a call; when that cannot reach the client, a person gets a "
                                 "task instead.")
    needs_notice = models.BooleanField(
        default=False, help_text="Happens only after the legal notice went out and the "
                                 "cadence's notice period passed (hand-over to collections).")

    class Meta:
        ordering = ["cadence", "offset_days", "id"]
        constraints = [models.UniqueConstraint(fields=["cadence", "name"],
                                               name="cadence_step_name_unique")]

    def __str__(self) -> str:
        sign = "+" if self.offset_days >= 0 else ""
        return f"{self.cadence}: {self.name} ({sign}{self.offset_days} d)"


class TemplateChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    LETTER = "letter", "Letter"
    CALL = "call", "Call script"


class MessageTemplate(models.Model):
    """A message in one language for one channel; rendered over plain values only."""

    key = models.SlugField(max_length=60)
    channel = models.CharField(max_length=10, choices=TemplateChannel.choices)
    language = models.CharField(max_length=5, choices=list(LANGUAGES.items()))
    subject = models.CharField(max_length=300, blank=True,
                               help_text="Email subject (or letter heading).")
    text = models.TextField(blank=True,
                            help_text="Plain text (email text part, SMS, call script).")
    html = models.TextField(blank=True, help_text="HTML (email HTML part, letter body).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "channel", "language"]
        constraints = [models.UniqueConstraint(fields=["key", "channel", "language"],
                                               name="template_key_channel_language")]

    def __str__(self) -> str:
        return f"{self.key} · {self.channel} · {self.language}"

    def clean(self) -> None:
        # Imported here: rendering builds a template engine, which models must not need.
        if self.channel == TemplateChannel.EMAIL and not self.subject.strip():
            raise ValidationError({"subject": "An email template needs a subject."})
        if self.channel == TemplateChannel.LETTER and not self.html.strip():
            raise ValidationError({"html": "A letter template needs its HTML body."})
        if self.channel != TemplateChannel.LETTER and not self.text.strip():
            raise ValidationError({"text": "This channel sends the plain text: it is required."})
        try:
            validate_template(subject=self.subject, text=self.text, html=self.html,
                              channel=self.channel)
        except TemplateError as exc:
            raise ValidationError(str(exc)) from None


class ReminderStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CLAIMED = "claimed", "Claimed"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped (caught up)"
    REVIEW = "review", "Needs review"


class MessageStatus(models.TextChoices):
    """Where a message is; provider events only ever move it forward (see ``STATUS_RANK``)."""

    ACCEPTED = "accepted", "Accepted by the provider"
    QUEUED = "queued", "Queued"
    PRINT_QUEUE = "print_queue", "Waiting in the print queue"
    PRINTING = "printing", "In a print batch"
    POSTED = "posted", "Posted"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    OPENED = "opened", "Opened"
    CLICKED = "clicked", "Link clicked"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Marked as spam"


FAILED_STATUSES = frozenset({MessageStatus.UNDELIVERED, MessageStatus.FAILED,
                             MessageStatus.BOUNCED})
STATUS_RANK = {MessageStatus.ACCEPTED: 1, MessageStatus.QUEUED: 2, MessageStatus.PRINT_QUEUE: 2,
               MessageStatus.PRINTING: 3, MessageStatus.SENT: 3, MessageStatus.POSTED: 4,
               MessageStatus.DELIVERED: 4, MessageStatus.OPENED: 5, MessageStatus.CLICKED: 6,
               MessageStatus.UNDELIVERED: 9, MessageStatus.FAILED: 9, MessageStatus.BOUNCED: 9,
               MessageStatus.COMPLAINED: 10}


class OutboundMessage(models.Model):
    """One message as it went out (several reminders may share one: consolidation)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="messages")
    channel = models.CharField(max_length=10, choices=TemplateChannel.choices)
    language = models.CharField(max_length=5)
    to = models.CharField(max_length=320)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    provider = models.CharField(max_length=40, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=MessageStatus.choices,
                              default=MessageStatus.ACCEPTED)
    status_detail = models.CharField(max_length=300, blank=True)
    segments = models.PositiveSmallIntegerField(default=0, help_text="SMS segments billed.")
    tone = models.CharField(max_length=10, blank=True, help_text=(
        "The tone the message took (its words' step): later messages about what the client "
        "still owes never take a gentler one."))
    document = models.BinaryField(null=True, blank=True, editable=False,
                                  help_text="The letter's PDF as printed.")
    print_batch = models.ForeignKey("work.PrintBatch", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="letters")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(status__in=MessageStatus.values),
                                              name="message_status_known")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.subject or self.text[:40]}"

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


class MessageEvent(models.Model):
    """What a provider told us about a message (webhook or callback), recorded once."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, null=True,
                                blank=True, related_name="events")
    provider = models.CharField(max_length=40)
    event_key = models.CharField(max_length=200,
                                 help_text="Provider event id, or message id + status.")
    event = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    recipient = models.CharField(max_length=320, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_key"],
                                               name="message_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event} ({self.event_key})"


class Reminder(models.Model):
    invoice = models.ForeignKey("receivables.Invoice", on_delete=models.PROTECT,
                                related_name="reminders")
    step = models.ForeignKey(CadenceStep, on_delete=models.PROTECT, related_name="reminders")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="reminders")
    channel = models.CharField(max_length=10, choices=StepChannel.choices)
    # Indexed with the status (Meta.indexes): every query that orders or filters by it asks
    # for one status; an index of its own would be one more to write per planned row.
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ReminderStatus.choices,
                              default=ReminderStatus.SCHEDULED)
    message = models.ForeignKey(OutboundMessage, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="reminders")
    # No index of its own: the partial unique (instalment, step) index below holds every
    # row with an instalment, the only rows a lookup by instalment can find.
    instalment = models.ForeignKey("answers.Instalment", on_delete=models.PROTECT, null=True,
                                   blank=True, db_index=False,
                                   related_name="reminders",
                                   help_text="Set for a payment-plan instalment's reminder.")
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    failed_channels = models.JSONField(default=list, blank=True, editable=False,
                                       help_text="Channels that failed for this reminder, in "
                                                 "order; fallback never goes back to them.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_for", "id"]
        indexes = [models.Index(fields=["status", "scheduled_for"])]
        constraints = [
            # An invoice's cadence step once; a plan's instalment step once (whichever of the
            # plan's invoices carries it).
            models.UniqueConstraint(fields=["invoice", "step"],
                                    condition=Q(instalment__isnull=True),
                                    name="reminder_once_per_step"),
            models.UniqueConstraint(fields=["instalment", "step"],
                                    condition=Q(instalment__isnull=False),
                                    name="reminder_once_per_instalment_step"),
            models.CheckConstraint(condition=Q(status__in=ReminderStatus.values),
                                   name="reminder_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.step} for {self.invoice_id} ({self.status})"


class DispatchLease(models.Model):
    """A client whose due rows one worker is dispatching: the claim of the client's group.

    Dispatch fans out over workers in chunks of clients; a chunk may be handed out twice (a
    redelivered task, two ticks overlapping). The rows' own claim already keeps each row from
    going out twice; the lease keeps one client's rows in one message (two workers never
    split a client's group into two messages minutes apart). A worker that dies leaves its
    lease to expire after ``SETTLE_STALE_CLAIM_SECONDS``.
    """

    client = models.OneToOneField(Client, on_delete=models.CASCADE, primary_key=True,
                                  related_name="+")
    token = models.CharField(max_length=32, blank=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"dispatch lease of client {self.client_id} until {self.until:%Y-%m-%d %H:%M}"
