"""API of the model results: an account's value and its history, tiers, and recompute runs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from rapport.accounts import selectors as account_selectors
from rapport.core.api import caller
from rapport.core.pagination import Page
from rapport.core.schemas import Id
from rapport.valuation import results, runners
from rapport.valuation.models import AccountValue, ModelRun, TierAssignment
from rapport.valuation.results_schemas import (
    AccountValueOut,
    RunFilters,
    RunIn,
    RunOut,
    TierFilters,
    TierPageOut,
    ValueHistoryOut,
)

router = Router(tags=["value"])


@router.get("/accounts/{account_id}/value", response=AccountValueOut)
def account_value(request: HttpRequest, account_id: Id) -> dict[str, Any]:
    """What the organisation is worth and could be worth, its shares, tier and judgement (staff)."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=account_id)
    card = results.value_card(user=user, account=account)
    return {
        "account": card.account,
        "organisation": card.organisation,
        "value": card.value,
        "shares": card.shares,
        "tier": card.tier,
        "judgement": card.judgement,
    }


@router.get("/accounts/{account_id}/value/history", response=list[ValueHistoryOut])
def account_value_history(
    request: HttpRequest, account_id: Id, limit: int | None = None
) -> list[AccountValue]:
    """The organisation's value as each run saw it, newest first (staff)."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=account_id)
    return results.value_history(user=user, account=account, limit=limit)


@router.get("/tiers", response=TierPageOut)
def tier_list(request: HttpRequest, filters: Query[TierFilters]) -> Page[TierAssignment]:
    """Every organisation's current tier and keep/grow/shed, by name (staff)."""
    return results.tier_list(
        user=caller(request),
        tier=filters.tier or "",
        recommendation=filters.recommendation or "",
        cursor=filters.cursor,
        limit=filters.limit,
    )


@router.post("/runs", response={202: RunOut})
def run_request(request: HttpRequest, payload: RunIn) -> Status[ModelRun]:
    """Recompute now (managers and admins): the queued run, to follow at GET /runs/{id}."""
    return Status(202, runners.run_request(actor=caller(request), kind=payload.kind))


@router.post("/runs/{run_id}/rerun", response={202: RunOut})
def run_rerun(request: HttpRequest, run_id: Id) -> Status[ModelRun]:
    """Run a finished or failed run's analysis again (managers and admins): the new run."""
    user = caller(request)
    run = results.run_get(user=user, pk=run_id)
    return Status(202, runners.run_rerun(actor=user, run=run))


@router.get("/runs", response=list[RunOut])
def run_list(request: HttpRequest, filters: Query[RunFilters]) -> list[ModelRun]:
    """The latest runs of the value, tier and segment analyses, newest first (staff)."""
    return results.run_list(user=caller(request), kind=filters.kind or "")


@router.get("/runs/{run_id}", response=RunOut)
def run_get(request: HttpRequest, run_id: Id) -> ModelRun:
    """One run: its model, parameters and progress (staff)."""
    return results.run_get(user=caller(request), pk=run_id)
