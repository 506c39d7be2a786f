"""Schemas shared by every API module: safe text, ids, errors, users, tokens, audit history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime

from rapport.core import access
from rapport.core.models import User

# Primary keys are 64-bit on both databases; a larger number can only be a wrong id.
MAX_ID = 2**63 - 1


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL in text and neither database stores lone surrogates
    # (which JSON's \ud800 escapes can produce); refuse them here, as bad input.
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
"""Any string the databases can store."""

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row id given by the caller."""

Limit = Annotated[int, Field(ge=1, le=200)]
"""A page size."""

# A fact's value as JSON carries it, whichever app takes one in (memory, interactions).
JsonValue = str | int | float | bool | list[str] | dict[str, str]


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def _storable_moment(value: datetime) -> datetime:
    # Both databases keep UTC; a time that cannot be expressed in UTC is bad input, and
    # a day's margin keeps windows and cut-offs computed around it inside datetime's range.
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        raise ValueError("The time is out of range: use a date from year 1 to 9999.")
    return value


def _bounded_day(value: date) -> date:
    # Filters turn days into time ranges; keep a day's margin inside datetime's range.
    if not date(1, 1, 2) <= value <= date(9999, 12, 30):
        raise ValueError("The day is out of range.")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_storable_moment)]
"""Every point in time a caller gives: ISO 8601 with its time zone, storable in UTC."""

Day = Annotated[date, AfterValidator(_bounded_day)]
"""A calendar day a caller gives, with a day's margin inside what a datetime can hold."""


class ErrorOut(Schema):
    """Every 4xx body: a code, a message and the messages per field at fault."""

    code: str = Field(examples=["invalid"])
    message: str = Field(examples=["name: This field cannot be blank."])
    errors: dict[str, list[str]] = Field(examples=[{"name": ["This field cannot be blank."]}])


class UserRef(Schema):
    id: int
    full_name: str
    email: str


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    role_label: str
    can_write: bool
    is_internal: bool
    partner_id: int | None
    account_id: int | None

    capabilities: list[str]

    @staticmethod
    def resolve_role_label(obj: User) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_can_write(obj: User) -> bool:
        return access.can(obj, access.Capability.WRITE_CUSTOMER_DATA)

    @staticmethod
    def resolve_is_internal(obj: User) -> bool:
        return access.can(obj, access.Capability.SEE_INTERNAL_SIDE)

    @staticmethod
    def resolve_capabilities(obj: User) -> list[str]:
        return sorted(access.capabilities(obj))


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    is_active: bool


class TokenCreateIn(Schema):
    name: Text = Field(min_length=1, max_length=100)


class TokenCreatedOut(Schema):
    key: str = Field(description="The plain key. Shown this once: only its hash is stored.")
    token: TokenOut


class FieldChangeOut(Schema):
    field: str
    label: str
    old: Any
    new: Any


class HistoryEntryOut(Schema):
    """One entry of a record's audit history, newest first."""

    when: datetime
    who: str
    kind: str = Field(description="created, changed or deleted")
    reason: str
    changes: list[FieldChangeOut]
