"""Forms of identity resolution: what the live check and the queue read from a query string."""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.accounts.forms import read_query
from rapport.resolution.models import PairStatus, RecordKind


def read(form: forms.Form) -> dict[str, Any]:
    """The cleaned parameters; the live check forgives a bad one (it is typing in progress)."""
    if isinstance(form, QueueFilterForm):
        return read_query(form)
    form.is_valid()
    return {
        name: form.cleaned_data.get(name, None if isinstance(field, forms.IntegerField) else "")
        for name, field in form.fields.items()
    }


class CheckContactForm(forms.Form):
    first_name = forms.CharField(required=False, max_length=100)
    last_name = forms.CharField(required=False, max_length=100)
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=50)
    account = forms.IntegerField(required=False, min_value=1)
    exclude = forms.IntegerField(required=False, min_value=1)


class CheckAccountForm(forms.Form):
    name = forms.CharField(required=False, max_length=200)
    website = forms.CharField(required=False, max_length=200)
    city = forms.CharField(required=False, max_length=100)
    exclude = forms.IntegerField(required=False, min_value=1)


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "All"), *RecordKind.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *PairStatus.choices])
    cursor = forms.CharField(required=False, max_length=500)

    def clean_status(self) -> str:
        # No status parameter at all means the ones waiting; `?status=` means any.
        return self.cleaned_data["status"] if "status" in self.data else PairStatus.PENDING
