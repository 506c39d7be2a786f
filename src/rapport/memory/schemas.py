"""API schemas of the learning memory: input and output per endpoint."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from rapport.accounts.schemas import AccountRef, ContactRef, Input, PageFilters
from rapport.core.schemas import Day, Id, JsonValue, Moment, Text, UserRef
from rapport.interactions.schemas import InteractionLogIn
from rapport.memory.models import (
    AttributeKind,
    Fact,
    FactSource,
    QuestionnaireLink,
    SubjectLevel,
    ValueType,
)


class AttributeRef(Schema):
    id: int
    key: str
    label: str
    kind: str
    value_type: str


# --- facts (X3) ------------------------------------------------------------------------


class AttributeOut(Schema):
    id: int
    version: int = Field(description="counts up on every change; send it back in If-Match")
    key: str
    label: str
    kind: str
    value_type: str
    level: str
    choices: list[str]
    unit: str
    question: str
    help_text: str
    used_for: list[str]
    importance: int
    stale_after_days: int | None


class AttributeCreateIn(Input):
    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    label: Annotated[Text, Field(min_length=1, max_length=200)]
    kind: AttributeKind
    value_type: ValueType
    level: SubjectLevel
    question: Annotated[Text, Field(min_length=1, max_length=500)]
    choices: list[Annotated[Text, Field(max_length=100)]] = Field([], max_length=50)
    unit: Annotated[Text, Field(max_length=32)] = ""
    help_text: Annotated[Text, Field(max_length=500)] = ""
    used_for: list[Annotated[Text, Field(max_length=100)]] = Field([], max_length=20)
    importance: Annotated[int, Field(ge=1, le=5)] = 3
    stale_after_days: Annotated[int, Field(ge=1, le=3650)] | None = None


class AttributeUpdateIn(Input):
    label: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    kind: AttributeKind | None = None
    value_type: ValueType | None = None
    level: SubjectLevel | None = None
    question: Annotated[Text, Field(min_length=1, max_length=500)] | None = None
    choices: list[Annotated[Text, Field(max_length=100)]] | None = Field(None, max_length=50)
    unit: Annotated[Text, Field(max_length=32)] | None = None
    help_text: Annotated[Text, Field(max_length=500)] | None = None
    used_for: list[Annotated[Text, Field(max_length=100)]] | None = Field(None, max_length=20)
    importance: Annotated[int, Field(ge=1, le=5)] | None = None
    stale_after_days: Annotated[int, Field(ge=1, le=3650)] | None = None


class FactOut(Schema):
    id: int
    attribute: AttributeRef
    account: AccountRef = Field(description="the unit the fact is about (a person's unit)")
    contact: ContactRef | None = Field(description="the person, for contact-level facts")
    customer_id: int
    value: Any = Field(description="typed by the attribute's value type")
    display: str
    source: str
    source_label: str
    interaction_id: int | None
    said_by: ContactRef | None = Field(description="who of theirs told us")
    recorded_by: UserRef | None
    recorded_at: datetime
    confidence: int
    valid_from: date
    valid_until: date | None
    note: str
    is_current: bool
    superseded_by_id: int | None

    @staticmethod
    def resolve_source_label(obj: Fact) -> str:
        return obj.get_source_display()


class FactRecordIn(Input):
    attribute: Text = Field(description="the attribute's key")
    account_id: Id | None = Field(None, description="the unit (or organisation) it is about")
    contact_id: Id | None = Field(None, description="or the person it is about / who told us")
    value: JsonValue
    source: FactSource = FactSource.USER
    interaction_id: Id | None = Field(None, description="the interaction we learned it on")
    said_by_id: Id | None = None
    confidence: Annotated[int, Field(ge=1, le=100)] | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    note: Text = ""


class ContradictionOut(Schema):
    id: int
    attribute: AttributeRef
    account: AccountRef
    contact: ContactRef | None
    earlier: FactOut
    later: FactOut
    status: str
    resolved_by: UserRef | None
    resolved_at: datetime | None
    resolution_id: int | None
    note: str


class FactRecordedOut(Schema):
    fact: FactOut
    superseded_id: int | None
    contradiction: ContradictionOut | None

    @staticmethod
    def resolve_superseded_id(obj: Any) -> int | None:
        return obj.superseded.pk if obj.superseded else None


class ContradictionResolveIn(Input):
    keep: Literal["earlier", "later"]
    note: Text = ""


class ProfileEntryOut(Schema):
    attribute: AttributeRef
    known: bool = Field(description="a current, still valid value exists")
    fact: FactOut | None
    inherited_from: AccountRef | None
    stale: bool
    expired: bool
    contradiction_id: int | None

    @staticmethod
    def resolve_known(obj: Any) -> bool:
        return obj.is_known

    @staticmethod
    def resolve_stale(obj: Any) -> bool:
        return obj.is_stale

    @staticmethod
    def resolve_expired(obj: Any) -> bool:
        return obj.is_expired

    @staticmethod
    def resolve_contradiction_id(obj: Any) -> int | None:
        return obj.contradiction.pk if obj.contradiction else None


class ProfileOut(Schema):
    account: AccountRef
    contact: ContactRef | None
    entries: list[ProfileEntryOut]


class FactHistoryFilters(Schema):
    attribute: Text
    account_id: Id | None = None
    contact_id: Id | None = None


class ContradictionFilters(Schema):
    status: Literal["open", "resolved", ""] = "open"
    account_id: Id | None = None


# --- questions (X4) --------------------------------------------------------------------


class SuggestionOut(Schema):
    attribute: AttributeOut
    score: float
    reasons: list[str]
    known: FactOut | None


class AskingOut(Schema):
    id: int
    attribute: AttributeRef
    account: AccountRef
    contact: ContactRef | None
    asked_by: UserRef | None
    asked_at: datetime
    channel: str
    interaction_id: int | None
    is_reask: bool
    reask_reason: str
    known_fact: FactOut | None
    answer: FactOut | None
    answered_at: datetime | None


class AskingPageOut(Schema):
    items: list[AskingOut]
    next_cursor: str | None


class AskingFilters(PageFilters):
    account_id: Id | None = None
    contact_id: Id | None = None
    reasks_only: bool = False


class AskIn(Input):
    attribute: Text = Field(description="the attribute's key")
    account_id: Id | None = None
    contact_id: Id | None = None
    channel: Text = ""
    interaction_id: Id | None = None
    reason: Text = Field("", description="required when the answer is already known")
    answer: JsonValue | None = Field(None, description="the answer, when given at once")


class AnswerIn(Input):
    value: JsonValue
    confidence: Annotated[int, Field(ge=1, le=100)] | None = None


class KnownAnswerOut(Schema):
    known: bool
    entry: ProfileEntryOut


class KnownAnswerFilters(Schema):
    attribute: Text
    account_id: Id | None = None
    contact_id: Id | None = None


class ReaskCountOut(Schema):
    id: int = Field(alias="pk")
    name: str
    reasks: int
    askings: int


class ReaskSummaryOut(Schema):
    by_account: list[ReaskCountOut]
    by_employee: list[ReaskCountOut]
    total_reasks: int
    total_askings: int


class ReaskFilters(Schema):
    days: Annotated[int, Field(ge=1, le=3650)] = 90


class QuestionnaireIn(Input):
    account_id: Id | None = None
    contact_id: Id | None = None
    attributes: list[Text] = Field(
        [], max_length=12, description="attribute keys; default: the next most useful unknowns"
    )
    days_valid: Annotated[int, Field(ge=1, le=90)] = 30


class QuestionnaireOut(Schema):
    id: int
    account: AccountRef
    contact: ContactRef | None
    attributes: list[AttributeRef]
    expires_at: datetime
    revoked_at: datetime | None
    last_answered_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_attributes(obj: QuestionnaireLink) -> list[Any]:
        return list(obj.attributes.all())


class QuestionnaireCreatedOut(QuestionnaireOut):
    url: str = Field(description="send this to the person; shown once")


# --- communication preferences and consent (X5) ----------------------------------------


def _comma_ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


ChannelName = Literal[
    "email",
    "call",
    "meeting",
    "web",
    "portal",
    "edi",
    "support",
    "partner",
    "event",
    "training",
    "survey",
]
PurposeName = Literal[
    "service", "sales", "marketing", "newsletter", "events", "surveys", "training"
]
IsoWeekday = Annotated[int, Field(ge=1, le=7)]


class PreferenceOut(Schema):
    contact_id: int
    preferred_channel: str
    preferred_days: list[int] = Field(description="ISO weekdays, 1 = Monday … 7 = Sunday")
    preferred_from: time | None
    preferred_until: time | None
    time_zone: str = Field(description="IANA name; blank: the server's time zone")
    language: str
    notes: str
    source: str
    updated_by: UserRef | None
    updated_at: datetime | None


class PreferenceIn(Input):
    preferred_channel: ChannelName | Literal[""] = ""
    preferred_days: list[IsoWeekday] = Field([], max_length=7)
    preferred_from: time | None = None
    preferred_until: time | None = None
    time_zone: Text = Field("", max_length=64, description="IANA name, e.g. Europe/Berlin")
    language: Text = Field("", max_length=16, description="e.g. de, en-GB")
    notes: Text = Field("", max_length=500)
    source: FactSource = FactSource.USER


class FrequencyCapOut(Schema):
    id: int
    channel: str
    max_contacts: int
    per_days: int
    updated_at: datetime


class FrequencyCapIn(Input):
    max_contacts: int = Field(ge=1, le=1000)
    per_days: int = Field(ge=1, le=366)


class ConsentOut(Schema):
    id: int
    purpose: str
    channel: str = Field(description="blank: every channel")
    status: str
    recorded_at: datetime
    how: str
    source: str
    interaction_id: int | None
    recorded_by: UserRef | None


class ConsentIn(Input):
    purpose: PurposeName
    status: Literal["granted", "withdrawn"]
    channel: ChannelName | Literal[""] = Field("", description="blank: every channel")
    how: Text = Field(max_length=300, description="how they told us")
    source: FactSource = FactSource.USER
    interaction_id: Id | None = None
    recorded_at: Moment | None = Field(None, description="default now")


class PermissionQuery(Schema):
    channel: ChannelName
    purpose: PurposeName | Literal[""] = Field("", description="blank counts as service")
    at: Moment | None = Field(None, description="default now")


class PermissionOut(Schema):
    verdict: Literal["allow", "warn", "block"]
    reasons: list[str]


class PermissionsQuery(PermissionQuery):
    contact_ids: Annotated[list[Id], BeforeValidator(_comma_ids)] = Field(
        max_length=200, description="repeat the parameter or separate with commas"
    )


class ContactPermissionOut(PermissionOut):
    contact_id: int


# --- logging an interaction with what was learned (X3, X5): POST /interactions ---------


class LearnedIn(Input):
    """Something the customer taught us on this interaction (X3)."""

    attribute: Text = Field(description="the attribute's key (see GET /attributes)")
    value: JsonValue
    contact_id: Id | None = Field(
        None, description="who told us (and the subject of person-level attributes)"
    )
    account_id: Id | None = Field(None, description="the unit it is about; default the logged unit")


class InteractionCreateIn(InteractionLogIn):
    learned: list[LearnedIn] = Field([], max_length=50, description="facts learned on it")


# --- capture quality (X9) -----------------------------------------------------------------


class CaptureFilters(Schema):
    since: Day | None = Field(None, description="first day (default: 89 days before until)")
    until: Day | None = Field(None, description="last day, inclusive (default: today)")


class CaptureRowOut(Schema):
    user: UserRef
    interactions: int
    with_outcome: int
    with_next_step: int
    outcome_share: float | None
    next_step_share: float | None
    facts_taught: int
    reasks: int
    commitments_due: int
    commitments_kept: int
    kept_share: float | None


class CaptureOut(Schema):
    since: date
    until: date
    rows: list[CaptureRowOut]
