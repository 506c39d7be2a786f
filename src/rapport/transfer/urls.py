"""Pages of import (records, e-mail and calendar files, the review queue) and the export downloads."""

from django.urls import path

from rapport.transfer import ingestion_views, views

app_name = "transfer"
urlpatterns = [
    path("import/", views.import_start, name="import_start"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/check/", views.import_check, name="import_check"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/errors.csv", views.import_errors, name="import_errors"),
    path("export/<slug:name>/", views.export_list, name="export_list"),
    path("interactions/import/", ingestion_views.ingestion_new, name="ingestion_new"),
    path(
        "interactions/import/<int:pk>/", ingestion_views.ingestion_detail, name="ingestion_detail"
    ),
    path(
        "interactions/import/<int:pk>/progress/",
        ingestion_views.ingestion_progress,
        name="ingestion_progress",
    ),
    path("interactions/import/review/", ingestion_views.ingestion_review, name="ingestion_review"),
    path(
        "interactions/import/review/<int:pk>/attach/",
        ingestion_views.ingestion_attach,
        name="ingestion_attach",
    ),
    path(
        "interactions/import/review/<int:pk>/dismiss/",
        ingestion_views.ingestion_dismiss,
        name="ingestion_dismiss",
    ),
]
