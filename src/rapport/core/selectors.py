"""Reads of the core app: tokens and the audit history of any record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Max, Model, QuerySet, Sum
from django.utils import timezone

from rapport.core import access
from rapport.core.models import ApiToken, User


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


@dataclass
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    kind: str  # created / changed / deleted
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


_KINDS = {"+": "created", "~": "changed", "-": "deleted"}


def history_for(*, user: Any, record: Model, limit: int = 50) -> list[HistoryEntry]:
    """Who changed what on this record and when, newest first, with before/after values.

    The caller must already have fetched `record` through core.access; changes to fields
    of our internal side are left out for those who may not see it.
    """
    hidden = access.hidden_fields(user)
    manager = getattr(record, "history", None)
    if manager is None:
        return []
    rows = list(
        manager.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    entries: list[HistoryEntry] = []
    meta = record._meta
    for index, row in enumerate(rows[:limit]):
        older = rows[index + 1] if index + 1 < len(rows) else None
        changes: list[FieldChange] = []
        if older is not None and row.history_type == "~":
            delta = row.diff_against(older, excluded_fields=list(hidden))
            for change in delta.changes:
                try:
                    model_field = meta.get_field(change.field)
                except FieldDoesNotExist:
                    model_field = None
                # A reverse relation has no verbose name; show the field's own name.
                if isinstance(model_field, Field):
                    label = str(model_field.verbose_name)
                else:
                    label = change.field
                changes.append(
                    FieldChange(change.field, label.capitalize(), change.old, change.new)
                )
        user = row.history_user
        entries.append(
            HistoryEntry(
                when=row.history_date,
                who=str(user) if user else "system",
                kind=_KINDS.get(row.history_type, row.history_type),
                reason=row.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


@dataclass(frozen=True)
class Lockout:
    """A sign-in lock in force: one (username, address) pair, or a whole address."""

    address: str
    username: str  # empty when the whole address is locked
    failures: int
    retry_at: datetime


def lockout_list(*, user: User) -> list[Lockout]:
    """Sign-in locks in force now, most recent first (admins only)."""
    access.ensure(user, access.Capability.ADMINISTER)
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    pairs = recent.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).order_by(
        "-attempt_time"
    )
    locks = [
        Lockout(
            address=row.ip_address or "",
            username=row.username or "",
            failures=row.failures_since_start,
            retry_at=row.attempt_time + settings.AXES_COOLOFF_TIME,
        )
        for row in pairs
    ]
    addresses = (
        recent.values("ip_address")
        .annotate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
        .filter(failures__gte=settings.RAPPORT_LOCKOUT_ADDRESS_LIMIT)
        .order_by("-latest")
    )
    locks += [
        Lockout(
            address=row["ip_address"] or "",
            username="",
            failures=row["failures"],
            retry_at=row["latest"] + settings.AXES_COOLOFF_TIME,
        )
        for row in addresses
    ]
    return sorted(locks, key=lambda lock: lock.retry_at, reverse=True)
