"""Pages of import and the export downloads."""

from django.urls import path

from rapport.transfer import views

app_name = "transfer"
urlpatterns = [
    path("import/", views.import_start, name="import_start"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/check/", views.import_check, name="import_check"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/errors.csv", views.import_errors, name="import_errors"),
    path("export/<slug:name>/", views.export_list, name="export_list"),
]
