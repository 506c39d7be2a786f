"""Forms of the Identify pages: they parse and validate input; the services decide and write.

Every picker is built from rows a selector already scoped through core.access, so a form
can never offer (or accept) an account, unit, person or partner the user may not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from rapport.accounts import places, selectors
from rapport.accounts.models import (
    Account,
    AccountKind,
    Attitude,
    BuyingRoleKind,
    ContactStatus,
    IdentityKind,
    LifecycleStage,
    PartnerKind,
    PartnerRole,
)
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.web.kit import ObjectChoiceField, VersionField

# --- helpers --------------------------------------------------------------------------

F = TypeVar("F", bound=forms.Field)


def field_as(fields: Mapping[str, forms.Field], name: str, kind: type[F]) -> F:
    """A form's field as the class it is (`form.fields` promises only a `Field`)."""
    field = fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"Form field {name!r} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def with_blank(choices: Iterable[tuple[Any, str]], label: str = "Any") -> list[tuple[Any, str]]:
    """Choices preceded by an empty option, for optional selects and filters."""
    return [("", label), *choices]


def unit_label(unit: Account, top_depth: int = 1) -> str:
    """A unit's name indented by its depth, so a flat select reads as a tree."""
    return "\u2003" * max(0, unit.depth - top_depth) + unit.name


class OrganisationField(forms.Field):
    """Any organisation the user may see, picked from a (searchable, limited) select."""

    widget = forms.Select

    def __init__(self, *, user: Any = None, options: Iterable[Account] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.set_options(options)

    def set_options(self, options: Iterable[Account]) -> None:
        """The organisations offered in the select; any other visible one is accepted too."""
        self.widget.choices = [("", "Choose an organisation…"), *((a.pk, a.name) for a in options)]

    def clean(self, value: Any) -> Account | None:
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return selectors.account_get(user=self.user, pk=int(value))
        except (TypeError, ValueError, NotFound):
            raise ValidationError(
                "Choose an organisation from the list.", code="invalid_choice"
            ) from None


class CountryInput(forms.TextInput):
    """A text box that suggests the country names Rapport stores, and accepts any typing.

    A name, an alias or an ISO code ("DE", "Deutschland") is fine: the services turn it
    into the stored name, or say on the field that they do not know it.
    """

    LIST_ID = "country-names"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"list": self.LIST_ID, "autocomplete": "country-name", **(attrs or {})})

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        options = format_html_join(
            "", '<option value="{}">', ((n,) for n in places.country_names())
        )
        datalist = format_html('<datalist id="{}">{}</datalist>', self.LIST_ID, options)
        return format_html("{}{}", super().render(name, value, attrs, renderer), datalist)


PLACE_NAMES = ("street", "postcode", "city", "region", "country")


def read_query(form: forms.Form) -> dict[str, Any]:
    """The cleaned filters of a query string, or InvalidInput naming the first bad parameter."""
    if form.is_valid():
        return form.cleaned_data
    name, errors = next(iter(form.errors.items()))
    raise InvalidInput(f"Invalid value for '{name}': {errors[0]}", field=name)


# --- query-string filters -------------------------------------------------------------


class AccountFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    stage = forms.ChoiceField(
        required=False, choices=with_blank(LifecycleStage.choices, "Any stage")
    )
    industry = forms.CharField(required=False, max_length=100)
    manager = forms.IntegerField(required=False, min_value=1)
    cursor = forms.CharField(required=False, max_length=500)


class ContactFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    account = forms.IntegerField(required=False, min_value=1)
    role = forms.ChoiceField(required=False, choices=with_blank(BuyingRoleKind.choices, "Any role"))
    status = forms.ChoiceField(
        required=False, choices=with_blank(ContactStatus.choices, "Any status")
    )
    cursor = forms.CharField(required=False, max_length=500)


class EndUserFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    account = forms.IntegerField(required=False, min_value=1)
    cursor = forms.CharField(required=False, max_length=500)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)


class OrganisationSearchForm(forms.Form):
    org = forms.CharField(required=False, max_length=200)


