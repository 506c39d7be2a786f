"""The modular catalog: for now its first model, the product categories.

Valuation's order lines, subscriptions, wallet estimates and shares point here by the
string "offers.ProductCategory" and never import this module: offers is the higher layer
(standard configurations, price agreements and next best action will build on it).
"""

from __future__ import annotations

from django.db import models

from rapport.core.models import TimeStamped


class ProductCategory(TimeStamped):
    """A line of business a customer spends its wallet on (the whitespace matrix's columns)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "product categories"

    def __str__(self) -> str:
        return self.name
