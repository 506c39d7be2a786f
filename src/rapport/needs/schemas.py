"""API schemas of needs, needs segments and the Differentiate pictures."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from rapport.accounts.schemas import AccountRef, ContactRef, PageFilters
from rapport.memory.schemas import AttributeOut, AttributeRef, ProfileEntryOut
from rapport.valuation.schemas import ModelRunRef

# --- needs -------------------------------------------------------------------------------


class NeedOut(Schema):
    attribute: AttributeOut
    organisations: int = Field(description="organisations (that you see) we know this need for")
    ordered: bool = Field(description="the choices run in order of demand")


class SourceFactOut(Schema):
    id: int
    account: AccountRef
    contact: ContactRef | None
    value: Any
    display: str
    recorded_at: datetime


class NeedValueOut(Schema):
    attribute: AttributeRef
    known: bool
    value: Any = Field(description="the answer, rolled up for an organisation; null if unknown")
    display: str
    how: Literal["own", "rolled_up", "inherited", ""] = Field(
        description="told by the account itself, rolled up from its units and people, "
        "or inherited from the units above"
    )
    how_label: str
    sources: list[SourceFactOut] = Field(description="the current facts the answer rests on")

    @staticmethod
    def resolve_known(obj: Any) -> bool:
        return obj.is_known

    @staticmethod
    def resolve_how_label(obj: Any) -> str:
        return obj.how_display

    @staticmethod
    def resolve_sources(obj: Any) -> list[Any]:
        return obj.facts


class SegmentRef(Schema):
    id: int
    number: int
    name: str
    description: str
    lineage: int = Field(description="the segment's identity across recomputes")


class NeedsProfileOut(Schema):
    account: AccountRef
    needs: list[NeedValueOut]
    segment: SegmentRef | None = Field(description="the organisation's current needs segment")
    distance: float | None = Field(description="to the segment's centre (0 = typical)")

    @staticmethod
    def resolve_needs(obj: Any) -> list[Any]:
        return obj.entries

    @staticmethod
    def resolve_segment(obj: Any) -> Any:
        return obj.segment

    @staticmethod
    def resolve_distance(obj: Any) -> float | None:
        return obj.membership.distance if obj.membership else None


class ContactNeedsOut(Schema):
    contact: ContactRef
    needs: list[ProfileEntryOut]

    @staticmethod
    def resolve_needs(obj: Any) -> list[Any]:
        return obj.entries


# --- segments ----------------------------------------------------------------------------


class DistinctiveNeedOut(Schema):
    attribute: str
    value: str
    label: str = ""
    phrase: str = ""
    share_in_segment: float
    share_overall: float
    lift: float


class SegmentOut(Schema):
    id: int
    number: int
    name: str
    description: str
    distinctive_needs: list[DistinctiveNeedOut]
    centroid: dict[str, float]
    size: int = Field(description="members in the whole customer base")
    visible_members: int = Field(description="members you may see")
    is_current: bool
    run: ModelRunRef
    lineage: int = Field(
        description="the segment's identity across recomputes: the segment of a later run "
        "that continues it keeps it; what is attached to a segment is attached to this"
    )
    continues_id: int | None = Field(
        description="the segment of the previous run this one continues; null when new in "
        "its run (or when that run was deleted)"
    )
    continued_share: float | None = Field(
        description="share of the continued segment's members that are in this one (0.84 "
        "= 84%); null when new in its run"
    )

    @staticmethod
    def resolve_visible_members(obj: Any) -> int:
        return obj.visible


class MemberOut(Schema):
    customer: AccountRef
    distance: float
    needs_known: int


class MemberPageOut(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class MemberFilters(PageFilters):
    pass


# --- the Differentiate pictures ----------------------------------------------------------


class DifferentiateFilters(Schema):
    measure: Literal["predicted_value", "net_margin_12m", "revenue_12m", "lifetime_margin"] = (
        "predicted_value"
    )
    top: int = Field(15, ge=1, le=50, description="accounts in the whitespace matrix")


class TopShareOut(Schema):
    percent: int
    accounts: int
    share: float


class TopNOut(Schema):
    accounts: int
    share: float


class ConcentrationOut(Schema):
    measure: str
    accounts: int
    total: float
    curve: list[tuple[float, float]] = Field(description="(share of accounts, share of value)")
    top_percent: list[TopShareOut]
    top_n: list[TopNOut]
    gini: float | None
    nothing_or_less: int


class MigrationOut(Schema):
    runs: list[ModelRunRef]
    tiers: list[str]
    counts: dict[str, list[int]] = Field(description="tier → accounts per run, oldest run first")
    matrix_from: list[str] = Field(description="row labels: the tiers, then 'new'")
    matrix_to: list[str] = Field(description="column labels: the tiers, then 'gone'")
    matrix: list[list[int]]
    moved: int
    stayed: int


class CategoryShareOut(Schema):
    category_id: int
    name: str
    revenue: float
    wallet: float
    share: float | None
    accounts: int
    whitespace: int


class WhitespaceCellOut(Schema):
    account_id: int
    category_id: int
    share: float | None
    revenue: float
    wallet: float | None
    wallet_source: str
    is_whitespace: bool


class WhitespaceOut(Schema):
    categories: list[AccountRef] = Field(description="id and name of each category")
    accounts: list[AccountRef]
    cells: list[WhitespaceCellOut]


class SegmentRowOut(Schema):
    segment_id: int | None
    label: str
    counts: list[int] = Field(description="accounts per value band, top 25% first")
    accounts: int
    total_value: float
    median_value: float | None
    tiers: dict[str, int]


class PlacedOut(Schema):
    customer_id: int
    name: str
    row: int
    value: float
    tier: str


class ValueByNeedsOut(Schema):
    bands: list[str]
    cuts: list[float]
    rows: list[SegmentRowOut]
    points: list[PlacedOut]
    placed: int
    silhouette: float | None
    explained: float | None
    verdict: str


class DifferentiateOut(Schema):
    concentration: ConcentrationOut
    migration: MigrationOut
    share_by_category: list[CategoryShareOut]
    whitespace: WhitespaceOut
    value_by_needs: ValueByNeedsOut
    segments: list[SegmentOut]
