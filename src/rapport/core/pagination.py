"""Keyset pagination: an opaque cursor naming the last row seen; never OFFSET."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rapport.core.errors import InvalidInput

M = TypeVar("M", bound=Model)

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    """Turn the sort key of the last row into an opaque, URL-safe cursor."""
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """Read a cursor back; a tampered or foreign cursor is bad input on field `cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The cursor is not valid.", field="cursor") from None
    if not isinstance(values, list) or len(values) != size or not all(map(_storable, values)):
        raise InvalidInput("The cursor is not valid.", field="cursor")
    return values


def _storable(value: Any) -> bool:
    """False for text no database accepts (NUL, lone surrogates), as a forged cursor may carry."""
    if not isinstance(value, str):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def page_of(rows: list[T], limit: int, key: Any) -> Page[T]:
    """Cut a fetched list of limit+1 rows into a page and the cursor of the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor(key(rows[-1])))
    return Page(rows, None)


def clamp_limit(limit: int | None, default: int = 25, maximum: int = 200) -> int:
    """A page size within bounds; nonsense is bad input on field `limit`."""
    if limit is None:
        return default
    if limit < 1 or limit > maximum:
        raise InvalidInput(f"limit must be between 1 and {maximum}.", field="limit")
    return limit


def _cursor_time(raw: object) -> datetime | None:
    """The aware time a cursor holds, or None for a tampered one (never a ValueError)."""
    try:
        moment = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    return moment if moment is not None and timezone.is_aware(moment) else None


def newest_after(queryset: QuerySet[M], cursor: str | None, field: str) -> QuerySet[M]:
    """The rows after `cursor` in newest-first (`field`, id) order; a bad cursor is bad input.

    The redundant `field <= cursor` bound lets the database start its index scan at the
    cursor, so a deep page costs what the first page costs.
    """
    if not cursor:
        return queryset
    raw_at, last_id = decode_cursor(cursor, 2)
    last_at = _cursor_time(raw_at)
    if last_at is None or not isinstance(last_id, int) or isinstance(last_id, bool):
        raise InvalidInput("The cursor is not valid.", field="cursor")
    return queryset.filter(**{f"{field}__lte": last_at}).filter(
        Q(**{f"{field}__lt": last_at}) | Q(id__lt=last_id)
    )
