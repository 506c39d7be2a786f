"""API of the value records: categories, order lines, subscriptions, wallet estimates, judgements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.access import Capability
from rapport.core.api import caller, etag, fields_renamed, if_match, referenced
from rapport.core.models import User
from rapport.core.pagination import Page
from rapport.core.schemas import Id
from rapport.memory import selectors as memory_selectors
from rapport.valuation import runners, selectors, services
from rapport.valuation.models import (
    AccountValue,
    JudgementScore,
    ModelRun,
    OrderLine,
    Subscription,
    TierAssignment,
    WalletEstimate,
)
from rapport.valuation.schemas import (
    AccountValueOut,
    CategoryCreateIn,
    CategoryOut,
    JudgementFilters,
    JudgementIn,
    JudgementOut,
    ModelRunIn,
    ModelRunOut,
    OrderLineCreateIn,
    OrderLineFilters,
    OrderLineOut,
    OrderLinePageOut,
    OrderLineUpdateIn,
    RunFilters,
    SubscriptionCancelIn,
    SubscriptionCreateIn,
    SubscriptionFilters,
    SubscriptionOut,
    SubscriptionPageOut,
    SubscriptionUpdateIn,
    TierFilters,
    TierPageOut,
    ValueHistoryOut,
    WalletEstimateFilters,
    WalletEstimateIn,
    WalletEstimateOut,
)

if TYPE_CHECKING:
    # annotations only: offers (the catalog) is a layer above valuation
    from rapport.offers.models import ProductCategory

router = Router(tags=["value"])

RENAMED = {
    "account": "account_id",
    "category": "category_id",
    "customer": "account_id",
    "said_by": "said_by_id",
    "fact": "fact_id",
}


def writer(request: HttpRequest) -> User:
    """The caller, refused (403) at once unless their role may change customer data."""
    user = caller(request)
    access.ensure_can_write(user)
    return user


def _account(user: User, pk: int | None, field: str = "account_id") -> Account | None:
    return referenced(field, account_selectors.account_get, user=user, pk=pk)


def _category(pk: int | None) -> ProductCategory | None:
    return referenced("category_id", selectors.product_category_get, pk=pk)


def _named_account(user: User, pk: int) -> Account:
    return referenced("account_id", account_selectors.account_get, user=user, pk=pk)


def _named_category(pk: int) -> ProductCategory:
    return referenced("category_id", selectors.product_category_get, pk=pk)


# Fields a PATCH may empty by sending null; null elsewhere means "leave as it is".
NULLABLE = frozenset({"ends_on", "renewal_on"})


def _resolved(user: User, changes: dict[str, Any]) -> dict[str, Any]:
    """A PATCH body's ids turned into the rows they name (found through scoped selectors)."""
    for name, value in list(changes.items()):
        if value is None and name not in NULLABLE:
            del changes[name]
    if "account_id" in changes:
        changes["account"] = _named_account(user, changes.pop("account_id"))
    if "category_id" in changes:
        changes["category"] = _named_category(changes.pop("category_id"))
    return changes


# --- categories -------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut])
def category_list(request: HttpRequest) -> list[ProductCategory]:
    """Every product category: the columns of share of customer and whitespace."""
    caller(request)
    return selectors.product_category_list()


@router.post("/categories", response={201: CategoryOut})
def category_create(request: HttpRequest, payload: CategoryCreateIn) -> Status[ProductCategory]:
    """Add a product category (managers and admins)."""
    return Status(201, services.product_category_create(actor=caller(request), **payload.dict()))


# --- order lines (D1) -------------------------------------------------------------------


@router.get("/order-lines", response=OrderLinePageOut)
def order_line_list(request: HttpRequest, filters: Query[OrderLineFilters]) -> Page[OrderLine]:
    """Order lines you may see, newest first; an account's include its units' (subtree)."""
    user = caller(request)
    return selectors.order_line_list(
        user=user,
        account=_account(user, filters.account_id),
        subtree=filters.subtree,
        category=_category(filters.category_id),
        since=filters.since,
        until=filters.until,
        cursor=filters.cursor,
        limit=filters.limit,
    )


@router.post("/order-lines", response={201: OrderLineOut})
def order_line_create(request: HttpRequest, payload: OrderLineCreateIn) -> Status[OrderLine]:
    """Record one line of an order for an org unit."""
    user = writer(request)
    fields = payload.dict(exclude={"account_id", "category_id"})
    account = _named_account(user, payload.account_id)
    category = _named_category(payload.category_id)
    with fields_renamed(**RENAMED):
        line = services.order_line_create(actor=user, account=account, category=category, **fields)
    return Status(201, selectors.order_line_get(user=user, pk=line.pk))


