"""Django admin of identity resolution: runs, pairs, merges (read-only) and the settings row."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rapport.resolution.models import DedupeRun, DuplicatePair, MergeRecord, ResolutionSettings


@admin.register(DedupeRun)
class DedupeRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "records", "pairs_found", "pairs_new", "created_at")
    list_filter = ("kind", "run__status")
    list_select_related = ("run",)
    readonly_fields = [f.name for f in DedupeRun._meta.fields]


@admin.register(DuplicatePair)
class DuplicatePairAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "left_id", "right_id", "probability", "status", "source")
    list_filter = ("kind", "status", "source")
    raw_id_fields = (
        "left_contact",
        "right_contact",
        "left_account",
        "right_account",
        "left_unit",
        "right_unit",
        "run",
    )


@admin.register(MergeRecord)
class MergeRecordAdmin(admin.ModelAdmin):
    """Merges are undone from the Duplicates pages, never edited here."""

    list_display = ("id", "kind", "merged_at", "merged_by", "automatic", "undone_at")
    list_filter = ("kind", "automatic")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.register(ResolutionSettings)
