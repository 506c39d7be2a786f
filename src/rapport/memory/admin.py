"""The catalogue in Django's admin, for admins who prefer a form to the API."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from rapport.memory.models import Attribute


@admin.register(Attribute)
class AttributeAdmin(SimpleHistoryAdmin):
    list_display = ("label", "key", "kind", "level", "value_type", "importance", "stale_after_days")
    list_filter = ("kind", "level", "value_type")
    search_fields = ("label", "key", "question")
