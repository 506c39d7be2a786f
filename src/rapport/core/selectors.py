"""Reads of the core app: tokens and the audit history of any record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model, QuerySet

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
