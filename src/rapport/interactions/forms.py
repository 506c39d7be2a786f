"""Forms of the timeline pages: parsing the timeline's query string and logging an interaction.

Pickers are filled from the scoped selectors by the view and hold the fetched objects, so
validating a choice needs no query and can never reach a row the user may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from django import forms
from django.utils import timezone

from rapport.accounts.models import Account, Contact, Partner
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.interactions.models import Channel, Direction, Interaction, Outcome

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ObjectChoiceField(forms.ChoiceField):
    """A select over objects already fetched (through a scoped selector); cleans to the object."""

    def __init__(self, *, empty_label: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.empty_label = empty_label
        self.objects_by_key: dict[str, Any] = {}

    def set_objects(self, objects: Sequence[Any], label_from: Callable[[Any], str] = str) -> None:
        self.objects_by_key = {str(o.pk): o for o in objects}
        choices = [(key, label_from(o)) for key, o in self.objects_by_key.items()]
        if self.empty_label is not None:
            choices.insert(0, ("", self.empty_label))
        self.choices = choices

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        return self.objects_by_key[value] if value not in self.empty_values else None

    def prepare_value(self, value: Any) -> Any:
        return str(value.pk) if hasattr(value, "pk") else value


class ObjectMultipleChoiceField(forms.MultipleChoiceField):
    """A multi-select over objects already fetched; cleans to a list of objects."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.objects_by_key: dict[str, Any] = {}

    def set_objects(self, objects: Sequence[Any], label_from: Callable[[Any], str] = str) -> None:
        self.objects_by_key = {str(o.pk): o for o in objects}
        self.choices = [(key, label_from(o)) for key, o in self.objects_by_key.items()]

    def clean(self, value: Any) -> list[Any]:
        return [self.objects_by_key[key] for key in super().clean(value)]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [str(v.pk) if hasattr(v, "pk") else v for v in value]
        return value


class ChannelsField(forms.MultipleChoiceField):
    """Channels from a query string; a blank one ("All channels" in a select) means no filter."""

    def to_python(self, value: Any) -> list[str]:
        return [v for v in super().to_python(value) if v]


class TimelineQueryForm(forms.Form):
    """The timeline partial's query string; every failure names its parameter."""

    account = forms.IntegerField(required=False, min_value=1)
    contact = forms.IntegerField(required=False, min_value=1)
    subtree = forms.ChoiceField(required=False, choices=[("1", "yes"), ("0", "no")])
    channel = ChannelsField(required=False, choices=Channel.choices)
    unit = forms.IntegerField(required=False, min_value=1)
    person = forms.IntegerField(required=False, min_value=1)
    since = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    until = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    cursor = forms.CharField(required=False, max_length=200)
    limit = forms.IntegerField(required=False, min_value=1, max_value=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("since", "'since' is after 'until'.")
        return data

    def first_error(self) -> tuple[str, str]:
        """The first failing parameter and its message, for the 400 fragment."""
        name, errors = next(iter(self.errors.items()))
        return name, str(errors[0])


class TimelineFilterForm(forms.Form):
    """The filter bar above a timeline (channel chips, a date range); renders, never saves."""

    channel = forms.MultipleChoiceField(
        required=False, choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    since = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"})
    )


def _contact_label(contact: Contact) -> str:
    title = f" ({contact.title})" if contact.title else ""
    return f"{contact.full_name}{title} · {contact.account.name}"


def _unit_label(unit: Account) -> str:
    return "\u2003" * (unit.depth - 1) + unit.name


class InteractionForm(forms.Form):
    """Log or correct an interaction. On edit, the unit and our side are fixed."""

    account = ObjectChoiceField(label="Organisation unit")
    channel = forms.ChoiceField(choices=Channel.choices)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.OUTBOUND)
    occurred_at = forms.DateTimeField(
        label="When",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="Your local time.",
    )
    subject = forms.CharField(max_length=300)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    outcome = forms.ChoiceField(required=False, choices=Outcome.choices)
    next_step = forms.CharField(
        required=False,
        max_length=500,
        help_text="What either side promised to do next.",
    )
    contacts = ObjectMultipleChoiceField(
        required=False,
        label="Their people",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    users = ObjectMultipleChoiceField(
        required=False,
        label="Our people",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    partner = ObjectChoiceField(required=False, empty_label="— none —", label="Via partner")

    def __init__(
        self,
        *args: Any,
        units: Sequence[Account] = (),
        contacts: Sequence[Contact] = (),
        colleagues: Sequence[User] = (),
        partners: Sequence[Partner] = (),
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["account"]
            del self.fields["users"]
        else:
            cast(ObjectChoiceField, self.fields["account"]).set_objects(units, _unit_label)
            cast(ObjectMultipleChoiceField, self.fields["users"]).set_objects(colleagues)
            self.fields["occurred_at"].initial = timezone.localtime().replace(
                second=0, microsecond=0
            )
        cast(ObjectMultipleChoiceField, self.fields["contacts"]).set_objects(
            contacts, _contact_label
        )
        cast(ObjectChoiceField, self.fields["partner"]).set_objects(partners)

    @classmethod
    def initial_for(cls, interaction: Interaction) -> dict[str, Any]:
        """The edit form's starting values (participants from the prefetched rows)."""
        return {
            "channel": interaction.channel,
            "direction": interaction.direction,
            "occurred_at": interaction.occurred_at,
            "subject": interaction.subject,
            "summary": interaction.summary,
            "outcome": interaction.outcome,
            "next_step": interaction.next_step,
            "partner": interaction.partner,
            "contacts": [p.contact for p in interaction.participants.all() if p.contact_id],
        }

    def add_application_error(self, error: ApplicationError) -> None:
        """Show a service's refusal next to the field it names (or above the form)."""
        fields = error.errors or {"non_field": [error.message]}
        for name, messages in fields.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


class OrganisationSearchForm(forms.Form):
    """The first step of logging without an account: find the organisation."""

    q = forms.CharField(required=False, max_length=100, label="Organisation")
