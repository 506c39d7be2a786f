"""Pages of identity resolution."""

from django.urls import path

from rapport.resolution import views

app_name = "resolution"
urlpatterns = [
    path("duplicates/", views.queue, name="queue"),
    path("duplicates/runs/", views.run_start, name="run_start"),
    path("duplicates/runs/<int:pk>/", views.run_progress, name="run_progress"),
    path("duplicates/pairs/<int:pk>/", views.pair_detail, name="pair"),
    path("duplicates/compare/", views.compare, name="compare"),
    path("duplicates/merges/", views.merge_history, name="merges"),
    path("duplicates/merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
    path("duplicates/settings/", views.settings_page, name="settings"),
    path("duplicates/check/contacts/", views.contact_check, name="contact_check"),
    path("duplicates/check/accounts/", views.account_check, name="account_check"),
    path("accounts/<int:pk>/merge/", views.account_merge_into, name="account_merge_into"),
]
