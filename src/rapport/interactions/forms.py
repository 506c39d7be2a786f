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
from rapport.interactions.models import (
    Channel,
    Direction,
    Interaction,
    Outcome,
    Thread,
)
from rapport.interactions.services import CommitmentSpec
from rapport.web.kit import ObjectChoiceField, VersionField, version_refreshed

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ObjectMultipleChoiceField(forms.MultipleChoiceField):
    """A multi-select over objects already fetched; cleans to a list of objects."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.objects_by_key: dict[str, Any] = {}
        self.label_from: Callable[[Any], str] = str

    def set_objects(self, objects: Sequence[Any], label_from: Callable[[Any], str] = str) -> None:
        self.label_from = label_from
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

    account = ObjectChoiceField(label="Organisation unit", empty_label=None)
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
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        units: Sequence[Account] = (),
        contacts: Sequence[Contact] = (),
        colleagues: Sequence[User] = (),
        partners: Sequence[Partner] = (),
        editing: bool = False,
        threads: Sequence[Thread] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["account"]
            del self.fields["users"]
        else:
            del self.fields["version"]
            cast(ObjectChoiceField, self.fields["account"]).set_objects(units, _unit_label)
            cast(ObjectMultipleChoiceField, self.fields["users"]).set_objects(colleagues)
            self.fields["occurred_at"].initial = timezone.localtime().replace(
                second=0, microsecond=0
            )
            self.fields |= continuity_fields(
                threads=threads, colleagues=colleagues, contacts=contacts
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
            "version": interaction.version,
        }

    def add_application_error(self, error: ApplicationError) -> int:
        """Show a service's refusal next to the field it names (or above the form); the status."""
        fields = error.errors or {"non_field": [error.message]}
        for name, messages in fields.items():
            name = self.field_for(name)
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)
        return version_refreshed(self, error)

    def field_for(self, name: str) -> str:
        """The form field of a service error's field (a commitment's names its row's)."""
        return continuity_field_name(name)


class OrganisationSearchForm(forms.Form):
    """The first step of logging without an account: find the organisation."""

    q = forms.CharField(required=False, max_length=100, label="Organisation")


# --- threads and commitments, logged with the interaction (X2) ----------------------------

COMMITMENT_ROWS = 3
OWED_BY_CHOICES = [
    ("us", "We owe"),
    ("customer", "They owe"),
    ("partner", "Partner owes"),
]


class OwnerChoiceField(forms.ChoiceField):
    """Who owes it: one of our people or one of theirs; cleans to (user, contact)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owners: dict[str, tuple[User | None, Contact | None]] = {}

    def set_people(self, colleagues: Sequence[User], contacts: Sequence[Contact]) -> None:
        self.owners = {f"user:{u.pk}": (u, None) for u in colleagues}
        self.owners |= {f"contact:{c.pk}": (None, c) for c in contacts}
        self.choices = [
            ("", "— whoever it falls to —"),
            ("Our people", [(f"user:{u.pk}", str(u)) for u in colleagues]),
            ("Their people", [(f"contact:{c.pk}", _contact_label(c)) for c in contacts]),
        ]

    def clean(self, value: Any) -> tuple[User | None, Contact | None]:
        value = super().clean(value)
        return self.owners.get(value, (None, None))


def continuity_fields(
    *, threads: Sequence[Thread], colleagues: Sequence[User], contacts: Sequence[Contact]
) -> dict[str, forms.Field]:
    """The logging form's thread picker and commitment rows (prefixed fields, 1 to 3)."""
    thread = ObjectChoiceField(
        required=False, empty_label="— not part of a thread —", label="Continues thread"
    )
    thread.set_objects(threads, lambda t: f"{t.title} · {t.account.name}")
    fields: dict[str, forms.Field] = {
        "thread": thread,
        "new_thread_title": forms.CharField(
            required=False,
            max_length=200,
            label="…or starts a new thread",
            widget=forms.TextInput(attrs={"placeholder": "e.g. 2027 renewal"}),
        ),
    }
    for row in range(1, COMMITMENT_ROWS + 1):
        owner = OwnerChoiceField(required=False, label="Who")
        owner.set_people(colleagues, contacts)
        fields |= {
            f"commitment_{row}_owed_by": forms.ChoiceField(
                required=False, choices=OWED_BY_CHOICES, initial="us", label="Side"
            ),
            f"commitment_{row}_who": owner,
            f"commitment_{row}_what": forms.CharField(
                required=False,
                max_length=500,
                label="What",
                widget=forms.TextInput(attrs={"placeholder": "e.g. send the revised quote"}),
            ),
            f"commitment_{row}_due": forms.DateField(
                required=False,
                label="Due",
                input_formats=["%Y-%m-%d"],
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            ),
        }
    return fields


def continuity_rows(form: forms.Form) -> list[list[forms.BoundField]]:
    """The commitment rows' bound fields (side, who, what, due), for the template."""
    names = ("owed_by", "who", "what", "due")
    return [
        [form[f"commitment_{row}_{name}"] for name in names]
        for row in range(1, COMMITMENT_ROWS + 1)
        if f"commitment_{row}_what" in form.fields
    ]


def continuity_values(data: dict[str, Any]) -> dict[str, Any]:
    """interaction_log's thread and commitment arguments from the cleaned form.

    A row counts as soon as it says what, who or by when; an incomplete one is refused
    by the service, next to the field at fault.
    """
    commitments = []
    for row in range(1, COMMITMENT_ROWS + 1):
        what = data.get(f"commitment_{row}_what") or ""
        owner_user, owner_contact = data.get(f"commitment_{row}_who") or (None, None)
        due_on = data.get(f"commitment_{row}_due")
        if not (what.strip() or owner_user or owner_contact or due_on):
            continue
        commitments.append(
            CommitmentSpec(
                owed_by=data.get(f"commitment_{row}_owed_by") or "",
                description=what,
                due_on=due_on,
                owner_user=owner_user,
                owner_contact=owner_contact,
            )
        )
    return {
        "thread": data.get("thread"),
        "new_thread_title": data.get("new_thread_title") or "",
        "commitments": commitments,
    }


_ROW_FIELDS = {
    "owed_by": "owed_by",
    "owner_user": "who",
    "owner_contact": "who",
    "description": "what",
    "due_on": "due",
}


def continuity_field_name(name: str) -> str:
    """The form field for a service error's field (`commitments.0.due_on` → `commitment_1_due`)."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "commitments" and parts[1].isdigit():
        return f"commitment_{int(parts[1]) + 1}_{_ROW_FIELDS.get(parts[2], 'what')}"
    return name
