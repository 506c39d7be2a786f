"""Reads of the value records, always scoped by core.access.

Order lines and subscriptions are the customer's own purchases: whoever sees the account
sees them (a portal user its own, a partner user those of the accounts it serves), but our
cost, discount and margin are internal (`Capability.SEE_COSTS`). Wallet estimates and judgement
scores are our view of the customer and only our staff read them (`SEE_INTERNAL_SIDE`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.core import access, runs
from rapport.core.access import Capability
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page, clamp_limit, decode_cursor, page_of
from rapport.valuation.models import (
    MONTHS_PER_PERIOD,
    WALLET_SOURCE_PRIORITY,
    AccountValue,
    BillingPeriod,
    CategoryShare,
    JudgementScore,
    ModelRun,
    OrderLine,
    Recommendation,
    RunKind,
    Subscription,
    SubscriptionStatus,
    Tier,
    TierAssignment,
    WalletEstimate,
    WalletSource,
    product_category_model,
)

if TYPE_CHECKING:
    # annotations only: offers (the catalog) is a layer above valuation
    from rapport.offers.models import ProductCategory

M = TypeVar("M", bound=Model)

SUBSCRIPTIONS_SHOWN = 200
HISTORY_SHOWN = 200


def organisation_of(account: Account) -> Account:
    """The organisation at the top of the account's tree (the account itself for one)."""
    if account.is_customer_root or account.customer is None:
        return account
    return account.customer


def _in_subtree(queryset: QuerySet[M], account: Account) -> QuerySet[M]:
    """Rows of the account and every unit below it: an organisation is one index range."""
    if account.is_customer_root:
        return queryset.filter(customer_id=account.pk)
    return queryset.filter(customer_id=account.customer_pk, account__path__startswith=account.path)


def _day_cursor(cursor: str) -> tuple[date, int]:
    raw_day, last_id = decode_cursor(cursor, 2)
    if not isinstance(last_id, int) or isinstance(last_id, bool) or not isinstance(raw_day, str):
        raise InvalidInput("The cursor is not valid.", field="cursor")
    try:
        return date.fromisoformat(raw_day), last_id
    except ValueError:
        raise InvalidInput("The cursor is not valid.", field="cursor") from None


def _newest_day_after(queryset: QuerySet[M], cursor: str | None, field: str) -> QuerySet[M]:
    """Rows after `cursor` in newest-first (`field` a date, id) order."""
    if not cursor:
        return queryset
    last_day, last_id = _day_cursor(cursor)
    return queryset.filter(**{f"{field}__lte": last_day}).filter(
        Q(**{f"{field}__lt": last_day}) | Q(id__lt=last_id)
    )


# --- categories -------------------------------------------------------------------------


def product_category_list() -> list[ProductCategory]:
    """Every product category, by name (they are not account data: everyone may read them)."""
    return list(product_category_model().objects.order_by("name", "id"))


def product_category_get(*, pk: int) -> ProductCategory:
    """One product category, or NotFound."""
    try:
        return product_category_model().objects.get(pk=pk)
    except (product_category_model().DoesNotExist, ValueError, TypeError):
        raise NotFound("product category not found") from None


# --- order lines ------------------------------------------------------------------------


def _order_lines(user: User) -> QuerySet[OrderLine]:
    return access.scope(user, OrderLine.live.all()).select_related("account", "category")


def order_line_get(*, user: User, pk: int) -> OrderLine:
    """One live order line the user may see."""
    return access.get_visible(_order_lines(user), user, pk=pk)


