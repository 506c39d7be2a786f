"""Forms of the portal's doors: invite, accept with a password, entitle."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from rapport.accounts.models import Account


class InviteForm(forms.Form):
    email = forms.ChoiceField(label="Send the link to")

    def __init__(self, *args: Any, emails: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["email"]).choices = [(e, e) for e in emails]


class AcceptForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password_again(self) -> str:
        again: str = self.cleaned_data["password_again"]
        if again != self.cleaned_data.get("password"):
            raise forms.ValidationError("The two passwords differ.")
        return again


class UnitsField(forms.ModelMultipleChoiceField):
    """Units of the organisation, indented by their depth in its tree."""

    def label_from_instance(self, obj: Any) -> str:
        return "— " * (obj.depth - 1) + obj.name


class EntitlementForm(forms.Form):
    units = UnitsField(
        queryset=Account.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick none to let the user see the whole organisation.",
    )
    may_requisition = forms.BooleanField(required=False, label="May requisition")
    may_approve = forms.BooleanField(required=False, label="May approve requisitions")
    may_administer = forms.BooleanField(required=False, label="May invite and entitle colleagues")
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, units: list[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["units"])
        field.queryset = Account.objects.filter(pk__in=[u.pk for u in units])
