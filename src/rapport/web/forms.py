"""Forms of the web pages that belong to no domain app: search and personal settings."""

from __future__ import annotations

from django import forms

MIN_QUERY_LENGTH = 2


class SearchForm(forms.Form):
    """The search box; queries shorter than two characters only earn a hint."""

    q = forms.CharField(required=False, max_length=100, strip=True, label="Search")
    section = forms.ChoiceField(
        required=False, choices=[("", "all"), ("interactions", "interactions")]
    )
    cursor = forms.CharField(required=False, max_length=200)

    @property
    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""

    @property
    def long_enough(self) -> bool:
        return len(self.query) >= MIN_QUERY_LENGTH


class TokenCreateForm(forms.Form):
    """Name a new API token (what it is for: "nightly ERP sync")."""

    name = forms.CharField(max_length=100, label="Token name")


class LockoutClearForm(forms.Form):
    """Which sign-in lock to lift: an address, and the username if only that pair."""

    address = forms.GenericIPAddressField(label="Address")
    username = forms.CharField(required=False, max_length=255, label="User")
