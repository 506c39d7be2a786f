"""API schemas of the timeline: interactions, their people, and the timeline filters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from rapport.accounts.schemas import AccountRef, ContactRef, Input, PageFilters, PartnerRef
from rapport.core.schemas import Id, Text, UserRef
from rapport.interactions.models import Channel, Direction, Interaction, Outcome, Side


def _storable_moment(value: datetime) -> datetime:
    # Both databases keep UTC; a time that cannot be expressed in UTC is bad input.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("The time is out of range.") from None
    return value


def _bounded_day(value: date) -> date:
    # Filters turn days into time ranges; keep a day's margin inside datetime's range.
    if not date(1, 1, 2) <= value <= date(9999, 12, 30):
        raise ValueError("The day is out of range.")
    return value


def _split_commas(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


Moment = Annotated[AwareDatetime, AfterValidator(_storable_moment)]
"""A point in time with its time zone (ISO 8601); a naive time is refused."""

Day = Annotated[date, AfterValidator(_bounded_day)]

Channels = Annotated[list[Channel], BeforeValidator(_split_commas)]


class InteractionOut(Schema):
    id: int
    account: AccountRef = Field(description="the unit the interaction was with")
    customer_id: int = Field(description="the organisation")
    channel: str
    channel_label: str
    direction: str
    direction_label: str
    occurred_at: datetime
    subject: str
    summary: str
    outcome: str
    outcome_label: str
    next_step: str
    partner: PartnerRef | None
    logged_by: UserRef | None
    contacts: list[ContactRef] = Field(description="the customer's people taking part")
    users: list[UserRef] = Field(description="our people taking part")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_channel_label(obj: Interaction) -> str:
        return obj.get_channel_display()

    @staticmethod
    def resolve_direction_label(obj: Interaction) -> str:
        return obj.get_direction_display()

    @staticmethod
    def resolve_outcome_label(obj: Interaction) -> str:
        return obj.get_outcome_display() if obj.outcome else ""

    @staticmethod
    def resolve_contacts(obj: Interaction) -> list[Any]:
        return [p.contact for p in obj.participants.all() if p.side == Side.CUSTOMER and p.contact]

    @staticmethod
    def resolve_users(obj: Interaction) -> list[Any]:
        return [p.user for p in obj.participants.all() if p.side == Side.US and p.user]


class InteractionPageOut(Schema):
    items: list[InteractionOut]
    next_cursor: str | None


class TimelineFilters(PageFilters):
    channel: Channels = Field([], description="repeat the parameter or separate with commas")
    unit_id: Id | None = Field(None, description="only this unit and its subtree")
    person_id: Id | None = Field(None, description="only interactions with this contact")
    since: Day | None = Field(None, description="from this day on (inclusive)")
    until: Day | None = Field(None, description="up to this day (inclusive)")


class AccountTimelineFilters(TimelineFilters):
    subtree: bool = Field(True, description="include the account's units")


class InteractionFilters(TimelineFilters):
    account_id: Id | None = Field(None, description="this account and (subtree=true) its units")
    contact_id: Id | None = None
    subtree: bool = True


class InteractionCreateIn(Input):
    account_id: Id
    channel: Channel
    direction: Direction
    occurred_at: Moment | None = Field(None, description="ISO 8601 with time zone; default now")
    subject: Text
    summary: Text = ""
    outcome: Outcome = Outcome.NONE
    next_step: Text = ""
    contact_ids: list[Id] = Field([], max_length=100, description="the customer's people")
    user_ids: list[Id] = Field([], max_length=50, description="our people; default you")
    partner_id: Id | None = None


class InteractionUpdateIn(Input):
    channel: Channel | None = None
    direction: Direction | None = None
    occurred_at: Moment | None = None
    subject: Text | None = None
    summary: Text | None = None
    outcome: Outcome | None = None
    next_step: Text | None = None
    partner_id: Id | None = Field(None, description="null: no partner involved")
    contact_ids: list[Id] | None = Field(None, max_length=100, description="replaces the list")
