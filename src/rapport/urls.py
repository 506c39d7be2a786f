"""Top-level URL map: the web UI, the versioned API and the admin."""

from django.contrib import admin
from django.urls import include, path

from rapport.api import api
from rapport.interactions import urls as interaction_urls
from rapport.memory import urls as memory_urls

# The admin is Rapport's too: its tab says so (its favicon is /favicon.ico, web's route).
admin.site.site_title = "Rapport"
admin.site.site_header = "Rapport administration"
admin.site.index_title = "Records"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("rapport.accounts.urls")),
    # The timeline's pages and memory's pages among them (see memory.urls.timeline_urlpatterns).
    path(
        "",
        include((interaction_urls.urlpatterns + memory_urls.timeline_urlpatterns, "interactions")),
    ),
    path("", include("rapport.memory.urls")),
    path("", include("rapport.transfer.urls")),
    path("", include("rapport.valuation.urls")),
    path("", include("rapport.needs.urls")),
    path("", include("rapport.offers.urls")),
    path("", include("rapport.resolution.urls")),
    path("", include("rapport.portal.urls")),
    path("", include("rapport.web.urls")),
]