@router.get("/order-lines/{line_id}", response=OrderLineOut)
def order_line_detail(request: HttpRequest, line_id: int, response: HttpResponse) -> OrderLine:
    """One order line; its ETag is the version to send back in If-Match."""
    line = selectors.order_line_get(user=caller(request), pk=line_id)
    etag(response, line)
    return line


@router.patch("/order-lines/{line_id}", response=OrderLineOut)
def order_line_update(
    request: HttpRequest, line_id: int, payload: OrderLineUpdateIn, response: HttpResponse
) -> OrderLine:
    """Correct an order line; only the fields sent change."""
    user = writer(request)
    line = selectors.order_line_get(user=user, pk=line_id)
    changes = _resolved(user, payload.dict(exclude_unset=True))
    with fields_renamed(**RENAMED):
        services.order_line_update(
            actor=user, line=line, expected_version=if_match(request), **changes
        )
    line = selectors.order_line_get(user=user, pk=line.pk)
    etag(response, line)
    return line


@router.delete("/order-lines/{line_id}", response={204: None})
def order_line_delete(request: HttpRequest, line_id: int) -> Status[None]:
    """Soft-delete an order line; it leaves every total."""
    user = writer(request)
    services.order_line_delete(actor=user, line=selectors.order_line_get(user=user, pk=line_id))
    return Status(204, None)


# --- subscriptions (D1) -----------------------------------------------------------------


@router.get("/subscriptions", response=SubscriptionPageOut)
def subscription_list(
    request: HttpRequest, filters: Query[SubscriptionFilters]
) -> Page[Subscription]:
    """Subscriptions and service contracts you may see, newest start first."""
    user = caller(request)
    return selectors.subscription_list(
        user=user,
        account=_account(user, filters.account_id),
        status=filters.status or "",
        category=_category(filters.category_id),
        cursor=filters.cursor,
        limit=filters.limit,
    )


@router.post("/subscriptions", response={201: SubscriptionOut})
def subscription_create(
    request: HttpRequest, payload: SubscriptionCreateIn
) -> Status[Subscription]:
    """Record a subscription or service contract; its status follows from its dates."""
    user = writer(request)
    fields = payload.dict(exclude={"account_id", "category_id"})
    account = _named_account(user, payload.account_id)
    category = _named_category(payload.category_id)
    with fields_renamed(**RENAMED):
        subscription = services.subscription_create(
            actor=user, account=account, category=category, **fields
        )
    return Status(201, selectors.subscription_get(user=user, pk=subscription.pk))


@router.get("/subscriptions/{subscription_id}", response=SubscriptionOut)
def subscription_detail(
    request: HttpRequest, subscription_id: int, response: HttpResponse
) -> Subscription:
    """One subscription; its ETag is the version to send back in If-Match."""
    subscription = selectors.subscription_get(user=caller(request), pk=subscription_id)
    etag(response, subscription)
    return subscription


@router.patch("/subscriptions/{subscription_id}", response=SubscriptionOut)
def subscription_update(
    request: HttpRequest,
    subscription_id: int,
    payload: SubscriptionUpdateIn,
    response: HttpResponse,
) -> Subscription:
    """Change a subscription's terms (renew it by moving ends_on and renewal_on)."""
    user = writer(request)
    subscription = selectors.subscription_get(user=user, pk=subscription_id)
    changes = _resolved(user, payload.dict(exclude_unset=True))
    with fields_renamed(**RENAMED):
        services.subscription_update(
            actor=user, subscription=subscription, expected_version=if_match(request), **changes
        )
    subscription = selectors.subscription_get(user=user, pk=subscription.pk)
    etag(response, subscription)
    return subscription


@router.post("/subscriptions/{subscription_id}/cancel", response=SubscriptionOut)
def subscription_cancel(
    request: HttpRequest, subscription_id: int, payload: SubscriptionCancelIn
) -> Subscription:
    """Cancel a subscription; it stays on record, cancelled."""
    user = writer(request)
    subscription = selectors.subscription_get(user=user, pk=subscription_id)
    services.subscription_cancel(
        actor=user, subscription=subscription, cancelled_on=payload.cancelled_on
    )
    return selectors.subscription_get(user=user, pk=subscription.pk)


# --- wallet estimates (D3) --------------------------------------------------------------


