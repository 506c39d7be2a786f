"""Import runs (a file, its column mapping, dry run, mode, counts and row errors) and the
ids other systems give our accounts."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from rapport.core.models import TimeStamped


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    CONTACTS = "contacts", "Contacts"
    INTERACTIONS = "interactions", "Interactions"
    ORDER_LINES = "order_lines", "Order lines"
    SUBSCRIPTIONS = "subscriptions", "Subscriptions"


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for the column mapping"
    CHECKING = "checking", "Dry run in progress"
    CHECKED = "checked", "Dry run done: waiting for confirmation"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed: nothing was written"


class ImportMode(models.TextChoices):
    ALL = "all", "All or nothing"
    GOOD = "good", "Good rows only"


class ImportRun(TimeStamped):
    """One uploaded file of records: mapping, dry run and import, with every row accounted for."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    filename = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    stored_path = models.CharField(max_length=500)
    file_format = models.CharField(max_length=8, help_text="csv or xlsx")
    headers = models.JSONField(default=list, help_text="The file's column names, in order.")
    samples = models.JSONField(
        default=list, blank=True, help_text="The first rows' cells, shown beside the mapping."
    )
    mapping = models.JSONField(
        default=list, blank=True, help_text="The field each column feeds ('' = ignored)."
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.MAPPING
    )
    mode = models.CharField(max_length=4, choices=ImportMode.choices, default=ImportMode.ALL)
    skip_duplicates = models.BooleanField(
        default=True, help_text="Leave out rows flagged as probable duplicates of existing records."
    )
    dry_run = models.BooleanField(
        default=True, help_text="True while the counts are those of a dry run."
    )
    total = models.PositiveIntegerField(default=0, help_text="Rows in the file.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0, help_text="Rows with at least one error.")
    errors = models.JSONField(
        default=list, blank=True, help_text="[{row, column, field, message}], every bad row."
    )
    duplicates = models.JSONField(
        default=list, blank=True, help_text="[{row, message, matches: [{id, label, score}]}]"
    )
    notes = models.JSONField(default=list, blank=True, help_text="What the run will also do.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    run = models.OneToOneField(
        "core.Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_run",
        help_text="The dry run or import carrying this file out now, or last.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="ix_importrun_user")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_kind_display()}, {self.status})"

    @property
    def processed(self) -> int:
        return self.run.done if self.run is not None else 0

    @property
    def started_at(self) -> datetime | None:
        return self.run.started_at if self.run is not None else None

    @property
    def finished_at(self) -> datetime | None:
        if self.run is None or self.status == ImportStatus.CHECKED:
            return None  # a dry run's end is `checked_at`
        return self.run.finished_at

    @property
    def is_working(self) -> bool:
        return self.status in {ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING}

    @property
    def error_rows(self) -> int:
        return len({e["row"] for e in self.errors if e.get("row") is not None})


class AccountKey(TimeStamped):
    """An account's id in another system (ERP, old CRM): re-imports and references match on it."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="external_keys"
    )
    external_id = models.CharField(max_length=128, unique=True)

    class Meta:
        ordering = ["external_id"]

    def __str__(self) -> str:
        return self.external_id
