"""Interact: every interaction on every channel, on one timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from rapport.core.models import LiveManager, SoftDeletable, TimeStamped


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


class Interaction(TimeStamped, SoftDeletable):
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

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="ix_customer_timeline"),
            models.Index(fields=["account", "-occurred_at", "-id"], name="ix_unit_timeline"),
            models.Index(fields=["-occurred_at", "-id"], name="ix_timeline"),
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
