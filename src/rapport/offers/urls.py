from django.urls import path

from rapport.offers import account_views, treatment_views, views

app_name = "offers"

urlpatterns = [
    path("catalog/", views.product_list, name="product_list"),
    path("catalog/new/", views.product_create, name="product_create"),
    path("catalog/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("catalog/<int:pk>/", views.product_detail, name="product_detail"),
    path("catalog/<int:pk>/check/", views.product_check, name="product_check"),
    path("accounts/<int:pk>/offers/", account_views.account_offers, name="account_offers"),
    path("accounts/<int:pk>/offers/in-use/", account_views.account_in_use, name="account_in_use"),
    path(
        "catalog/<int:pk>/configurations/new/",
        account_views.configuration_create,
        name="configuration_create",
    ),
    path(
        "accounts/<int:pk>/agreements/new/", account_views.agreement_create, name="agreement_create"
    ),
    path(
        "accounts/<int:pk>/catalog/add/", account_views.catalog_entry_add, name="catalog_entry_add"
    ),
    path(
        "catalog-entries/<int:pk>/remove/",
        account_views.catalog_entry_remove,
        name="catalog_entry_remove",
    ),
    path("agreements/<int:pk>/end/", account_views.agreement_end, name="agreement_end"),
    path(
        "configurations/<int:pk>/", account_views.configuration_detail, name="configuration_detail"
    ),
    path(
        "configurations/<int:pk>/edit/", account_views.configuration_edit, name="configuration_edit"
    ),
    path(
        "configurations/<int:pk>/reorder/",
        account_views.configuration_reorder,
        name="configuration_reorder",
    ),
    path(
        "configurations/<int:pk>/retire/",
        account_views.configuration_retire,
        name="configuration_retire",
    ),
    path("replenishment/", account_views.replenishment_list, name="replenishment_list"),
    path("replenishment/run/", account_views.replenishment_run, name="replenishment_run"),
    path(
        "replenishment/<int:pk>/remind/",
        account_views.replenishment_remind,
        name="replenishment_remind",
    ),
    path("orders/<int:pk>/", account_views.order_detail, name="order_detail"),
    path(
        "orders/<int:pk>/accept/",
        account_views.order_decide,
        {"decision": "accept"},
        name="order_accept",
    ),
    path(
        "orders/<int:pk>/decline/",
        account_views.order_decide,
        {"decision": "decline"},
        name="order_decline",
    ),
]

urlpatterns += [
    path("treatments/", treatment_views.treatment_list, name="treatment_list"),
    path(
        "treatments/segments/<int:pk>/",
        treatment_views.segment_treatment_edit,
        name="treatment_segment_edit",
    ),
    path(
        "treatments/<int:pk>/move/",
        treatment_views.segment_treatment_move,
        name="treatment_move",
    ),
    path(
        "treatments/<int:pk>/remove/",
        treatment_views.segment_treatment_remove,
        name="treatment_remove",
    ),
    path(
        "accounts/<int:pk>/treatment/", treatment_views.account_treatment, name="account_treatment"
    ),
    path(
        "accounts/<int:pk>/treatment/clear/",
        treatment_views.account_treatment_clear,
        name="account_treatment_clear",
    ),
]
