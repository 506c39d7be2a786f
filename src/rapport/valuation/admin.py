"""The value records in Django's admin.

Categories are edited here; the records themselves only through the services (the pages,
the API, the importer), which set the customer organisation and keep history, so the admin
shows them read-only.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from rapport.valuation.models import (
    JudgementScore,
    ModelRun,
    OrderLine,
    Subscription,
    WalletEstimate,
)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Browse and search; every change goes through the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    list_display = ("ordered_on", "account", "product", "category", "revenue", "cost", "source")
    list_filter = ("category", "source")
    search_fields = ("product", "order_ref", "external_id", "account__name")
    date_hierarchy = "ordered_on"
    list_select_related = ("account", "category")
    raw_id_fields = ("customer", "account", "recorded_by")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("name", "account", "category", "status", "started_on", "renewal_on")
    list_filter = ("status", "billing_period", "category")
    search_fields = ("name", "external_id", "account__name")
    list_select_related = ("account", "category")
    raw_id_fields = ("customer", "account", "recorded_by")


@admin.register(WalletEstimate)
class WalletEstimateAdmin(ReadOnlyAdmin):
    list_display = (
        "account",
        "category",
        "annual_amount",
        "source",
        "estimated_at",
        "superseded_at",
    )
    list_filter = ("source", "category")
    search_fields = ("account__name",)
    list_select_related = ("account", "category")
    raw_id_fields = ("customer", "account", "said_by", "fact", "estimated_by", "run")


@admin.register(JudgementScore)
class JudgementScoreAdmin(ReadOnlyAdmin):
    list_display = ("customer", "score", "author", "judged_at", "superseded_at")
    search_fields = ("customer__name", "reason")
    list_select_related = ("customer", "author")
    raw_id_fields = ("customer", "author")


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "model_name",
        "model_version",
        "status",
        "processed",
        "total",
        "finished_at",
    )
    list_filter = ("kind", "run__status")
    list_select_related = ("run",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
