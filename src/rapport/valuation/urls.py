"""Pages of the value records and the account's Value tab."""

from django.urls import path

from rapport.valuation import views

app_name = "valuation"
urlpatterns: list = [
    path("accounts/<int:pk>/orders/", views.account_orders, name="account_orders"),
    path("accounts/<int:pk>/value/", views.account_value, name="account_value"),
    path("accounts/<int:pk>/orders/new/", views.order_line_create, name="order_line_create"),
    path(
        "accounts/<int:pk>/subscriptions/new/",
        views.subscription_create,
        name="subscription_create",
    ),
    path("order-lines/<int:pk>/delete/", views.order_line_delete, name="order_line_delete"),
    path("subscriptions/<int:pk>/cancel/", views.subscription_cancel, name="subscription_cancel"),
    # htmx partials the Value tab embeds (GET: the form; POST: record it)
    path(
        "accounts/<int:pk>/wallet-estimates/",
        views.wallet_estimate_record,
        name="wallet_estimate_record",
    ),
    path("accounts/<int:pk>/judgements/", views.judgement_record, name="judgement_record"),
]
