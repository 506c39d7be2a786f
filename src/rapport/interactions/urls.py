"""Pages of the timeline (rapport/urls.py adds memory's log page and scorecard to them)."""

from django.urls import path

from rapport.interactions import views

app_name = "interactions"
urlpatterns = [
    path("interactions/", views.interaction_list, name="interaction_list"),
    path("interactions/timeline/", views.timeline_partial, name="timeline_partial"),
    path("interactions/<int:pk>/", views.interaction_detail, name="interaction_detail"),
    path("interactions/<int:pk>/edit/", views.interaction_edit, name="interaction_edit"),
    path("interactions/<int:pk>/delete/", views.interaction_delete, name="interaction_delete"),
    path("interactions/<int:pk>/history/", views.interaction_history, name="interaction_history"),
    path("threads/<int:pk>/", views.thread_detail, name="thread_detail"),
    path("threads/<int:pk>/close/", views.thread_close, name="thread_close"),
    path("threads/<int:pk>/reopen/", views.thread_reopen, name="thread_reopen"),
    path("commitments/<int:pk>/complete/", views.commitment_complete, name="commitment_complete"),
    path("commitments/<int:pk>/cancel/", views.commitment_cancel, name="commitment_cancel"),
    path("commitments/mine/", views.commitment_mine, name="commitment_mine"),
    path("accounts/<int:pk>/left-off/", views.account_left_off, name="account_left_off"),
    path("alerts/quiet/", views.alerts_quiet, name="alerts_quiet"),
    path("alerts/quiet/recompute/", views.alerts_quiet_recompute, name="alerts_quiet_recompute"),
]
