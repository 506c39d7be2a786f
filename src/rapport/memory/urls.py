"""Pages of the learning memory."""

from django.urls import path  # noqa: F401

from rapport.memory import views  # noqa: F401

app_name = "memory"
urlpatterns: list = [
    # --- facts (X3) ---
    # --- questions (X4) ---
    # --- preferences and consent (X5) ---
]