def order_line_list(
    *,
    user: User,
    account: Account | None = None,
    subtree: bool = True,
    category: ProductCategory | None = None,
    since: date | None = None,
    until: date | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[OrderLine]:
    """Order lines newest first: everyone's the user sees, or an account's rolled up its tree."""
    limit = clamp_limit(limit)
    queryset = _order_lines(user)
    if account is not None:
        queryset = (
            queryset.filter(account=account) if not subtree else _in_subtree(queryset, account)
        )
    if category is not None:
        queryset = queryset.filter(category=category)
    if since and until and since > until:
        raise InvalidInput("'since' is after 'until'.", field="since")
    if since is not None:
        queryset = queryset.filter(ordered_on__gte=since)
    if until is not None:
        queryset = queryset.filter(ordered_on__lte=until)
    queryset = _newest_day_after(queryset, cursor, "ordered_on")
    rows = list(queryset.order_by("-ordered_on", "-id")[: limit + 1])
    return page_of(rows, limit, lambda line: [line.ordered_on, line.id])


@dataclass
class Totals:
    """Revenue, cost and margin of an account's order lines over a period, rolled up."""

    since: date
    until: date
    lines: int = 0
    revenue: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_ratio(self) -> float | None:
        return float(self.margin / self.revenue) if self.revenue else None


def order_totals(
    *, user: User, account: Account, days: int = 365, today: date | None = None
) -> Totals:
    """The account's order lines of the last `days` days (its units' included), in one query."""
    until = today or timezone.localdate()
    since = until - timedelta(days=days - 1)
    queryset = _in_subtree(access.scope(user, OrderLine.live.all()), account).filter(
        ordered_on__gte=since, ordered_on__lte=until
    )
    figures = queryset.aggregate(
        lines=Count("id"), revenue=Sum("revenue"), cost=Sum("cost"), discount=Sum("discount")
    )
    return Totals(
        since=since,
        until=until,
        lines=figures["lines"] or 0,
        revenue=figures["revenue"] or Decimal(0),
        cost=figures["cost"] or Decimal(0),
        discount=figures["discount"] or Decimal(0),
    )


# --- subscriptions ----------------------------------------------------------------------


def _subscriptions(user: User) -> QuerySet[Subscription]:
    return access.scope(user, Subscription.live.all()).select_related("account", "category")


def subscription_get(*, user: User, pk: int) -> Subscription:
    """One live subscription the user may see."""
    return access.get_visible(_subscriptions(user), user, pk=pk)


def subscription_list(
    *,
    user: User,
    account: Account | None = None,
    status: str = "",
    category: ProductCategory | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Subscription]:
    """Subscriptions newest start first, an account's rolled up its tree, keyset-paginated."""
    limit = clamp_limit(limit)
    queryset = _subscriptions(user)
    if account is not None:
        queryset = _in_subtree(queryset, account)
    if status:
        if status not in SubscriptionStatus.values:
            raise InvalidInput(f"Unknown status {status!r}.", field="status")
        queryset = queryset.filter(status=status)
    if category is not None:
        queryset = queryset.filter(category=category)
    queryset = _newest_day_after(queryset, cursor, "started_on")
    rows = list(queryset.order_by("-started_on", "-id")[: limit + 1])
    return page_of(rows, limit, lambda s: [s.started_on, s.id])


_STATUS_ORDER = {
    SubscriptionStatus.ACTIVE: 0,
    SubscriptionStatus.PENDING: 1,
    SubscriptionStatus.EXPIRED: 2,
    SubscriptionStatus.CANCELLED: 3,
}


@dataclass
class Contracts:
    """An account's subscriptions for its page: running ones first, by next renewal."""

    rows: list[Subscription]
    total: int
    annual_recurring_revenue: Decimal
    annual_recurring_cost: Decimal
    next_renewal: Subscription | None

    @property
    def truncated(self) -> int:
        return max(0, self.total - len(self.rows))


def annualised(amount: Decimal, billing_period: str) -> Decimal:
    """A recurring amount per billing period, as a year's worth."""
    return amount * 12 / MONTHS_PER_PERIOD[BillingPeriod(billing_period)]


def account_contracts(
    *, user: User, account: Account, limit: int = SUBSCRIPTIONS_SHOWN
) -> Contracts:
    """The account's subscriptions (its units' included) and their yearly recurring revenue.

    Two queries: the figures over every running subscription, and the rows shown.
    """
    queryset = _in_subtree(_subscriptions(user), account)
    running = [SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING]
    figures = {
        (period, status): (count, revenue, cost)
        for period, status, count, revenue, cost in queryset.order_by()
        .values_list("billing_period", "status")
        .annotate(n=Count("id"), r=Sum("recurring_revenue"), c=Sum("recurring_cost"))
        .values_list("billing_period", "status", "n", "r", "c")
    }
    total = sum(count for count, _, _ in figures.values())
    arr = sum(
        (
            annualised(r, p)
            for (p, s), (_, r, _) in figures.items()
            if s == SubscriptionStatus.ACTIVE
        ),
        Decimal(0),
    )
    arc = sum(
        (
            annualised(c, p)
            for (p, s), (_, _, c) in figures.items()
            if s == SubscriptionStatus.ACTIVE
        ),
        Decimal(0),
    )
    rows: list[Subscription] = list(
        queryset.annotate(
            running=ExpressionWrapper(Q(status__in=running), output_field=BooleanField())
        ).order_by(F("running").desc(), F("renewal_on").asc(nulls_last=True), "-started_on", "-id")[
            :limit
        ]
    )
    rows.sort(key=lambda s: _STATUS_ORDER.get(SubscriptionStatus(s.status), 9))
    for row in rows:
        row.annual_revenue = annualised(row.recurring_revenue, row.billing_period)  # type: ignore[attr-defined]
    today = timezone.localdate()
    upcoming = [
        s
        for s in rows
        if s.status in running and s.renewal_on is not None and s.renewal_on >= today
    ]
    return Contracts(
        rows=rows,
        total=total,
        annual_recurring_revenue=arr,
        annual_recurring_cost=arc,
        next_renewal=min(upcoming, key=lambda s: s.renewal_on or today) if upcoming else None,
    )


# --- wallet estimates (D3) --------------------------------------------------------------


def _wallets(user: User) -> QuerySet[WalletEstimate]:
    access.ensure(user, Capability.SEE_INTERNAL_SIDE)
    return access.scope(user, WalletEstimate.objects.all()).select_related(
        "account", "category", "said_by", "fact", "fact__attribute", "estimated_by", "run"
    )


def wallet_estimate_get(*, user: User, pk: int) -> WalletEstimate:
    """One wallet estimate (our staff), current or superseded."""
    return access.get_visible(_wallets(user), user, pk=pk)


def wallet_estimate_list(
    *,
    user: User,
    account: Account,
    category: ProductCategory | None = None,
    history: bool = False,
    limit: int = HISTORY_SHOWN,
) -> list[WalletEstimate]:
    """The account's wallet estimates, newest first: the current ones, or (history) all."""
    queryset = _wallets(user).filter(account=account)
    if category is not None:
        queryset = queryset.filter(category=category)
    if not history:
        queryset = queryset.filter(superseded_at__isnull=True)
    return list(queryset.order_by("-estimated_at", "-id")[:limit])


@dataclass
class CategoryWallet:
    """One category's wallet for one account: the figure that counts, every source's, history."""

    category: ProductCategory
    current: list[WalletEstimate] = field(default_factory=list)
    history: list[WalletEstimate] = field(default_factory=list)

    @property
    def best(self) -> WalletEstimate | None:
        """The most direct current estimate: customer said, else rep estimated, else modelled."""
        ranked = sorted(
            self.current, key=lambda e: WALLET_SOURCE_PRIORITY.index(WalletSource(e.source))
        )
        return ranked[0] if ranked else None


def account_wallets(*, user: User, account: Account) -> list[CategoryWallet]:
    """The account's wallet per category (categories with any estimate), in one query."""
    estimates = wallet_estimate_list(user=user, account=account, history=True)
    wallets: dict[int, CategoryWallet] = {}
    for estimate in estimates:
        wallet = wallets.setdefault(estimate.category_id, CategoryWallet(estimate.category))
        (wallet.current if estimate.superseded_at is None else wallet.history).append(estimate)
    return sorted(wallets.values(), key=lambda w: w.category.name)


# --- judgement scores (D4) --------------------------------------------------------------


def _judgements(user: User) -> QuerySet[JudgementScore]:
    access.ensure(user, Capability.SEE_INTERNAL_SIDE)
    return access.scope(user, JudgementScore.objects.all(), via="customer").select_related(
        "author", "customer"
    )


def judgement_history(
    *, user: User, account: Account, limit: int = HISTORY_SHOWN
) -> list[JudgementScore]:
    """Every judgement of the account's organisation, newest (the current one) first."""
    return list(
        _judgements(user)
        .filter(customer_id=account.customer_pk)
        .order_by("-judged_at", "-id")[:limit]
    )


def judgement_current(*, user: User, account: Account) -> JudgementScore | None:
    """The organisation's current judgement, or None."""
    return (
        _judgements(user)
        .filter(customer_id=account.customer_pk, superseded_at__isnull=True)
        .first()
    )


# --- the model results: value, shares, tier, their history; runs ----------------------
# What a customer is worth to us is our staff's view, as wallets and judgements are: each
# read checks the user is internal, then scopes rows by core.access through the
# organisation (`customer`). Values live on the organisation; a unit gets its organisation's.

VALUE_HISTORY_SHOWN = 24
RUNS_SHOWN = 50


def _scoped(user: User, queryset: QuerySet) -> QuerySet:
    access.ensure(user, Capability.SEE_INTERNAL_SIDE)
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
        .order_by("-assigned_at", "-id")[:VALUE_HISTORY_SHOWN]
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
    limit = clamp_limit(limit, default=VALUE_HISTORY_SHOWN, maximum=200)
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
    access.ensure(user, Capability.SEE_INTERNAL_SIDE)
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
    access.ensure(user, Capability.SEE_INTERNAL_SIDE)
    runs.sweep()
    return access.get_visible(
        ModelRun.objects.select_related("run__started_by"), user, via="", pk=pk
    )


def current_tier_code(*, customer_id: int) -> str:
    """The organisation's current tier code ("most_valuable"), or "" before any tiers run."""
    tier = (
        TierAssignment.objects.filter(customer_id=customer_id, is_current=True)
        .values_list("tier", flat=True)
        .first()
    )
    return tier or ""


def order_line_ids(*, external_ids: list[str]) -> list[tuple[str, int]]:
    """(external id, id) of the order lines with those external ids (one query)."""
    return list(
        OrderLine.objects.filter(external_id__in=external_ids).values_list("external_id", "id")
    )


def purchase_history() -> Iterator[tuple[int, int, date, Decimal]]:
    """Every live order line's (organisation, category, day, quantity) of the categories
    bought again and again (`replenished`), streamed in bulk."""
    return (
        OrderLine.objects.filter(deleted_at__isnull=True, category__replenished=True)
        .values_list("customer_id", "category_id", "ordered_on", "quantity")
        .iterator(chunk_size=20_000)
    )


def current_value_subquery(outer: str = "customer") -> Subquery:
    """The organisation's current predicted value, to annotate rows of another app."""
    return Subquery(
        AccountValue.objects.filter(customer_id=OuterRef(outer), is_current=True).values(
            "predicted_value"
        )[:1]
    )
