"""Import runs (a file, its column mapping, dry run, mode, counts and row errors), the
ids other systems give our accounts, and e-mail and calendar ingestion (its files and the
review queue of what matched nobody)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from rapport.core.models import RunStatus, TimeStamped
from rapport.interactions.models import Channel


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    CONTACTS = "contacts", "Contacts"
    INTERACTIONS = "interactions", "Interactions"
    ORDER_LINES = "order_lines", "Order lines"
    SUBSCRIPTIONS = "subscriptions", "Subscriptions"
    # Their importers are offers' (a higher app), handed down from OffersConfig.ready.
    CATALOG = "catalog", "Catalog (products)"
    PRICES = "prices", "Price agreements"


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
    flagged = models.PositiveIntegerField(
        default=0, help_text="Rows created and put up for review as probable duplicates."
    )
    failed = models.PositiveIntegerField(default=0, help_text="Rows with at least one error.")
    errors = models.JSONField(
        default=list, blank=True, help_text="[{row, column, field, message}], every bad row."
    )
    duplicates = models.JSONField(
        default=list,
        blank=True,
        help_text="[{row, message, matches: [{id, label, score}], review}]: review when created "
        "and put up for review, else a repeat of an earlier row",
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
    def rows_per_second(self) -> int | None:
        """Rows checked per second so far (from the run's start to its last report)."""
        run = self.run
        if run is None or not run.done or run.started_at is None or run.heartbeat_at is None:
            return None
        seconds = (run.heartbeat_at - run.started_at).total_seconds()
        return round(run.done / seconds) if seconds > 0 else None

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


# --- e-mail and calendar ingestion (X10) ---------------------------------------------------


class IngestionFormat(models.TextChoices):
    CSV = "csv", "CSV"
    EML = "eml", "E-mail file (.eml)"
    MBOX = "mbox", "Mailbox (mbox)"
    ICS = "ics", "Calendar (.ics)"


# An ingestion's status is its core run's: the same four words.
IngestionStatus = RunStatus


class IngestionRun(TimeStamped):
    """One file of interactions brought in: its counts and row-level errors.

    Status, progress and timings are those of its core `Run` (the run framework's).
    """

    format = models.CharField(max_length=8, choices=IngestionFormat.choices)
    filename = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    stored_path = models.CharField(max_length=500, blank=True)
    dry_run = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    queued_for_review = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, field, message}]")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.OneToOneField(
        "core.Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ingestion_run",
        help_text="The run carrying this file in (status, progress, timings).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def status(self) -> str:
        return self.run.status if self.run is not None else RunStatus.QUEUED

    def get_status_display(self) -> str:
        return str(RunStatus(self.status).label)

    @property
    def processed(self) -> int:
        return self.run.done if self.run is not None else 0

    @property
    def rows_per_second(self) -> int | None:
        """Rows checked per second so far (from the run's start to its last report)."""
        run = self.run
        if run is None or not run.done or run.started_at is None or run.heartbeat_at is None:
            return None
        seconds = (run.heartbeat_at - run.started_at).total_seconds()
        return round(run.done / seconds) if seconds > 0 else None

    @property
    def started_at(self) -> datetime | None:
        return self.run.started_at if self.run is not None else None

    @property
    def finished_at(self) -> datetime | None:
        return self.run.finished_at if self.run is not None else None


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    ATTACHED = "attached", "Attached to an account"
    DISMISSED = "dismissed", "Dismissed"


class IngestionItem(TimeStamped):
    """A message or event we could not match to a customer: kept for a person, never dropped."""

    run = models.ForeignKey(IngestionRun, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=300, unique=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    subject = models.CharField(max_length=300, blank=True)
    addresses = models.JSONField(default=list, help_text="Every address the item names.")
    payload = models.JSONField(default=dict, help_text="What the file said, to log it later.")
    reason = models.CharField(max_length=300)
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["status", "-occurred_at"], name="ix_review_queue")]

    def __str__(self) -> str:
        return self.subject or self.external_id
