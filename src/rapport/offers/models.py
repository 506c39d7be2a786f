"""The modular catalog: product categories, products, their option groups and options.

Valuation's order lines, subscriptions, wallet estimates and shares point at
ProductCategory by the string "offers.ProductCategory" and never import this module:
offers is the higher layer. A product is sold by SKU at a list price (in the deployment's
currency, RAPPORT_CURRENCY) from `active_from` until `active_until`; its options sit in
groups that take min..max choices, and an option may require or exclude others or be
only for some categories of customer. `configurator.breaches` judges a configuration
from these rows (`Product.rules`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from rapport.accounts.models import BuyingRoleKind
from rapport.core.models import LiveManager, SoftDeletable, TimeStamped, Versioned
from rapport.offers import configurator

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}


class ProductCategory(TimeStamped):
    """A line of business a customer spends its wallet on (the whitespace matrix's columns)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    replenished = models.BooleanField(
        default=True,
        help_text="Bought again and again (consumables, spare parts): replenishment predicts "
        "each organisation's next order. Off for services bought once or by contract.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "product categories"

    def __str__(self) -> str:
        return self.name


class Product(TimeStamped, SoftDeletable, Versioned):
    """Something we sell, by SKU, at a list price per unit, configurable by its options."""

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="products")
    unit = models.CharField(
        max_length=30, default="piece", help_text="What one is: piece, licence, hour …"
    )
    list_price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal(0))])
    cost = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="Our cost per unit (ours alone: never shown to customers or partners).",
    )
    active_from = models.DateField(null=True, blank=True)
    active_until = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)

    objects = models.Manager()
    live = LiveManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_until__gte=F("active_from")),
                name="product_active_in_order",
            ),
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="product_price_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["category", "name"], name="ix_product_category")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def is_active(self, on: date) -> bool:
        """Whether the product may be sold on that day."""
        return (self.active_from is None or self.active_from <= on) and (
            self.active_until is None or on <= self.active_until
        )

    def rules(self) -> configurator.ProductRules:
        """Its groups and options as the configurator reads them (prefetch them first)."""
        groups = sorted(self.option_groups.all(), key=lambda g: (g.position, g.pk))
        return configurator.ProductRules(
            groups=tuple(
                configurator.Group(g.code, g.name, g.min_choices, g.max_choices) for g in groups
            ),
            options=tuple(
                configurator.Option(
                    o.code,
                    o.name,
                    g.code,
                    requires=tuple(o.requires),
                    excludes=tuple(o.excludes),
                    only_for=tuple(o.only_for),
                )
                for g in groups
                for o in sorted(g.options.all(), key=lambda o: (o.position, o.pk))
            ),
        )


class OptionGroup(models.Model):
    """A set of options a product's configuration takes min..max of (Memory: 1..1)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="option_groups")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    min_choices = models.PositiveSmallIntegerField(default=0)
    max_choices = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: any number."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="option_group_code_once"),
            models.CheckConstraint(
                condition=Q(max_choices__isnull=True) | Q(max_choices__gte=F("min_choices")),
                name="option_group_choices_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Option(models.Model):
    """One choice in a group, at a price added to the product's per unit, with its rules."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="options")
    group = models.ForeignKey(OptionGroup, on_delete=models.CASCADE, related_name="options")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    price = models.DecimalField(**MONEY, default=Decimal(0), help_text="Added to the unit price.")
    requires = models.JSONField(
        default=list, blank=True, help_text="Codes of the product's options it needs."
    )
    excludes = models.JSONField(
        default=list, blank=True, help_text="Codes of the product's options it rules out."
    )
    only_for = models.JSONField(
        default=list, blank=True, help_text="Customer categories it is for; empty: everyone."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="option_code_once"),
        ]

    def __str__(self) -> str:
        return self.name


# --- what each customer may buy, and at what price (C3) ---------------------------------------


