"""URL map of the web UI: each app's pages plus sign-in, home, search and settings."""

from django.urls import path

from rapport.web import views

app_name = "web"
urlpatterns = [
    # Browsers ask for /favicon.ico on pages that name none (the API docs, files).
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    # Password reset by e-mail, for staff and portal users alike (Django's views and tokens)
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("settings/tokens/", views.token_list, name="token_list"),
    path("settings/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("settings/lockouts/", views.lockout_list, name="lockout_list"),
    path("settings/lockouts/unlock/", views.lockout_clear, name="lockout_clear"),
]
