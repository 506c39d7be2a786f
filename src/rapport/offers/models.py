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

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from rapport.core.models import LiveManager, SoftDeletable, TimeStamped, Versioned
from rapport.offers import configurator

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}


class ProductCategory(TimeStamped):
    """A line of business a customer spends its wallet on (the whitespace matrix's columns)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)

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