class ContactCreateQueryForm(OrganisationSearchForm):
    account = forms.IntegerField(required=False, min_value=1)


class DestinationQueryForm(OrganisationSearchForm):
    to = forms.IntegerField(required=False, min_value=1)


# --- accounts -------------------------------------------------------------------------


class AccountForm(forms.Form):
    """An organisation or a unit's own details (not its place in the tree)."""

    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=AccountKind.choices)
    lifecycle_stage = forms.ChoiceField(
        choices=LifecycleStage.choices, initial=LifecycleStage.PROSPECT, label="Lifecycle stage"
    )
    industry = forms.CharField(max_length=100, required=False)
    website = forms.CharField(max_length=200, required=False)
    street = forms.CharField(max_length=200, required=False)
    postcode = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, required=False)
    region = forms.CharField(max_length=100, required=False, help_text="State, county or province.")
    country = forms.CharField(max_length=100, required=False, widget=CountryInput())
    employees = forms.IntegerField(min_value=0, required=False)
    manager = ObjectChoiceField(required=False, empty_label="Nobody yet", label="Account manager")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = VersionField()

    SERVICE_FIELDS = (
        "name",
        "kind",
        "industry",
        "website",
        *PLACE_NAMES,
        "employees",
        "description",
        "manager",
    )

    def __init__(
        self, *args: Any, user: User, is_unit: bool = False, with_stage: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        manager = field_as(self.fields, "manager", ObjectChoiceField)
        manager.set_objects(selectors.manager_choices(user=user))
        if is_unit or not with_stage:
            # Units share their organisation's stage, which moves only through the lifecycle form.
            del self.fields["lifecycle_stage"]
        kind = field_as(self.fields, "kind", forms.ChoiceField)
        if is_unit:
            kind.choices = [c for c in AccountKind.choices if c[0] != AccountKind.LEGAL_ENTITY]
            kind.initial = AccountKind.DIVISION
        else:
            kind.initial = AccountKind.LEGAL_ENTITY

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned values under the names the account services take."""
        data = {
            name: self.cleaned_data[name]
            for name in self.SERVICE_FIELDS
            if name in self.cleaned_data
        }
        if "lifecycle_stage" in self.cleaned_data:
            data["lifecycle_stage"] = self.cleaned_data["lifecycle_stage"]
        return data

    @staticmethod
    def initial_for(account: Account) -> dict[str, Any]:
        """The form's starting values from a stored account, and the version they are of."""
        initial = {
            name: getattr(account, "manager_id" if name == "manager" else name)
            for name in AccountForm.SERVICE_FIELDS
        }
        return {**initial, "version": account.version}


class AccountMoveForm(forms.Form):
    new_parent = ObjectChoiceField(label="New parent unit", empty_label=None)

    def __init__(self, *args: Any, units: list[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        new_parent = field_as(self.fields, "new_parent", ObjectChoiceField)
        new_parent.label_from = unit_label
        new_parent.set_objects(units)


class LifecycleForm(forms.Form):
    stage = forms.ChoiceField(choices=LifecycleStage.choices, label="New stage")
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the stage changes — kept in the stage history.",
    )

    def __init__(self, *args: Any, current: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Offer only real moves: the stage the account is at is not one.
        field_as(self.fields, "stage", forms.ChoiceField).choices = [
            ("", "Choose a stage…"),
            *(c for c in LifecycleStage.choices if c[0] != current),
        ]


# --- contacts -------------------------------------------------------------------------


class ContactForm(forms.Form):
    """A person's details; on create also their first e-mail and phone."""

    # Either name may stay empty: someone known only by a surname or an e-mail is real.
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    title = forms.CharField(max_length=200, required=False, label="Job title")
    account = ObjectChoiceField(label="Unit", empty_label=None)
    reports_to = ObjectChoiceField(
        required=False, empty_label="Nobody (top of the chart)", label="Reports to"
    )
    email = forms.EmailField(required=False, label="E-mail")
    phone = forms.CharField(max_length=50, required=False)
    status = forms.ChoiceField(choices=ContactStatus.choices)
    street = forms.CharField(max_length=200, required=False)
    postcode = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, required=False)
    region = forms.CharField(max_length=100, required=False, help_text="State, county or province.")
    country = forms.CharField(max_length=100, required=False, widget=CountryInput())
    date_of_birth = forms.DateField(
        required=False, label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        units: list[Account],
        colleagues: list[Any],
        mode: str = "create",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        top = min((u.depth for u in units), default=1)
        account = field_as(self.fields, "account", ObjectChoiceField)
        account.label_from = lambda u: unit_label(u, top)
        account.set_objects(units)
        reports_to = field_as(self.fields, "reports_to", ObjectChoiceField)
        reports_to.label_from = lambda c: f"{c.full_name} — {c.title}" if c.title else c.full_name
        reports_to.set_objects(colleagues)
        if mode == "create":
            del self.fields["status"]
            del self.fields["version"]
        else:
            del self.fields["email"]
            del self.fields["phone"]
        if not settings.RAPPORT_CONTACT_BIRTH_DATE:
            # Not asked for, not kept: most B2B deployments have no reason to hold it.
            del self.fields["date_of_birth"]

    @staticmethod
    def initial_for(contact: Any) -> dict[str, Any]:
        """The edit form's starting values from a stored contact."""
        names = ("first_name", "last_name", "title", "status", "notes", *PLACE_NAMES)
        initial = {name: getattr(contact, name) for name in names}
        initial.update(
            account=contact.account_id,
            reports_to=contact.reports_to_id,
            date_of_birth=contact.date_of_birth,
            version=contact.version,
        )
        return initial


class ContactMoveForm(forms.Form):
    account = ObjectChoiceField(label="New unit", empty_label=None)
    title = forms.CharField(max_length=200, required=False, label="New job title")
    moved_on = forms.DateField(
        required=False,
        label="Moved on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for today.",
    )

    def __init__(self, *args: Any, units: list[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        top = min((u.depth for u in units), default=1)
        account = field_as(self.fields, "account", ObjectChoiceField)
        account.label_from = lambda u: unit_label(u, top)
        account.set_objects(units)


class IdentityForm(forms.Form):
    # A portal login is recorded when an invitation is accepted, never typed in.
    kind = forms.ChoiceField(
        choices=[c for c in IdentityKind.choices if c[0] != IdentityKind.PORTAL_LOGIN]
    )
    value = forms.CharField(
        max_length=254, widget=forms.TextInput(attrs={"placeholder": "Address, number or id"})
    )
    is_primary = forms.BooleanField(required=False, label="Primary")


class BuyingRoleForm(forms.Form):
    role = forms.ChoiceField(choices=BuyingRoleKind.choices)
    account = ObjectChoiceField(label="At unit", empty_label=None)
    influence = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (n, f"{n} — {label}")
            for n, label in (
                (1, "minor"),
                (2, "some"),
                (3, "moderate"),
                (4, "strong"),
                (5, "decisive"),
            )
        ],
        initial=3,
    )
    attitude = forms.TypedChoiceField(
        coerce=int, choices=Attitude.choices, initial=Attitude.NEUTRAL
    )
    notes = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, units: list[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        top = min((u.depth for u in units), default=1)
        account = field_as(self.fields, "account", ObjectChoiceField)
        account.label_from = lambda u: unit_label(u, top)
        account.set_objects(units)


# --- partners -------------------------------------------------------------------------


class PartnerForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=PartnerKind.choices)
    website = forms.CharField(max_length=200, required=False)
    country = forms.CharField(max_length=100, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = VersionField()

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["version"]


class PartnerLinkForm(forms.Form):
    account = OrganisationField(label="Organisation")
    role = forms.ChoiceField(choices=PartnerRole.choices)
    started_on = forms.DateField(
        required=False,
        label="Since",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for today.",
    )

    def __init__(self, *args: Any, user: User, organisations: list[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = field_as(self.fields, "account", OrganisationField)
        account.user = user
        account.set_options(organisations)


class PartnerLinkEndForm(forms.Form):
    ended_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
