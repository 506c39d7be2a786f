"""API schemas of identity resolution: input and output per endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from rapport.accounts.schemas import Input, PageFilters
from rapport.core.schemas import Id, Text, UserRef

Short = Annotated[Text, Field(max_length=200)]
Choice = Literal["keep", "absorbed"]


class ContactCheckQuery(Schema):
    first_name: Short = ""
    last_name: Short = ""
    email: Short = ""
    phone: Annotated[Text, Field(max_length=50)] = ""
    account_id: Id | None = None
    exclude_id: Id | None = None
    limit: Annotated[int, Field(ge=1, le=20)] = 5


class AccountCheckQuery(Schema):
    name: Short = ""
    website: Short = ""
    phone: Annotated[Text, Field(max_length=50)] = ""
    city: Short = ""
    exclude_id: Id | None = None
    limit: Annotated[int, Field(ge=1, le=20)] = 5


class MatchedContact(Schema):
    id: int
    full_name: str
    title: str
    account_id: int
    account_name: str = Field(alias="account.name")


class MatchedAccount(Schema):
    id: int
    name: str
    kind: str
    city: str
    website: str


class ContactMatchOut(Schema):
    contact: MatchedContact = Field(alias="record")
    score: float
    reasons: list[str]


class AccountMatchOut(Schema):
    account: MatchedAccount = Field(alias="record")
    score: float
    reasons: list[str]


class PairFilters(PageFilters):
    kind: Literal["", "contact", "account"] = ""
    status: Literal["", "pending", "accepted", "rejected", "deferred"] = "pending"


class PairOut(Schema):
    id: int
    kind: str
    left_id: int
    right_id: int
    left_name: str
    right_name: str
    probability: float
    not_sure: bool
    evidence: dict[str, Any]
    cluster: str
    source: str
    status: str
    decided_by: UserRef | None
    decided_at: datetime | None

    @staticmethod
    def resolve_left_name(obj: Any) -> str:
        return str(obj.left)

    @staticmethod
    def resolve_right_name(obj: Any) -> str:
        return str(obj.right)


class PairPageOut(Schema):
    items: list[PairOut]
    next_cursor: str | None


class PairDecisionIn(Input):
    status: Literal["rejected", "deferred", "pending"]


class PairMergeIn(Input):
    keep: Literal["left", "right"] = "left"
    choices: dict[Annotated[str, Field(max_length=40)], Choice] = Field({}, max_length=20)


class ContactMergeIn(Input):
    keep_id: Id
    absorbed_id: Id
    choices: dict[Annotated[str, Field(max_length=40)], Choice] = Field({}, max_length=20)


class AccountMergeIn(ContactMergeIn):
    pass


class MergeOut(Schema):
    id: int
    kind: str
    keep_id: int
    absorbed_id: int
    choices: dict[str, str]
    before: dict[str, Any]
    summary: dict[str, int]
    automatic: bool
    merged_by: UserRef | None
    merged_at: datetime
    undone_by: UserRef | None
    undone_at: datetime | None

    @staticmethod
    def resolve_keep_id(obj: Any) -> int:
        return obj.keep.pk

    @staticmethod
    def resolve_absorbed_id(obj: Any) -> int:
        return obj.absorbed.pk


class MergePageOut(Schema):
    items: list[MergeOut]
    next_cursor: str | None


class DedupeRunIn(Input):
    kind: Literal["contact", "account"]
    threshold: Annotated[float, Field(gt=0, lt=1)] = 0.5
    auto_merge_above: Annotated[float, Field(ge=0.5, le=1)] | None = None


class DedupeRunOut(Schema):
    id: int
    kind: str
    status: str
    progress: int
    stage: str
    threshold: float
    records: int
    pairs_found: int
    pairs_new: int
    clusters: int
    auto_merged: int
    model_name: str
    model_version: str
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SettingsIn(Input):
    auto_merge_enabled: bool
    auto_merge_threshold: Annotated[float, Field(ge=0.5, le=1)] | None = None


class SettingsOut(Schema):
    auto_merge_enabled: bool
    auto_merge_threshold: float
    updated_by: UserRef | None
    updated_at: datetime
