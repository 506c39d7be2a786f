"""API of identity resolution: the duplicate check, the review queue, merges, runs.

Create endpoints elsewhere stay as they are: like most CRMs' "alert" duplicate rules, a
client asks `GET /duplicates/contacts` (or `/duplicates/accounts`) while the user types
and shows the matches, and the user decides to open the existing record or create anyway.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from rapport.accounts import selectors as account_selectors
from rapport.accounts.schemas import PageFilters
from rapport.core import access
from rapport.core.api import caller, referenced
from rapport.core.pagination import Page
from rapport.core.schemas import Id
from rapport.resolution import selectors, services
from rapport.resolution.models import DedupeRun, DuplicatePair, MergeRecord, ResolutionSettings
from rapport.resolution.schemas import (
    AccountCheckQuery,
    AccountMatchOut,
    AccountMergeIn,
    ContactCheckQuery,
    ContactMatchOut,
    ContactMergeIn,
    DedupeRunIn,
    DedupeRunOut,
    MergeOut,
    MergePageOut,
    PairDecisionIn,
    PairFilters,
    PairMergeIn,
    PairOut,
    PairPageOut,
    SettingsIn,
    SettingsOut,
)
from rapport.resolution.selectors import DuplicateMatch
from rapport.resolution.tasks import dedupe_run

router = Router(tags=["duplicates"])


@router.get("/duplicates/contacts", response=list[ContactMatchOut])
def contact_check(request: HttpRequest, filters: Query[ContactCheckQuery]) -> list[DuplicateMatch]:
    """People already on file who are probably the one being entered, with why."""
    return selectors.contact_duplicates(user=caller(request), **filters.dict())


@router.get("/duplicates/accounts", response=list[AccountMatchOut])
def account_check(request: HttpRequest, filters: Query[AccountCheckQuery]) -> list[DuplicateMatch]:
    """Accounts already on file that are probably the one being entered, with why."""
    return selectors.account_duplicates(user=caller(request), **filters.dict())


@router.get("/duplicates/pairs", response=PairPageOut)
def pair_list(request: HttpRequest, filters: Query[PairFilters]) -> Page[DuplicatePair]:
    """The review queue, most probable first (keyset-paginated)."""
    return selectors.pair_list(user=caller(request), **filters.dict())


@router.get("/duplicates/pairs/{pair_id}", response=PairOut)
def pair_get(request: HttpRequest, pair_id: Id) -> DuplicatePair:
    """One candidate pair with its probability and evidence."""
    return selectors.pair_get(user=caller(request), pk=pair_id)


@router.post("/duplicates/pairs/{pair_id}/decision", response=PairOut)
def pair_decide(request: HttpRequest, pair_id: Id, payload: PairDecisionIn) -> DuplicatePair:
    """Reject (not duplicates), defer, or reopen a pair."""
    user = caller(request)
    pair = selectors.pair_get(user=user, pk=pair_id)
    return services.pair_decide(actor=user, pair=pair, status=payload.status)


@router.post("/duplicates/pairs/{pair_id}/merge", response={201: MergeOut})
def pair_merge(request: HttpRequest, pair_id: Id, payload: PairMergeIn) -> Status[MergeRecord]:
    """Accept a pair: merge it, keeping the left or right record and the chosen values."""
    user = caller(request)
    pair = selectors.pair_get(user=user, pk=pair_id)
    merge = services.pair_merge(actor=user, pair=pair, keep=payload.keep, choices=payload.choices)
    return Status(201, merge)


@router.post("/merges/contacts", response={201: MergeOut})
def contact_merge(request: HttpRequest, payload: ContactMergeIn) -> Status[MergeRecord]:
    """Merge one contact into another (everything of theirs moves to the survivor)."""
    user = caller(request)
    keep = referenced("keep_id", account_selectors.contact_get, user=user, pk=payload.keep_id)
    absorbed = referenced(
        "absorbed_id", account_selectors.contact_get, user=user, pk=payload.absorbed_id
    )
    merge = services.contact_merge(
        actor=user, keep=keep, absorbed=absorbed, choices=payload.choices
    )
    return Status(201, merge)


@router.post("/merges/accounts", response={201: MergeOut})
def account_merge(request: HttpRequest, payload: AccountMergeIn) -> Status[MergeRecord]:
    """Merge an account and its units into another account."""
    user = caller(request)
    keep = referenced("keep_id", account_selectors.account_get, user=user, pk=payload.keep_id)
    absorbed = referenced(
        "absorbed_id", account_selectors.account_get, user=user, pk=payload.absorbed_id
    )
    merge = services.account_merge(
        actor=user, keep=keep, absorbed=absorbed, choices=payload.choices
    )
    return Status(201, merge)


@router.get("/merges", response=MergePageOut)
def merge_list(request: HttpRequest, filters: Query[PageFilters]) -> Page[MergeRecord]:
    """Merges, newest first, each with both records' values before it."""
    return selectors.merge_list(user=caller(request), cursor=filters.cursor, limit=filters.limit)


@router.post("/merges/{merge_id}/undo", response=MergeOut)
def merge_undo(request: HttpRequest, merge_id: Id) -> MergeRecord:
    """Undo a merge exactly (409 if a moved row changed since)."""
    user = caller(request)
    access.ensure_can_write(user)
    return services.merge_undo(actor=user, merge=selectors.merge_get(user=user, pk=merge_id))


@router.post("/duplicates/runs", response={202: DedupeRunOut})
def run_create(request: HttpRequest, payload: DedupeRunIn) -> Status[DedupeRun]:
    """Start a batch search over every contact or account; poll the run for progress."""
    run = services.dedupe_run_create(actor=caller(request), **payload.dict())
    dedupe_run.enqueue(run.pk)
    run.refresh_from_db()
    return Status(202, run)


@router.get("/duplicates/runs/{run_id}", response=DedupeRunOut)
def run_get(request: HttpRequest, run_id: Id) -> DedupeRun:
    """A batch run's progress and counts."""
    return selectors.run_get(user=caller(request), pk=run_id)


@router.get("/duplicates/settings", response=SettingsOut)
def settings_get(request: HttpRequest) -> ResolutionSettings:
    """Whether very likely pairs may be merged automatically."""
    caller(request)
    return services.settings_get()


@router.put("/duplicates/settings", response=SettingsOut)
def settings_update(request: HttpRequest, payload: SettingsIn) -> Any:
    """Allow or stop automatic merges (admins only)."""
    return services.settings_update(actor=caller(request), **payload.dict())
