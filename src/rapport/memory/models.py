"""Interact: the learning memory — what each customer taught us, how we asked, how they want us to reach them.

Nothing here is overwritten. A new fact supersedes the old one (which stays, with its
provenance); a consent is withdrawn by a newer consent record; the current state is a
query over the history.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from rapport.core.models import LiveManager, SoftDeletable, TimeStamped, Versioned


class AttributeKind(models.TextChoices):
    NEED = "need", "Need"
    PREFERENCE = "preference", "Preference"
    SPECIFICATION = "specification", "Specification"
    CONSTRAINT = "constraint", "Constraint"
    PLAN = "plan", "Plan"


class ValueType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    MONEY = "money", "Money"
    DATE = "date", "Date"
    CHOICE = "choice", "One of a list"
    MULTI_CHOICE = "multi_choice", "Several of a list"
    BOOLEAN = "boolean", "Yes / no"
    STRUCTURED = "structured", "Structured (key: value)"


class SubjectLevel(models.TextChoices):
    ORGANISATION = "organisation", "Organisation"
    UNIT = "unit", "Org unit"
    CONTACT = "contact", "Contact"


class Attribute(TimeStamped, SoftDeletable, Versioned):
    """Something a customer can teach us, with the question that asks for it."""

    key = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=AttributeKind.choices)
    value_type = models.CharField(max_length=16, choices=ValueType.choices)
    level = models.CharField(
        max_length=16,
        choices=SubjectLevel.choices,
        help_text="Organisation: the whole customer; unit: any org unit; contact: one person.",
    )
    choices = models.JSONField(
        default=list, blank=True, help_text="The allowed values of a choice or multi-choice."
    )
    unit = models.CharField(
        max_length=32, blank=True, help_text="What a number is counted in (seats, kWh, EUR)."
    )
    question = models.CharField(max_length=500, help_text="How we ask for it, in our words.")
    help_text = models.CharField(max_length=500, blank=True)
    used_for = models.JSONField(
        default=list,
        blank=True,
        help_text="The segments, offers and decisions that depend on this answer.",
    )
    importance = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    stale_after_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="After this many days a known answer is worth confirming."
    )

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "label"]

    def __str__(self) -> str:
        return self.label


class FactSource(models.TextChoices):
    INTERACTION = "interaction", "An interaction"
    USER = "user", "One of us"
    IMPORT = "import", "An import"
    PORTAL = "portal", "The customer, via the portal"
    QUESTIONNAIRE = "questionnaire", "The customer, via a questionnaire"


class Fact(TimeStamped):
    """One value of one attribute for one subject, with where it came from.

    The subject is an org unit (`account`) or a person (`contact`, with `account` their
    unit). `superseded_by` points at the fact that replaced this one; the current fact
    of a subject and attribute is the one nothing supersedes.
    """

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="facts")
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="facts"
    )
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="facts")
    value = models.JSONField(help_text="Typed by the attribute's value type.")
    display = models.CharField(max_length=500, help_text="The value as people read it.")
    source = models.CharField(max_length=16, choices=FactSource.choices)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facts",
    )
    said_by = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facts_told",
        help_text="The customer's person who told us, where known.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    confidence = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="How sure we are, in percent.",
    )
    valid_from = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "attribute", "-recorded_at"], name="ix_fact_customer"),
            models.Index(fields=["account", "attribute", "-recorded_at"], name="ix_fact_unit"),
            models.Index(fields=["contact", "attribute", "-recorded_at"], name="ix_fact_contact"),
            models.Index(fields=["recorded_by", "-recorded_at"], name="ix_fact_recorder"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["attribute", "account"],
                condition=Q(superseded_at__isnull=True, contact__isnull=True),
                name="fact_one_current_per_unit",
            ),
            models.UniqueConstraint(
                fields=["attribute", "contact"],
                condition=Q(superseded_at__isnull=True, contact__isnull=False),
                name="fact_one_current_per_contact",
            ),
            models.CheckConstraint(
                name="fact_confidence_1_to_100",
                condition=Q(confidence__gte=1) & Q(confidence__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id}={self.display}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class ContradictionStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Contradiction(TimeStamped):
    """Two sources told us different things about the same subject; a person must decide."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="contradictions"
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contradictions",
    )
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    earlier = models.ForeignKey(Fact, on_delete=models.PROTECT, related_name="+")
    later = models.ForeignKey(Fact, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=ContradictionStatus.choices, default=ContradictionStatus.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.ForeignKey(
        Fact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="ix_contradiction_open")]

    def __str__(self) -> str:
        return f"{self.attribute_id}: {self.earlier_id} vs {self.later_id}"


