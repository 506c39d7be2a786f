"""Pages of the timeline."""

from django.urls import path

from rapport.interactions import views

app_name = "interactions"
urlpatterns = [
    path("interactions/", views.interaction_list, name="interaction_list"),
    path("interactions/timeline/", views.timeline_partial, name="timeline_partial"),
    path("interactions/new/", views.interaction_create, name="interaction_create"),
    path("interactions/<int:pk>/", views.interaction_detail, name="interaction_detail"),
    path("interactions/<int:pk>/edit/", views.interaction_edit, name="interaction_edit"),
    path("interactions/<int:pk>/delete/", views.interaction_delete, name="interaction_delete"),
    path("interactions/<int:pk>/history/", views.interaction_history, name="interaction_history"),
]
