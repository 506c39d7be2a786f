"""Reads of the model results: an organisation's value, shares, tier and their history; runs.

What a customer is worth to us, and what we should do about it, is our staff's view, as
wallet estimates and judgements are: every selector here first checks the user is
internal (`selectors.ensure_internal`), then scopes rows by `core.access` through the
organisation (`customer`). Values live on the organisation; a unit is answered with its
organisation's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from rapport.accounts.models import Account
from rapport.core import access, runs
from rapport.core.errors import InvalidInput
from rapport.core.models import User
from rapport.core.pagination import Page, clamp_limit, decode_cursor, page_of
from rapport.valuation import selectors
from rapport.valuation.models import (
    AccountValue,
    CategoryShare,
    JudgementScore,
    ModelRun,
    Recommendation,
    RunKind,
    Tier,
    TierAssignment,
)

HISTORY_SHOWN = 24
RUNS_SHOWN = 50


def organisation_of(account: Account) -> Account:
    """The organisation at the top of the account's tree (itself for an organisation)."""
    return account if account.is_customer_root or account.customer is None else account.customer


def _scoped(user: User, queryset: QuerySet) -> QuerySet:
    selectors.ensure_internal(user)
    return access.scope(user, queryset, via="customer")


@dataclass
class ValueCard:
    """Everything the Value tab and `GET /accounts/{id}/value` show of one organisation."""

    account: Account
    organisation: Account
    value: AccountValue | None
    shares: list[CategoryShare] = field(default_factory=list)
    tier: TierAssignment | None = None
    tier_history: list[TierAssignment] = field(default_factory=list)
    judgement: JudgementScore | None = None

    @property
    def is_unit(self) -> bool:
        return self.account.pk != self.organisation.pk

    @property
    def whitespace(self) -> list[CategoryShare]:
        return [share for share in self.shares if share.is_whitespace]


def value_card(*, user: User, account: Account) -> ValueCard:
    """The organisation's current value, shares, tier (with history) and judgement: 5 queries."""
    organisation = organisation_of(account)
    value = (
        _scoped(user, AccountValue.objects.filter(customer=organisation, is_current=True))
        .select_related("run__run__started_by")
        .first()
    )
    shares = list(
        _scoped(user, CategoryShare.objects.filter(customer=organisation, is_current=True))
        .select_related("category")
        .order_by("category__name")
    )
    history = list(
        _scoped(user, TierAssignment.objects.filter(customer=organisation))
        .select_related("run")
        .order_by("-assigned_at", "-id")[:HISTORY_SHOWN]
    )
    current = next((tier for tier in history if tier.is_current), None)
    judgement = (
        _scoped(user, JudgementScore.objects.filter(customer=organisation))
        .filter(superseded_at__isnull=True)
        .select_related("author", "customer")
        .first()
    )
    return ValueCard(
        account=account,
        organisation=organisation,
        value=value,
        shares=shares,
        tier=current,
        tier_history=history,
        judgement=judgement,
    )


def value_history(*, user: User, account: Account, limit: int | None = None) -> list[AccountValue]:
    """The organisation's values, one per run, newest first."""
    limit = clamp_limit(limit, default=HISTORY_SHOWN, maximum=200)
    return list(
        _scoped(user, AccountValue.objects.filter(customer=organisation_of(account)))
        .select_related("run")
        .order_by("-computed_at", "-id")[:limit]
    )


def tier_list(
    *,
    user: User,
    tier: str = "",
    recommendation: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[TierAssignment]:
    """The current tier of every organisation the user sees, by name, filtered and paginated."""
    limit = clamp_limit(limit, default=50)
    queryset = _scoped(
        user,
        TierAssignment.objects.filter(is_current=True, customer__deleted_at__isnull=True),
    ).select_related("customer", "run")
    if tier:
        if tier not in Tier.values:
            raise InvalidInput(f"Unknown tier {tier!r}.", field="tier")
        queryset = queryset.filter(tier=tier)
    if recommendation:
        if recommendation not in Recommendation.values:
            raise InvalidInput(
                f"Unknown recommendation {recommendation!r}.", field="recommendation"
            )
        queryset = queryset.filter(recommendation=recommendation)
    if cursor:
        name, last_id = decode_cursor(cursor, 2)
        if not isinstance(name, str) or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        queryset = queryset.filter(customer__name__gte=name).filter(
            Q(customer__name__gt=name) | Q(id__gt=last_id)
        )
    rows = list(queryset.order_by("customer__name", "id")[: limit + 1])
    return page_of(rows, limit, lambda t: [t.customer.name, t.id])


def run_list(*, user: User, kind: str = "", limit: int | None = None) -> list[ModelRun]:
    """The latest runs of the analyses, newest first (our staff)."""
    selectors.ensure_internal(user)
    limit = clamp_limit(limit, default=RUNS_SHOWN, maximum=200)
    runs.sweep()
    queryset = ModelRun.objects.select_related("run__started_by")
    if kind:
        if kind not in RunKind.values:
            raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
        queryset = queryset.filter(kind=kind)
    return list(queryset.order_by("-created_at", "-id")[:limit])


def run_get(*, user: User, pk: int) -> ModelRun:
    """One run (our staff), or NotFound."""
    selectors.ensure_internal(user)
    runs.sweep()
    return access.get_visible(
        ModelRun.objects.select_related("run__started_by"), user, via="", pk=pk
    )
