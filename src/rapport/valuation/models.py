"""Differentiate by value: what each customer bought, is worth, could be worth, and its tier.

Transactions (order lines, subscriptions) are the record. Wallet estimates and judgement
scores are appended with their provenance and superseded, never edited. Model results
(values, shares, tiers) are stored per run of a model, stamped with its name, version and
run time; the latest run's rows carry `is_current`, older runs stay for history (tier
migration, value over time).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from rapport.core.models import LiveManager, SoftDeletable, TimeStamped, Versioned

if TYPE_CHECKING:
    # for annotations only: offers (the catalog) is a layer above valuation
    from rapport.offers.models import ProductCategory

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}


def product_category_model() -> type[ProductCategory]:
    """offers.ProductCategory, looked up rather than imported (offers is above valuation)."""
    return cast("type[ProductCategory]", apps.get_model("offers", "ProductCategory"))


class TransactionSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    IMPORT = "import", "Imported file"
    ERP = "erp", "ERP feed"
    PORTAL = "portal", "The customer, via the portal"
    ORDER = "order", "An order placed in Rapport"
    DEMO = "demo", "Demo data"


class OrderLine(TimeStamped, SoftDeletable, Versioned):
    """One line of one order: what an org unit bought, when, for how much, at what cost."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="order_lines"
    )
    ordered_on = models.DateField()
    order_ref = models.CharField(max_length=64, blank=True, help_text="The order's number.")
    external_id = models.CharField(
        max_length=128,
        blank=True,
        help_text="The line's id in the source system; re-imports match on it.",
    )
    product = models.CharField(max_length=200)
    category = models.ForeignKey(
        "offers.ProductCategory", on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal(1))
    revenue = models.DecimalField(**MONEY, help_text="Net revenue after discount.")
    cost = models.DecimalField(**MONEY, default=Decimal(0), help_text="Cost of goods sold.")
    discount = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Discount given on list price (a cost to serve)."
    )
    source = models.CharField(
        max_length=8, choices=TransactionSource.choices, default=TransactionSource.MANUAL
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = models.Manager()
    live = LiveManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-ordered_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "ordered_on"], name="ix_orderline_customer"),
            models.Index(fields=["account", "ordered_on"], name="ix_orderline_unit"),
            models.Index(fields=["category", "customer"], name="ix_orderline_category"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="orderline_external_id_unique",
            ),
            models.CheckConstraint(name="orderline_quantity_positive", condition=Q(quantity__gt=0)),
            models.CheckConstraint(name="orderline_cost_not_negative", condition=Q(cost__gte=0)),
            models.CheckConstraint(
                name="orderline_discount_not_negative", condition=Q(discount__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ordered_on} {self.product} {self.revenue}"

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


class BillingPeriod(models.TextChoices):
    MONTH = "month", "Monthly"
    QUARTER = "quarter", "Quarterly"
    YEAR = "year", "Yearly"


MONTHS_PER_PERIOD = {BillingPeriod.MONTH: 1, BillingPeriod.QUARTER: 3, BillingPeriod.YEAR: 12}


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING = "pending", "Not started yet"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class Subscription(TimeStamped, SoftDeletable, Versioned):
    """A subscription or service contract: recurring revenue from start to end, renewed or not."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="subscriptions"
    )
    name = models.CharField(max_length=200, help_text="What is subscribed to, or the contract.")
    category = models.ForeignKey(
        "offers.ProductCategory", on_delete=models.PROTECT, related_name="subscriptions"
    )
    external_id = models.CharField(max_length=128, blank=True)
    started_on = models.DateField()
    ends_on = models.DateField(
        null=True, blank=True, help_text="End of the current term; empty for open-ended."
    )
    renewal_on = models.DateField(null=True, blank=True, help_text="Next renewal decision.")
    billing_period = models.CharField(
        max_length=8, choices=BillingPeriod.choices, default=BillingPeriod.MONTH
    )
    recurring_revenue = models.DecimalField(**MONEY, help_text="Revenue per billing period.")
    recurring_cost = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Cost to deliver per billing period."
    )
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    cancelled_on = models.DateField(null=True, blank=True)
    source = models.CharField(
        max_length=8, choices=TransactionSource.choices, default=TransactionSource.MANUAL
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = models.Manager()
    live = LiveManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="ix_subscription_customer"),
            models.Index(fields=["account", "started_on"], name="ix_subscription_unit"),
            models.Index(fields=["renewal_on"], name="ix_subscription_renewal"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="subscription_external_id_unique",
            ),
            models.CheckConstraint(
                name="subscription_ends_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("started_on")),
            ),
            models.CheckConstraint(
                name="subscription_revenue_not_negative", condition=Q(recurring_revenue__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def monthly_revenue(self) -> Decimal:
        return self.recurring_revenue / MONTHS_PER_PERIOD[BillingPeriod(self.billing_period)]


class WalletSource(models.TextChoices):
    CUSTOMER_SAID = "customer_said", "Customer said"
    REP_ESTIMATED = "rep_estimated", "Rep estimated"
    MODELLED = "modelled", "Modelled from similar accounts"


# When several current estimates exist for one account and category, the most direct wins.
WALLET_SOURCE_PRIORITY = [
    WalletSource.CUSTOMER_SAID,
    WalletSource.REP_ESTIMATED,
    WalletSource.MODELLED,
]


class WalletEstimate(TimeStamped):
    """What an organisation spends a year in one category, with us and everyone else.

    One current estimate per organisation, category and source; a new one supersedes the
    old, which stays as history.
    """

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="wallet_estimates"
    )
    category = models.ForeignKey(
        "offers.ProductCategory", on_delete=models.PROTECT, related_name="wallet_estimates"
    )
    annual_amount = models.DecimalField(**MONEY)
    source = models.CharField(max_length=16, choices=WalletSource.choices)
    note = models.CharField(max_length=500, blank=True, help_text="How the figure was arrived at.")
    said_by = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The customer's person who told us, for a customer-said figure.",
    )
    fact = models.ForeignKey(
        "memory.Fact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    estimated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(
        "valuation.ModelRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    estimated_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-estimated_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "category"], name="ix_wallet_customer"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "category", "source"],
                condition=Q(superseded_at__isnull=True),
                name="wallet_one_current_per_source",
            ),
            models.CheckConstraint(
                name="wallet_amount_not_negative", condition=Q(annual_amount__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.category_id}: {self.annual_amount} ({self.source})"


class JudgementScore(TimeStamped):
    """A manager's judgement of an organisation's strategic value, with who, when and why.

    It sits beside the model's figure and never replaces it; a new judgement supersedes the
    old one, which stays.
    """

    customer = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="judgement_scores"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="0 (no strategic value beyond the numbers) to 100 (must win at any cost).",
    )
    reason = models.CharField(max_length=1000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    judged_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-judged_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(superseded_at__isnull=True),
                name="judgement_one_current",
            ),
            models.CheckConstraint(
                name="judgement_score_0_to_100", condition=Q(score__gte=0) & Q(score__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}"


class RunKind(models.TextChoices):
    VALUE = "value", "Value and share of customer"
    TIERS = "tiers", "Tiers"
    SEGMENTS = "segments", "Needs segments"


class ModelRun(TimeStamped):
    """One run of one analysis (value, tiers, segments): its rows point here, its bookkeeping
    (status, progress, timings, model, parameters) is the core run it details."""

    run = models.OneToOneField("core.Run", on_delete=models.CASCADE, related_name="model_run")
    kind = models.CharField(max_length=10, choices=RunKind.choices)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.model_name} v{self.model_version} ({self.status})"

    # The core run's bookkeeping, read as the pages and the API always read it here.
    status = property(lambda self: self.run.status)
    total = property(lambda self: self.run.total)
    processed = property(lambda self: self.run.done)
    error = property(lambda self: self.run.error)
    triggered_by = property(lambda self: self.run.started_by)
    started_at = property(lambda self: self.run.started_at)
    finished_at = property(lambda self: self.run.finished_at)
    model_name = property(lambda self: self.run.model_name)
    model_version = property(lambda self: self.run.model_version)
    parameters = property(lambda self: self.run.parameters)

    def get_status_display(self) -> str:
        return self.run.get_status_display()


class AccountValue(models.Model):
    """What one organisation is worth and could be worth, as one run of the value model saw it."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="values")
    customer = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="values"
    )
    computed_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)
    revenue_12m = models.DecimalField(**MONEY, default=Decimal(0))
    margin_12m = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Revenue minus cost of goods, last 12 months."
    )
    cost_to_serve_12m = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Interaction time by channel plus discounts."
    )
    net_margin_12m = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Margin after cost to serve."
    )
    lifetime_margin = models.DecimalField(**MONEY, default=Decimal(0))
    recurring_revenue_12m = models.DecimalField(**MONEY, default=Decimal(0))
    expected_purchases = models.FloatField(default=0, help_text="Over the horizon (BG/NBD).")
    probability_alive = models.FloatField(null=True, blank=True)
    expected_order_margin = models.DecimalField(
        **MONEY,
        default=Decimal(0),
        help_text="Per purchase (Gamma-Gamma spend times margin ratio).",
    )
    predicted_order_value = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Discounted margin of future purchases."
    )
    predicted_contract_value = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Discounted recurring margin (sBG retention)."
    )
    predicted_value = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Predicted future value over the horizon."
    )
    wallet = models.DecimalField(**MONEY, null=True, blank=True)
    share_of_customer = models.FloatField(null=True, blank=True)
    unrealised_wallet = models.DecimalField(**MONEY, default=Decimal(0))
    growth_potential = models.DecimalField(**MONEY, default=Decimal(0))
    strategic_value = models.DecimalField(
        **MONEY,
        default=Decimal(0),
        help_text="Model's figure: unrealised wallet + growth potential.",
    )

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-computed_at"], name="ix_value_customer"),
            models.Index(fields=["is_current", "-predicted_value"], name="ix_value_current"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="value_one_per_run"),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_current=True), name="value_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"value of {self.customer_id} ({self.computed_at:%Y-%m-%d})"


