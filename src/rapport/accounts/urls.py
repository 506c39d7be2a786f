"""Pages of Identify: accounts, contacts, end users, partners."""

from django.urls import path

from rapport.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/units/new/", views.account_add_unit, name="account_add_unit"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/move/", views.account_move, name="account_move"),
    path("accounts/<int:pk>/delete/", views.account_delete, name="account_delete"),
    path("accounts/<int:pk>/lifecycle/", views.account_lifecycle, name="account_lifecycle"),
    path("accounts/<int:pk>/history/", views.account_history, name="account_history"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/move/", views.contact_move, name="contact_move"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("contacts/<int:pk>/history/", views.contact_history, name="contact_history"),
    path("contacts/<int:pk>/identities/", views.identity_add, name="identity_add"),
    path(
        "contacts/<int:pk>/identities/<int:identity_pk>/remove/",
        views.identity_remove,
        name="identity_remove",
    ),
    path("contacts/<int:pk>/roles/", views.role_add, name="role_add"),
    path("contacts/<int:pk>/roles/<int:role_pk>/remove/", views.role_remove, name="role_remove"),
    path("end-users/", views.end_users, name="end_users"),
    path("partners/", views.partner_list, name="partner_list"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<int:pk>/", views.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", views.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/links/", views.partner_link_create, name="partner_link_create"),
    path(
        "partners/<int:pk>/links/<int:link_pk>/end/",
        views.partner_link_end,
        name="partner_link_end",
    ),
]
