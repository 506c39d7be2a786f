from django.urls import path

from rapport.offers import views

app_name = "offers"

urlpatterns = [
    path("catalog/", views.product_list, name="product_list"),
    path("catalog/new/", views.product_create, name="product_create"),
    path("catalog/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("catalog/<int:pk>/", views.product_detail, name="product_detail"),
    path("catalog/<int:pk>/check/", views.product_check, name="product_check"),
]
