"""API schemas of the timeline: interactions, their people, and the timeline filters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator

from rapport.accounts.schemas import AccountRef, ContactRef, Input, PageFilters, PartnerRef
from rapport.core.schemas import Day, Id, Moment, Text, UserRef
from rapport.interactions.models import (
    Channel,
    CommitmentStatus,
    Direction,
    Interaction,
    Outcome,
    Side,
    Thread,
    ThreadStatus,
)


def _split_commas(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


Channels = Annotated[list[Channel], BeforeValidator(_split_commas)]


class InteractionOut(Schema):
    id: int
    version: int = Field(description="counts up on every change; send it back in If-Match")
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
    purpose: str = Field(description="why we reached out (blank: not said)")
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


class CommitmentIn(Input):
    """A commitment made on the interaction being logged."""

    owed_by: Side = Field(description="us, customer or partner")
    description: Text = Field(max_length=500)
    due_on: Day | None = None
    owner_user_id: Id | None = Field(None, description="which of us owes it (owed_by=us)")
    owner_contact_id: Id | None = Field(
        None, description="which of their people owes it (owed_by=customer)"
    )


class InteractionLogIn(Input):
    """The timeline's part of a log request; memory's InteractionCreateIn adds what was learned."""

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
    purpose: Text = Field(
        "",
        max_length=16,
        description="why we reach out (service, sales, marketing, newsletter, events, surveys, "
        "training): outbound interactions are checked against each person's consent",
    )
    override_reason: Text = Field(
        "", max_length=500, description="log it although consent or preferences block it"
    )
    thread_id: Id | None = Field(None, description="an open thread this interaction continues")
    new_thread_title: Text = Field("", max_length=200, description="or start a new thread")
    commitments: list[CommitmentIn] = Field([], max_length=20, description="promises made on it")


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


# --- threads and commitments: where we left off (X2) --------------------------------------


class LastExchangeOut(Schema):
    id: int
    subject: str
    occurred_at: datetime
    channel: str
    channel_label: str
    direction: str
    contacts: list[ContactRef]
    users: list[UserRef]

    @staticmethod
    def resolve_channel_label(obj: Interaction) -> str:
        return obj.get_channel_display()

    @staticmethod
    def resolve_contacts(obj: Interaction) -> list[Any]:
        return [p.contact for p in obj.participants.all() if p.side == Side.CUSTOMER and p.contact]

    @staticmethod
    def resolve_users(obj: Interaction) -> list[Any]:
        return [p.user for p in obj.participants.all() if p.side == Side.US and p.user]


class ThreadOut(Schema):
    id: int
    account: AccountRef
    customer_id: int
    title: str
    status: str
    opened_by: UserRef | None
    closed_at: datetime | None
    last_interaction_at: datetime | None
    last_exchange: LastExchangeOut | None = Field(
        description="subject, when, channel and who of the latest interaction on the thread"
    )
    created_at: datetime

    @staticmethod
    def resolve_last_exchange(obj: Thread) -> Interaction | None:
        return obj.last_interaction


class ThreadPageOut(Schema):
    items: list[ThreadOut]
    next_cursor: str | None


class ThreadFilters(PageFilters):
    status: ThreadStatus | None = Field(None, description="open or closed; default both")


class ThreadCreateIn(Input):
    account_id: Id
    title: Text = Field(max_length=200)


class CommitmentOut(Schema):
    id: int
    version: int = Field(description="counts up on every change; send it back in If-Match")
    account: AccountRef
    customer_id: int
    interaction_id: int | None
    thread_id: int | None
    owed_by: str
    owner_user: UserRef | None
    owner_contact: ContactRef | None
    description: str
    due_on: date | None
    status: str
    is_overdue: bool
    done_at: datetime | None
    done_by: UserRef | None
    created_at: datetime


class CommitmentPageOut(Schema):
    items: list[CommitmentOut]
    next_cursor: str | None


class CommitmentFilters(PageFilters):
    account_id: Id | None = Field(None, description="this account and its units")
    status: CommitmentStatus | None = None
    owed_by: Side | None = None
    overdue: bool | None = Field(None, description="true: only overdue; false: none overdue")
    owner_user_id: Id | None = Field(None, description="owed by this one of us")


class CommitmentCreateIn(CommitmentIn):
    account_id: Id
    interaction_id: Id | None = Field(None, description="the interaction it was made on")
    thread_id: Id | None = None


class CommitmentUpdateIn(Input):
    description: Text | None = Field(None, max_length=500)
    due_on: Day | None = Field(None, description="null: no due date")
    owner_user_id: Id | None = Field(None, description="null: nobody of ours in particular")
    owner_contact_id: Id | None = Field(None, description="null: nobody of theirs in particular")


class LastToldOut(Schema):
    id: int
    subject: str
    summary: str
    occurred_at: datetime
    channel: str
    direction: str
    account: AccountRef


class LeftOffOut(Schema):
    threads: list[ThreadOut] = Field(description="open threads, most recently active first")
    open_threads: int
    ours: list[CommitmentOut] = Field(description="open commitments we owe, by due date")
    theirs: list[CommitmentOut] = Field(description="open commitments they (or a partner) owe")
    open_ours: int
    open_theirs: int
    overdue_count: int
    last_told: LastToldOut | None = Field(
        description="their latest inbound or two-way interaction: the last thing they told us"
    )


class ThreadDetailOut(Schema):
    thread: ThreadOut
    interactions: list[InteractionOut] = Field(description="the latest 100, newest first")
    commitments: list[CommitmentOut] = Field(description="open ones first, then by due date")


# --- quiet intervals (X8) -----------------------------------------------------------------


class QuietAlertOut(Schema):
    organisation: AccountRef
    manager: UserRef | None = Field(alias="organisation.manager")
    exchanges: int = Field(
        alias="cadence.exchanges",
        description="two-way and inbound exchanges the rhythm is learned from",
    )
    typical_gap_days: float | None = Field(alias="cadence.typical_gap_days")
    allowed_gap_days: float | None = Field(alias="cadence.allowed_gap_days")
    agreed_gap_days: int | None = Field(
        alias="cadence.agreed_gap_days",
        description="the rhythm its treatment agrees (then it is the allowed gap)",
    )
    last_exchange_at: datetime | None = Field(alias="cadence.last_exchange_at")
    quiet_days: int = Field(description="days since the last exchange, now")
    overdue_days: int = Field(description="days beyond the allowed gap, now")
    value_weight: float = Field(
        alias="cadence.value_weight",
        description="what the relationship weighs (ranks the list)",
    )
    suggestion: str = Field(
        alias="cadence.suggestion", description="a concrete reason to get in touch"
    )
    model: str = Field(description="model name and version")
    computed_at: datetime = Field(alias="cadence.computed_at")

    @staticmethod
    def resolve_model(obj: Any) -> str:
        return f"{obj.cadence.model_name} {obj.cadence.model_version}"


class QuietAlertPageOut(Schema):
    items: list[QuietAlertOut]
    next_cursor: str | None


class RecomputeQueuedOut(Schema):
    task_id: str
    status: str
