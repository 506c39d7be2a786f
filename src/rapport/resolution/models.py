"""Identify: probable duplicates of contacts and accounts, their review, and reversible merges.

A batch run (`DedupeRun`) finds candidate pairs (`DuplicatePair`) with a match probability
and the evidence; a person accepts (merges), rejects or defers each. A decided pair is
never reopened by a later run. A merge (`MergeRecord`) keeps both records' values and
every row it changed, so it can be undone exactly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rapport.core.models import TimeStamped


class RecordKind(models.TextChoices):
    CONTACT = "contact", "Contacts"
    ACCOUNT = "account", "Accounts"


class DedupeRun(TimeStamped):
    """One batch search for duplicates over every contact or every account: its counts and
    stage; its bookkeeping (status, progress, timings, model) is the core run it details."""

    run = models.OneToOneField("core.Run", on_delete=models.CASCADE, related_name="dedupe_run")
    kind = models.CharField(max_length=8, choices=RecordKind.choices)
    stage = models.CharField(max_length=200, blank=True)
    threshold = models.FloatField(default=0.5)
    records = models.PositiveIntegerField(default=0)
    pairs_found = models.PositiveIntegerField(default=0)
    pairs_new = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)
    auto_merged = models.PositiveIntegerField(default=0)
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} run {self.pk} ({self.status})"

    # The core run's bookkeeping, read as the pages and the API always read it here.
    status = property(lambda self: self.run.status)
    progress = property(lambda self: self.run.percent)
    error = property(lambda self: self.run.error)
    created_by = property(lambda self: self.run.started_by)
    started_at = property(lambda self: self.run.started_at)
    finished_at = property(lambda self: self.run.finished_at)
    model_name = property(lambda self: self.run.model_name)
    model_version = property(lambda self: self.run.model_version)
    seconds = property(lambda self: self.run.seconds)


class PairStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    ACCEPTED = "accepted", "Merged"
    REJECTED = "rejected", "Not duplicates"
    DEFERRED = "deferred", "Deferred"


class PairSource(models.TextChoices):
    BATCH = "batch", "Batch run"
    ONLINE = "online", "Found on entry"
    IMPORT = "import", "Found on import"


class DuplicatePair(TimeStamped):
    """Two records that are probably one: contacts or accounts, left id below right id.

    `left_unit`/`right_unit` are the accounts the two records belong to (the records
    themselves for accounts), so the review queue is scoped by `core.access` on both sides.
    """

    kind = models.CharField(max_length=8, choices=RecordKind.choices)
    left_contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    right_contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    left_account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    right_account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    left_unit = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    right_unit = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    not_sure = models.BooleanField(
        default=False,
        help_text="Below the match threshold, or the same name at the same organisation: "
        "the fields could not decide, a person should.",
    )
    evidence = models.JSONField(default=dict, blank=True, help_text="{field: how they compare}")
    cluster = models.CharField(
        max_length=64, blank=True, help_text="Pairs of one cluster share it."
    )
    source = models.CharField(max_length=8, choices=PairSource.choices, default=PairSource.BATCH)
    run = models.ForeignKey(
        DedupeRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairs"
    )
    status = models.CharField(max_length=8, choices=PairStatus.choices, default=PairStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["left_contact", "right_contact"],
                condition=Q(kind="contact"),
                name="duplicate_pair_contacts_once",
            ),
            models.UniqueConstraint(
                fields=["left_account", "right_account"],
                condition=Q(kind="account"),
                name="duplicate_pair_accounts_once",
            ),
            models.CheckConstraint(
                name="duplicate_pair_probability_0_to_1",
                condition=Q(probability__gte=0) & Q(probability__lte=1),
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "status", "-probability", "id"], name="ix_pair_queue"),
            models.Index(fields=["status", "-probability", "id"], name="ix_pair_queue_all"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} pair {self.left_id}-{self.right_id} ({self.probability:.2f})"

    @property
    def left(self) -> models.Model:
        return self.left_contact if self.kind == RecordKind.CONTACT else self.left_account  # type: ignore[return-value]

    @property
    def right(self) -> models.Model:
        return self.right_contact if self.kind == RecordKind.CONTACT else self.right_account  # type: ignore[return-value]

    @property
    def left_id(self) -> int | None:
        return self.left_contact_id if self.kind == RecordKind.CONTACT else self.left_account_id

    @property
    def right_id(self) -> int | None:
        return self.right_contact_id if self.kind == RecordKind.CONTACT else self.right_account_id


class MergeRecord(models.Model):
    """One merge: who kept which record and values, and every row it changed, to undo it.

    `changes` is a list of {model, field, old, new, pks}: the rows `pks` of `model` had
    `old` in `field` and were given `new`. Undo applies them backwards, checking first
    that each row still holds `new`. `before` keeps both records as they were, so the
    losing values stay on record after the merge.
    """

    kind = models.CharField(max_length=8, choices=RecordKind.choices)
    keep_contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    absorbed_contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    keep_account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    absorbed_account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pair = models.ForeignKey(
        DuplicatePair, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    choices = models.JSONField(default=dict, blank=True, help_text="{field: 'keep'|'absorbed'}")
    before = models.JSONField(default=dict, help_text="Both records' values before the merge.")
    changes = models.JSONField(default=list)
    summary = models.JSONField(default=dict, blank=True, help_text="Rows re-pointed per kind.")
    automatic = models.BooleanField(default=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["-merged_at", "-id"], name="ix_merge_history")]

    def __str__(self) -> str:
        return f"{self.kind} merge {self.pk}"

    @property
    def keep(self) -> models.Model:
        return self.keep_contact if self.kind == RecordKind.CONTACT else self.keep_account  # type: ignore[return-value]

    @property
    def absorbed(self) -> models.Model:
        return (
            self.absorbed_contact if self.kind == RecordKind.CONTACT else self.absorbed_account  # type: ignore[return-value]
        )

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class ResolutionSettings(models.Model):
    """Whether high-confidence pairs may be merged without a person (one row; admins only)."""

    auto_merge_enabled = models.BooleanField(default=False)
    auto_merge_threshold = models.FloatField(
        default=0.99, help_text="Pairs at or above this probability are merged automatically."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "resolution settings"
        constraints = [
            models.CheckConstraint(
                name="auto_merge_threshold_0_5_to_1",
                condition=Q(auto_merge_threshold__gte=0.5) & Q(auto_merge_threshold__lte=1),
            )
        ]

    def __str__(self) -> str:
        return "auto-merge " + ("on" if self.auto_merge_enabled else "off")