@router.get("/wallet-estimates", response=list[WalletEstimateOut])
def wallet_estimate_list(
    request: HttpRequest, filters: Query[WalletEstimateFilters]
) -> list[WalletEstimate]:
    """An account's wallet estimates (our staff): the current ones, or with history=true all."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=filters.account_id)
    return selectors.wallet_estimate_list(
        user=user, account=account, category=_category(filters.category_id), history=filters.history
    )


@router.post("/wallet-estimates", response={201: WalletEstimateOut})
def wallet_estimate_record(
    request: HttpRequest, payload: WalletEstimateIn
) -> Status[WalletEstimate]:
    """Record a wallet estimate; it supersedes the current one of its account, category, source."""
    user = writer(request)
    account = _named_account(user, payload.account_id)
    category = _named_category(payload.category_id)
    said_by = referenced(
        "said_by_id", account_selectors.contact_get, user=user, pk=payload.said_by_id
    )
    fact = referenced("fact_id", memory_selectors.fact_get, user=user, pk=payload.fact_id)
    with fields_renamed(**RENAMED):
        estimate = services.wallet_estimate_record(
            actor=user,
            account=account,
            category=category,
            annual_amount=payload.annual_amount,
            source=payload.source,
            note=payload.note,
            said_by=said_by,
            fact=fact,
        )
    return Status(201, selectors.wallet_estimate_get(user=user, pk=estimate.pk))


# --- judgement scores (D4) --------------------------------------------------------------


@router.get("/judgements", response=list[JudgementOut])
def judgement_list(request: HttpRequest, filters: Query[JudgementFilters]) -> list[JudgementScore]:
    """The managers' judgements of an organisation (our staff), the current one first."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=filters.account_id)
    if not filters.history:
        current = selectors.judgement_current(user=user, account=account)
        return [current] if current else []
    return selectors.judgement_history(user=user, account=account)


@router.post("/judgements", response={201: JudgementOut})
def judgement_record(request: HttpRequest, payload: JudgementIn) -> Status[JudgementScore]:
    """Judge an organisation's strategic value, 0 to 100, with the reason (managers and admins)."""
    user = caller(request)
    access.ensure(user, Capability.JUDGE_VALUE)
    organisation = selectors.organisation_of(_named_account(user, payload.account_id))
    with fields_renamed(**RENAMED):
        services.judgement_record(
            actor=user, customer=organisation, score=payload.score, reason=payload.reason
        )
    return Status(201, selectors.judgement_history(user=user, account=organisation, limit=1)[0])


# --- the model results: an account's value and its history, tiers, runs ---------------


@router.get("/accounts/{account_id}/value", response=AccountValueOut)
def account_value(request: HttpRequest, account_id: Id) -> dict[str, Any]:
    """What the organisation is worth and could be worth, its shares, tier and judgement (staff)."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=account_id)
    card = selectors.value_card(user=user, account=account)
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
    return selectors.value_history(user=user, account=account, limit=limit)


@router.get("/tiers", response=TierPageOut)
def tier_list(request: HttpRequest, filters: Query[TierFilters]) -> Page[TierAssignment]:
    """Every organisation's current tier and keep/grow/shed, by name (staff)."""
    return selectors.tier_list(
        user=caller(request),
        tier=filters.tier or "",
        recommendation=filters.recommendation or "",
        cursor=filters.cursor,
        limit=filters.limit,
    )


@router.post("/runs", response={202: ModelRunOut})
def run_request(request: HttpRequest, payload: ModelRunIn) -> Status[ModelRun]:
    """Recompute now (managers and admins): the queued run, to follow at GET /runs/{id}."""
    return Status(202, runners.run_request(actor=caller(request), kind=payload.kind))


@router.post("/runs/{run_id}/rerun", response={202: ModelRunOut})
def run_rerun(request: HttpRequest, run_id: Id) -> Status[ModelRun]:
    """Run a finished or failed run's analysis again (managers and admins): the new run."""
    user = caller(request)
    run = selectors.run_get(user=user, pk=run_id)
    return Status(202, runners.run_rerun(actor=user, run=run))


@router.get("/runs", response=list[ModelRunOut])
def run_list(request: HttpRequest, filters: Query[RunFilters]) -> list[ModelRun]:
    """The latest runs of the value, tier and segment analyses, newest first (staff)."""
    return selectors.run_list(user=caller(request), kind=filters.kind or "")


@router.get("/runs/{run_id}", response=ModelRunOut)
def run_get(request: HttpRequest, run_id: Id) -> ModelRun:
    """One run: its model, parameters and progress (staff)."""
    return selectors.run_get(user=caller(request), pk=run_id)
