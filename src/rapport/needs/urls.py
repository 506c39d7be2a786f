"""Pages of needs and the Differentiate page."""

from django.urls import path

from rapport.needs import views

app_name = "needs"
urlpatterns: list = [
    path("differentiate/", views.differentiate, name="differentiate"),
    path("differentiate/segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("accounts/<int:pk>/needs/", views.account_needs, name="account_needs"),
    path("contacts/<int:pk>/needs/", views.contact_needs, name="contact_needs"),
]
