"""Pages of the learning memory."""

from django.urls import path

from rapport.memory import views

app_name = "memory"
urlpatterns: list = [
    # --- facts (X3) ---
    path("accounts/<int:pk>/profile/", views.account_profile, name="account_profile"),
    path("contacts/<int:pk>/profile/", views.contact_profile, name="contact_profile"),
    path(
        "accounts/<int:pk>/what-we-know/",
        views.what_we_know_account,
        name="account_what_we_know",
    ),
    path(
        "contacts/<int:pk>/what-we-know/",
        views.what_we_know_contact,
        name="contact_what_we_know",
    ),
    path("memory/facts/new/", views.fact_record, name="fact_record"),
    path("memory/facts/history/", views.fact_history, name="fact_history"),
    path("memory/contradictions/", views.contradiction_list, name="contradiction_list"),
    path(
        "memory/contradictions/<int:pk>/resolve/",
        views.contradiction_resolve,
        name="contradiction_resolve",
    ),
    path("memory/attributes/", views.attribute_list, name="attribute_list"),
    path("memory/value-field/", views.value_field_partial, name="value_field"),
    # --- questions (X4) ---
    path("memory/ask/", views.question_ask, name="question_ask"),
    path("memory/reasks/", views.reask_list, name="reask_list"),
    path("memory/questionnaires/new/", views.questionnaire_create, name="questionnaire_create"),
    path(
        "memory/questionnaires/<int:pk>/revoke/",
        views.questionnaire_revoke,
        name="questionnaire_revoke",
    ),
    path("q/<str:key>/", views.questionnaire, name="questionnaire"),
    # --- preferences and consent (X5) ---
    path("contacts/<int:pk>/preferences/", views.contact_preferences, name="contact_preferences"),
    path(
        "contacts/<int:pk>/preferences/card/",
        views.preferences_card,
        name="contact_preferences_card",
    ),
    path("contacts/<int:pk>/preferences/caps/", views.contact_cap_set, name="contact_cap_set"),
    path(
        "contacts/<int:pk>/preferences/caps/<int:cap_pk>/remove/",
        views.contact_cap_remove,
        name="contact_cap_remove",
    ),
    path(
        "contacts/<int:pk>/preferences/consents/",
        views.contact_consent_record,
        name="contact_consent_record",
    ),
    path(
        "contacts/permission-check/",
        views.contact_permission_check,
        name="contact_permission_check",
    ),
]

# Memory's pages that keep their place among the timeline's: logging an interaction (it
# checks consent and records what was learned) and the capture scorecard (it counts facts
# taught). interactions cannot import memory, so rapport/urls.py includes these under the
# `interactions` namespace: the addresses and names stay interactions:interaction_create
# and interactions:scorecard_capture.
timeline_urlpatterns = [
    path("interactions/new/", views.interaction_create, name="interaction_create"),
    path("scorecards/capture/", views.scorecard_capture, name="scorecard_capture"),
]
