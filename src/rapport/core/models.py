"""Users, roles, API tokens and the base classes every domain model shares."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    REP = "rep", "Rep"
    ANALYST = "analyst", "Analyst (read-only)"
    PARTNER = "partner", "Partner user"
    PORTAL = "portal", "Portal user"


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.REP, Role.ANALYST})


class TimeStamped(models.Model):
    """Created and updated times, set by the database layer."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Versioned(models.Model):
    """An editable record whose every save counts up `version`, so a stale save is caught.

    Forms carry the version they were opened at and the API speaks it as an ETag; a
    write that names an older version is refused (core.services.validated_save).
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class LiveManager(models.Manager):
    """Hides soft-deleted rows; `all_objects` still sees them."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeletable(models.Model):
    """A row that is marked deleted instead of removed, so it can be restored."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in: our staff, a partner's user or a customer's portal user."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)
    partner = models.ForeignKey(
        "accounts.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="For partner users: the partner whose served accounts they see.",
    )
    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="portal_users",
        help_text="For portal users: the account (and its units) they see.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                name="partner_user_has_partner",
                condition=~models.Q(role="partner") | models.Q(partner__isnull=False),
            ),
            models.CheckConstraint(
                name="portal_user_has_account",
                condition=~models.Q(role="portal") | models.Q(account__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def initials(self) -> str:
        parts = (self.full_name or self.email).split()
        return "".join(p[0] for p in parts[:2]).upper()


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"  # succeeded; "done" is what the API has always said
    FAILED = "failed", "Failed"


class Run(TimeStamped):
    """One long job (recompute, dedupe, import, ingestion): its progress, heartbeat and outcome.

    The bookkeeping of every run lives here once; an app keeps only what is its own (the
    file of an import, the pairs of a dedupe) in a row pointing to it.
    """

    job = models.CharField(max_length=16, help_text="What runs: value, tiers, dedupe, import…")
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    model_name = models.CharField(max_length=64, blank=True)
    model_version = models.CharField(max_length=16, blank=True)
    parameters = models.JSONField(
        default=dict, blank=True, help_text="Settings used, fitted parameters, log-likelihood."
    )
    result = models.JSONField(default=dict, blank=True, help_text="What the run found or wrote.")
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the process carrying it out."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["job", "status", "-finished_at"], name="ix_core_run_job"),
            models.Index(fields=["status", "heartbeat_at"], name="ix_core_run_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.job} run {self.pk} ({self.status})"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return min(100, (100 * self.done) // self.total) if self.total else 0
