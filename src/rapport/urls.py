"""Top-level URL map: the web UI, the versioned API and the admin."""

from django.contrib import admin
from django.urls import include, path

from rapport.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("rapport.accounts.urls")),
    path("", include("rapport.interactions.urls")),
    path("", include("rapport.memory.urls")),
    path("", include("rapport.transfer.urls")),
    path("", include("rapport.valuation.urls")),
    path("", include("rapport.needs.urls")),
    path("", include("rapport.resolution.urls")),
    path("", include("rapport.web.urls")),
]
