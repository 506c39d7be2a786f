"""Interact: every interaction on every channel, on one timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from rapport.core.models import LiveManager, SoftDeletable, TimeStamped, Versioned


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    WEB = "web", "Web"
    PORTAL = "portal", "Portal"
    EDI = "edi", "EDI"
    SUPPORT = "support", "Support"
    PARTNER = "partner", "Partner"
    EVENT = "event", "Event"
    TRAINING = "training", "Training"
    SURVEY = "survey", "Survey"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound (they reached us)"
    OUTBOUND = "outbound", "Outbound (we reached them)"
    TWO_WAY = "two_way", "Two-way (a conversation)"


class Outcome(models.TextChoices):
    NONE = "", "—"
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
    NO_RESPONSE = "no_response", "No response"


class Interaction(TimeStamped, SoftDeletable, Versioned):
    """One exchange with a customer: who, when, on which channel, what came of it."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="interactions"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    subject = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    next_step = models.CharField(max_length=500, blank=True)
    partner = models.ForeignKey(
        "accounts.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
        help_text="The channel partner involved, if any: marks the interaction partner-sourced.",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(max_length=300, blank=True, db_index=True)
    purpose = models.CharField(
        max_length=16,
        blank=True,
        help_text="Why we reached out (memory.Purpose); checked against the person's consent.",
    )
    thread = models.ForeignKey(
        "Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="ix_customer_timeline"),
            models.Index(fields=["account", "-occurred_at", "-id"], name="ix_unit_timeline"),
            models.Index(fields=["-occurred_at", "-id"], name="ix_timeline"),
            models.Index(fields=["thread", "-occurred_at"], name="ix_thread_timeline"),
            models.Index(fields=["logged_by", "-occurred_at"], name="ix_logged_by"),
        ]
        constraints = [
            # A message or calendar event imported twice is one interaction.
            models.UniqueConstraint(
                fields=["customer", "external_id"],
                condition=~models.Q(external_id=""),
                name="interaction_external_id_once_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.subject}"


class Side(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    US = "us", "Us"
    PARTNER = "partner", "Partner"


class Participant(models.Model):
    """A person on one side of an interaction: a customer contact or one of our users."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="participants"
    )
    # The customer organisation, as on every account-scoped row (the sharding key); not
    # indexed on its own because every read reaches participants through an interaction
    # or a contact.
    customer = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="participations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Copied from the interaction so a contact's timeline is one index range scan.
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["contact", "-occurred_at", "-interaction"], name="ix_contact_timeline"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="participant_is_contact_or_user",
                condition=models.Q(contact__isnull=False) | models.Q(user__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side}: {self.contact_id or self.user_id}"


# --- pick up where we left off (X2) -------------------------------------------------------


class ThreadStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Thread(TimeStamped):
    """A topic running across interactions (a renewal, an incident, a rollout)."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="threads"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=ThreadStatus.choices, default=ThreadStatus.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # Kept by the interaction services so "where we left off" needs no per-thread query.
    last_interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_interaction_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["last_interaction", "last_interaction_at"])

    class Meta:
        ordering = ["-last_interaction_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "status", "-last_interaction_at"], name="ix_thread_open"
            )
        ]

    def __str__(self) -> str:
        return self.title


class CommitmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Commitment(TimeStamped, Versioned):
    """Who owes what to whom, by when: promised on an interaction, kept or not."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="commitments"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )
    owed_by = models.CharField(
        max_length=8, choices=Side.choices, help_text="Us, the customer, or a partner."
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
        help_text="Which of us owes it (when we do).",
    )
    owner_contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
        help_text="Which of their people owes it (when they do).",
    )
    description = models.CharField(max_length=500)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=CommitmentStatus.choices, default=CommitmentStatus.OPEN
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["customer", "status", "due_on"], name="ix_commitment_open"),
            models.Index(fields=["owner_user", "status", "due_on"], name="ix_commitment_owner"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == CommitmentStatus.OPEN
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )


# --- quiet intervals (X8) -----------------------------------------------------------------


class AccountCadence(models.Model):
    """An organisation's own rhythm of two-way contact, learned from its history.

    One row per organisation, replaced by each recompute (it is a model result, stamped
    with the model's name, version and run time), so the alert list is one indexed read.
    """

    customer = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="cadence"
    )
    model_name = models.CharField(max_length=64)
    model_version = models.CharField(max_length=16)
    computed_at = models.DateTimeField()
    exchanges = models.PositiveIntegerField(
        help_text="Two-way interactions the rhythm is learned from."
    )
    typical_gap_days = models.FloatField(null=True, blank=True)
    allowed_gap_days = models.FloatField(
        null=True, blank=True, help_text="Longer than this without contact is unusual for them."
    )
    agreed_gap_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The rhythm we agreed to keep (a treatment's cadence); it is the allowed gap.",
    )
    last_exchange_at = models.DateTimeField(null=True, blank=True)
    quiet_since = models.DateTimeField(null=True, blank=True)
    is_quiet = models.BooleanField(default=False)
    overdue_days = models.FloatField(default=0)
    value_weight = models.FloatField(
        default=0, help_text="How much the relationship weighs, for ranking alerts."
    )
    suggestion = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["is_quiet", "-value_weight"], name="ix_cadence_quiet")]

    def __str__(self) -> str:
        return f"cadence of {self.customer_id}"