class CategoryShare(models.Model):
    """Our revenue, the wallet and the share for one organisation and category, per run."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="shares")
    customer = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="category_shares"
    )
    category = models.ForeignKey(
        "offers.ProductCategory", on_delete=models.CASCADE, related_name="+"
    )
    is_current = models.BooleanField(default=True)
    revenue_12m = models.DecimalField(**MONEY, default=Decimal(0))
    wallet = models.DecimalField(**MONEY, null=True, blank=True)
    wallet_source = models.CharField(max_length=16, choices=WalletSource.choices, blank=True)
    share = models.FloatField(null=True, blank=True)
    is_whitespace = models.BooleanField(
        default=False, help_text="They spend in this category, and not with us."
    )

    class Meta:
        indexes = [
            models.Index(fields=["customer", "is_current"], name="ix_share_customer"),
            models.Index(fields=["category", "is_current"], name="ix_share_category"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "customer", "category"], name="share_one_per_run"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}/{self.category_id}: {self.share}"


class Tier(models.TextChoices):
    MOST_VALUABLE = "most_valuable", "Most valuable"
    MOST_GROWABLE = "most_growable", "Most growable"
    MAINTAIN = "maintain", "Maintain"
    BELOW_ZERO = "below_zero", "Below zero"


class Recommendation(models.TextChoices):
    KEEP = "keep", "Keep"
    GROW = "grow", "Grow"
    SHED = "shed", "Shed or serve at lower cost"


class TierAssignment(models.Model):
    """One organisation's tier and keep/grow/shed recommendation in one run, with reasons."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="tiers")
    customer = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="tier_assignments"
    )
    assigned_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)
    tier = models.CharField(max_length=16, choices=Tier.choices)
    previous_tier = models.CharField(max_length=16, choices=Tier.choices, blank=True)
    recommendation = models.CharField(max_length=8, choices=Recommendation.choices)
    reasons = models.JSONField(default=list, help_text="Sentences saying why.")
    max_retention_spend = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="The most worth spending a year to keep them."
    )

    class Meta:
        ordering = ["-assigned_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-assigned_at"], name="ix_tier_customer"),
            models.Index(fields=["is_current", "tier"], name="ix_tier_current"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="tier_one_per_run"),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_current=True), name="tier_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tier}"