class CatalogEntry(TimeStamped):
    """One product, or one whole category, on an account's own catalog.

    An organisation with no entries anywhere in its tree may buy the whole catalog; once
    a unit or one above it lists entries, that unit may buy only what they name.
    """

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="catalog_entries"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        ProductCategory, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "catalog entries"
        indexes = [models.Index(fields=["customer", "account"], name="ix_catalog_entry_unit")]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=True, category__isnull=False)
                | Q(product__isnull=False, category__isnull=True),
                name="catalog_entry_product_or_category",
            ),
            models.UniqueConstraint(
                fields=["account", "product"], name="catalog_entry_product_once"
            ),
            models.UniqueConstraint(
                fields=["account", "category"], name="catalog_entry_category_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.product or self.category)


class AgreementKind(models.TextChoices):
    FIXED = "fixed", "Fixed price per unit"
    DISCOUNT = "discount", "Discount off list (%)"


class PriceAgreement(TimeStamped, SoftDeletable, Versioned):
    """A customer's own price for one product, agreed for a unit and holding below it."""

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="price_agreements"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="agreements")
    kind = models.CharField(max_length=8, choices=AgreementKind.choices)
    value = models.DecimalField(
        **MONEY,
        validators=[MinValueValidator(Decimal(0))],
        help_text="The unit price (fixed) or the percent off list (discount).",
    )
    breaks = models.JSONField(
        default=list,
        blank=True,
        help_text='Volume breaks: [["50", "9.5"], ["200", "12"]] — from a quantity, another value.',
    )
    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = models.Manager()
    live = LiveManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_from", "-id"]
        indexes = [
            models.Index(fields=["customer", "product"], name="ix_agreement_customer"),
            models.Index(fields=["account", "product"], name="ix_agreement_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="agreement_valid_in_order",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="agreement_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.product_id} for {self.account_id}"

    def holds_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    def break_list(self) -> list[tuple[Decimal, Decimal]]:
        return [(Decimal(str(q)), Decimal(str(v))) for q, v in self.breaks]


# --- each customer's standard configurations (C2) ----------------------------------------------


class StandardConfiguration(TimeStamped, SoftDeletable, Versioned):
    """A named configuration a unit buys again and again ("executives in Division A get X").

    It belongs to a unit and holds for every unit below it unless one has its own of the
    same name; a buying role or a location narrows whom it is for. Each change is a new
    version in its history, with who made it and why; it may cite the facts of the
    learning memory it was built from, and is due for review when one is superseded.
    """

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="standard_configurations"
    )
    name = models.CharField(max_length=120)
    buying_role = models.CharField(
        max_length=16,
        blank=True,
        choices=BuyingRoleKind.choices,
        help_text="For people in this buying role only (empty: everyone in the unit).",
    )
    location = models.CharField(
        max_length=100, blank=True, help_text="For this site or town only (empty: everywhere)."
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="configurations")
    options = models.JSONField(default=list, blank=True, help_text="The option codes chosen.")
    quantity = models.DecimalField(
        max_digits=14, decimal_places=3, default=Decimal(1), validators=[MinValueValidator(0)]
    )
    notes = models.TextField(blank=True)
    sources: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "memory.Fact", through="ConfigurationSource", related_name="+", blank=True
    )

    objects = models.Manager()
    live = LiveManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["customer", "account"], name="ix_configuration_unit")]
        constraints = [
            models.UniqueConstraint(
                "account",
                Lower("name"),
                condition=Q(deleted_at__isnull=True),
                name="configuration_name_once_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="configuration_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ConfigurationSource(models.Model):
    """A fact of the learning memory a standard configuration was built from."""

    configuration = models.ForeignKey(
        StandardConfiguration, on_delete=models.CASCADE, related_name="citations"
    )
    fact = models.ForeignKey("memory.Fact", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["configuration", "fact"], name="configuration_cites_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.configuration_id} cites {self.fact_id}"


# --- quotes and orders --------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    QUOTE = "quote", "Quote"
    PLACED = "placed", "Order placed"
    DECLINED = "declined", "Quote declined"


class OrderOrigin(models.TextChoices):
    CATALOG = "catalog", "From the catalog"
    CONFIGURATION = "configuration", "From a standard configuration"
    REORDER = "reorder", "Reorder"
    REPLENISHMENT = "replenishment", "Replenishment"
    PORTAL = "portal", "The customer, via the portal"


class Order(TimeStamped, Versioned):
    """A quote, and the order it becomes once accepted, with its prices frozen on its items.

    Placing it writes one order line per item where the value models read them
    (valuation's OrderLine, `order_ref` its number): what a later agreement says never
    changes what was sold.
    """

    customer = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=8, choices=OrderStatus.choices, default=OrderStatus.QUOTE)
    origin = models.CharField(max_length=16, choices=OrderOrigin.choices)
    configuration = models.ForeignKey(
        StandardConfiguration,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    currency = models.CharField(max_length=3)
    quoted_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="The quote's last day.")
    placed_on = models.DateField(null=True, blank=True)
    total = models.DecimalField(**MONEY, default=Decimal(0))
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-quoted_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "-quoted_on"], name="ix_order_customer"),
            models.Index(fields=["account", "-quoted_on"], name="ix_order_unit"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderItem(models.Model):
    """One line of a quote or order: the product as configured, priced once and kept."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="+")
    options = models.JSONField(default=list, blank=True)
    option_names = models.JSONField(default=list, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    list_unit = models.DecimalField(**MONEY)
    unit_price = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    unit_cost = models.DecimalField(**MONEY, default=Decimal(0))
    agreement = models.ForeignKey(
        PriceAgreement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    explanation = models.JSONField(default=list, blank=True)
    order_line = models.OneToOneField(
        "valuation.OrderLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_item_position_once"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_item_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


# --- replenishment (C4) ---------------------------------------------------------------------------


class ReorderForecast(models.Model):
    """When an organisation will next buy from a category, from its own buying rhythm.

    One row per organisation and category per run of the replenishment model
    (analytics.replenishment); the latest run's rows carry `is_current`.
    """

    run = models.ForeignKey("core.Run", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(ProductCategory, on_delete=models.CASCADE, related_name="+")
    is_current = models.BooleanField(default=True)
    orders = models.PositiveIntegerField()
    last_ordered_on = models.DateField()
    typical_interval_days = models.FloatField()
    own_weight = models.FloatField(help_text="How much of the rhythm is its own history (0..1).")
    next_order_on = models.DateField()
    lapses_on = models.DateField(
        help_text="One more typical interval on: an order still missing then is a lapse, not a reorder."
    )
    typical_quantity = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["next_order_on", "id"]
        indexes = [
            models.Index(fields=["is_current", "next_order_on"], name="ix_reorder_due"),
            models.Index(fields=["customer", "is_current"], name="ix_reorder_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}/{self.category_id} next {self.next_order_on}"


# --- segment treatments (C7) --------------------------------------------------------------------


class TreatmentChannel(models.TextChoices):
    """The channels a treatment can name as the way to get in touch."""

    EMAIL = "email", "E-mail"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    WEB = "web", "Web"
    PORTAL = "portal", "Portal"
    EVENT = "event", "Event"


class SegmentTreatment(TimeStamped, Versioned):
    """A needs segment's default treatment of its members: what we offer them, how often
    we get in touch and on which channel.

    Segments are found again by every recompute; a treatment belongs to the segment's
    lineage (`NeedsSegment.lineage`), so it follows the segment that continues it. The
    offers are product ids in one list, so each version in the history shows the whole
    offer as it stood.
    """

    lineage = models.PositiveIntegerField(
        unique=True, help_text="The needs segment it is for, across recomputes."
    )
    segment = models.ForeignKey(
        "needs.NeedsSegment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The segment as it was when the treatment was last set.",
    )
    segment_name = models.CharField(max_length=200, help_text="Its name then.")
    offers = models.JSONField(default=list, blank=True, help_text="Product ids offered by default.")
    cadence_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Get in touch at least every this many days."
    )
    channel = models.CharField(max_length=16, blank=True, choices=TreatmentChannel.choices)
    note = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["lineage"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cadence_days__isnull=True) | Q(cadence_days__gte=1),
                name="treatment_cadence_positive",
            )
        ]

    def __str__(self) -> str:
        return f"treatment of {self.segment_name}"


class AccountTreatment(TimeStamped, Versioned):
    """One organisation's own treatment, overriding its segment's default part by part.

    An empty part (no cadence, no channel, `own_offers` off) keeps the segment's.
    """

    customer = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="treatment"
    )
    own_offers = models.BooleanField(
        default=False, help_text="Its offers replace the segment's (an empty list offers nothing)."
    )
    offers = models.JSONField(default=list, blank=True, help_text="Product ids offered to it.")
    cadence_days = models.PositiveSmallIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=16, blank=True, choices=TreatmentChannel.choices)
    reason = models.CharField(max_length=500, help_text="Why this account is treated otherwise.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cadence_days__isnull=True) | Q(cadence_days__gte=1),
                name="account_treatment_cadence_positive",
            )
        ]

    def __str__(self) -> str:
        return f"own treatment of {self.customer_id}"
