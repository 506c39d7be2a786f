"""API of needs, needs segments and the Differentiate pictures (read only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from rapport.accounts import selectors as account_selectors
from rapport.core.api import caller
from rapport.core.pagination import Page
from rapport.core.schemas import Id
from rapport.needs import pictures, selectors
from rapport.needs.models import NeedsSegment, SegmentMembership
from rapport.needs.schemas import (
    ContactNeedsOut,
    DifferentiateFilters,
    DifferentiateOut,
    MemberFilters,
    MemberPageOut,
    NeedOut,
    NeedsProfileOut,
    SegmentOut,
)
from rapport.needs.selectors import CatalogueEntry, ContactNeeds, NeedsProfile

router = Router(tags=["needs"])


@router.get("/needs", response=list[NeedOut], summary="The needs catalogue")
def need_list(request: HttpRequest) -> list[CatalogueEntry]:
    """Every need we ask about, with how many organisations (that you see) we know it for."""
    return selectors.need_catalogue(user=caller(request))


@router.get("/accounts/{account_id}/needs", response=NeedsProfileOut, tags=["accounts"])
def account_needs(request: HttpRequest, account_id: Id) -> NeedsProfile:
    """An account's needs: its own answers, else its units' and people's rolled up, else
    inherited from the units above; and its organisation's needs segment."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=account_id)
    return selectors.needs_profile(user=user, account=account)


@router.get("/contacts/{contact_id}/needs", response=ContactNeedsOut, tags=["contacts"])
def contact_needs(request: HttpRequest, contact_id: Id) -> ContactNeeds:
    """A person's needs: their own, and their unit's and organisation's."""
    user = caller(request)
    contact = account_selectors.contact_get(user=user, pk=contact_id)
    return selectors.contact_needs(user=user, contact=contact)


@router.get("/segments", response=list[SegmentOut], summary="Current needs segments")
def segment_list(request: HttpRequest) -> list[NeedsSegment]:
    """The needs segments of the latest run, largest first, each in words (staff, partners)."""
    return selectors.segment_list(user=caller(request))


@router.get("/segments/{segment_id}", response=SegmentOut, summary="One needs segment")
def segment_get(request: HttpRequest, segment_id: Id) -> NeedsSegment:
    """A segment of any run, with its distinctive needs and centre."""
    return selectors.segment_get(user=caller(request), pk=segment_id)


@router.get("/segments/{segment_id}/members", response=MemberPageOut, summary="Segment members")
def segment_members(
    request: HttpRequest, segment_id: Id, filters: Query[MemberFilters]
) -> Page[SegmentMembership]:
    """The members you may see, most typical (nearest the centre) first; keyset-paginated."""
    user = caller(request)
    segment = selectors.segment_get(user=user, pk=segment_id)
    return selectors.segment_members(
        user=user, segment=segment, cursor=filters.cursor, limit=filters.limit
    )


@router.get("/differentiate", response=DifferentiateOut, summary="The portfolio pictures")
def differentiate(request: HttpRequest, filters: Query[DifferentiateFilters]) -> dict[str, Any]:
    """The data of the Differentiate page: value concentration, tier migration, share of
    customer by category, the whitespace matrix, value by needs, and the segments."""
    portfolio = pictures.portfolio(user=caller(request), measure=filters.measure, top=filters.top)
    return pictures.portfolio_data(portfolio)