class Asking(TimeStamped):
    """One time we asked a customer's person (or unit) a question from the bank."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="askings"
    )
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="askings"
    )
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="askings")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the customer chose to answer on a questionnaire.",
    )
    asked_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=16, blank=True)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="askings",
    )
    known_fact = models.ForeignKey(
        Fact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The answer we already had when we asked: set on every re-ask.",
    )
    is_reask = models.BooleanField(default=False)
    reask_reason = models.CharField(max_length=500, blank=True)
    answer = models.ForeignKey(
        Fact, null=True, blank=True, on_delete=models.SET_NULL, related_name="askings"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-asked_at"], name="ix_asking_customer"),
            models.Index(fields=["asked_by", "-asked_at"], name="ix_asking_asker"),
            models.Index(fields=["contact", "attribute"], name="ix_asking_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id} asked {self.asked_at:%Y-%m-%d}"

    @property
    def is_answered(self) -> bool:
        return self.answer_id is not None


class QuestionnaireLink(TimeStamped):
    """A link we send a customer's person: the questions we cannot answer yet, theirs to pick."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questionnaires",
    )
    key_hash = models.CharField(max_length=64, unique=True)
    attributes = models.ManyToManyField(Attribute, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"questionnaire {self.pk} for {self.contact_id or self.account_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


# --- communication preferences and consent (X5) -------------------------------------------


class Purpose(models.TextChoices):
    SERVICE = "service", "Service and account management"
    SALES = "sales", "Sales outreach"
    MARKETING = "marketing", "Marketing"
    NEWSLETTER = "newsletter", "Newsletters"
    EVENTS = "events", "Event invitations"
    SURVEYS = "surveys", "Surveys and research"
    TRAINING = "training", "Training and education"


# Purposes we may pursue without an explicit opt-in (legitimate interest), unless withdrawn.
IMPLIED_PURPOSES = frozenset({Purpose.SERVICE, Purpose.SALES, Purpose.TRAINING})


class CommunicationPreference(TimeStamped):
    """How one person likes to be reached: channel, days, hours, language."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    contact = models.OneToOneField(
        "accounts.Contact", on_delete=models.CASCADE, related_name="communication_preference"
    )
    preferred_channel = models.CharField(max_length=16, blank=True)
    preferred_days = models.JSONField(
        default=list, blank=True, help_text="ISO weekdays, 1 = Monday … 7 = Sunday."
    )
    preferred_from = models.TimeField(null=True, blank=True)
    preferred_until = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=FactSource.choices, default=FactSource.USER)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"preferences of {self.contact_id}"


class FrequencyCap(TimeStamped, SoftDeletable):
    """At most `max_contacts` outbound touches on a channel within `per_days` days."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="frequency_caps"
    )
    channel = models.CharField(max_length=16)
    max_contacts = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    per_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(366)]
    )

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "channel"],
                condition=Q(deleted_at__isnull=True),
                name="frequency_cap_once_per_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.max_contacts}/{self.per_days}d on {self.channel}"


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", "Granted"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Consent(models.Model):
    """A person granting or withdrawing consent to be contacted for a purpose; append-only.

    The current consent for a purpose (and channel, blank for every channel) is the
    latest record.
    """

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    channel = models.CharField(max_length=16, blank=True, help_text="Blank: every channel.")
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    recorded_at = models.DateTimeField(default=timezone.now)
    how = models.CharField(
        max_length=300, help_text="How it was given or withdrawn (form, call, e-mail reply …)."
    )
    source = models.CharField(max_length=16, choices=FactSource.choices, default=FactSource.USER)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "purpose", "-recorded_at"], name="ix_consent_contact")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.status} {self.purpose}"


class Verdict(models.TextChoices):
    ALLOW = "allow", "Allow"
    WARN = "warn", "Warn"
    BLOCK = "block", "Block"


class PreferenceBreach(models.Model):
    """An outbound interaction that went against a person's preferences or consent."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="breaches"
    )
    interaction = models.ForeignKey(
        "interactions.Interaction", on_delete=models.CASCADE, related_name="breaches"
    )
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    reasons = models.JSONField(default=list)
    override_reason = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["customer", "-recorded_at"], name="ix_breach_customer")]

    def __str__(self) -> str:
        return f"{self.verdict} on {self.interaction_id} for {self.contact_id}"
