"""Forms of the learning memory's pages. Pickers hold objects fetched by scoped selectors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, cast
from zoneinfo import available_timezones

from django import forms
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Account, Contact
from rapport.core.errors import InvalidInput
from rapport.interactions.forms import InteractionForm, ObjectMultipleChoiceField
from rapport.interactions.models import Channel
from rapport.memory.models import Attribute, ConsentStatus, FactSource, Purpose, ValueType
from rapport.memory.services import LearnedFact
from rapport.web.kit import ObjectChoiceField

# --- facts and questions (X3, X4) ------------------------------------------------------


def value_field(
    attribute: Attribute, *, required: bool = True, label: str = "Value"
) -> forms.Field:
    """A form field shaped by the attribute's value type; the service does the parsing."""
    kind = attribute.value_type
    help_text = attribute.help_text
    choices = [(c, c) for c in attribute.choices or []]
    if kind == ValueType.CHOICE:
        return forms.ChoiceField(
            label=label, required=required, choices=[("", "—"), *choices], help_text=help_text
        )
    if kind == ValueType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            label=label,
            required=required,
            choices=choices,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            help_text=help_text,
        )
    if kind == ValueType.BOOLEAN:
        return forms.ChoiceField(
            label=label,
            required=required,
            choices=[("", "—"), ("yes", "Yes"), ("no", "No")],
            help_text=help_text,
        )
    widgets: dict[str, forms.Widget] = {
        ValueType.NUMBER: forms.NumberInput(attrs={"step": "any"}),
        ValueType.MONEY: forms.NumberInput(attrs={"step": "0.01"}),
        ValueType.DATE: forms.DateInput(attrs={"type": "date"}),
        ValueType.STRUCTURED: forms.Textarea(
            attrs={"rows": 3, "placeholder": "name: value, one per line"}
        ),
    }
    unit = f" ({attribute.unit})" if attribute.unit else ""
    return forms.CharField(
        label=f"{label}{unit}",
        required=required,
        max_length=500,
        widget=widgets.get(kind, forms.TextInput()),
        help_text=help_text,
    )


class FactForm(forms.Form):
    """Record one value of one attribute, with where it came from."""

    source = forms.ChoiceField(
        choices=[
            (FactSource.USER, "I know it / was told"),
            (FactSource.INTERACTION, "An interaction"),
        ]
    )
    interaction = ObjectChoiceField(required=False, empty_label="— none —", label="Learned on")
    said_by = ObjectChoiceField(required=False, empty_label="— not known —", label="Told by")
    confidence = forms.IntegerField(
        min_value=1, max_value=100, required=False, label="Confidence %"
    )
    valid_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        attribute: Attribute,
        interactions: Sequence[Any] = (),
        people: Sequence[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"value": value_field(attribute), **self.fields}
        cast(ObjectChoiceField, self.fields["interaction"]).set_objects(
            interactions,
            lambda i: f"{i.occurred_at:%-d %b %Y} · {i.get_channel_display()} · {i.subject}",
        )
        cast(ObjectChoiceField, self.fields["said_by"]).set_objects(people)


class AskForm(forms.Form):
    """Record that we ask a question (and the answer, if we have it)."""

    channel = forms.ChoiceField(choices=[("", "—"), *Channel.choices], required=False)
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Why ask again?",
        help_text="We know the answer already: say why it is worth asking again.",
    )

    def __init__(self, *args: Any, attribute: Attribute, known: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"] = value_field(attribute, required=False, label="Their answer")
        if known:
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]


class ResolveForm(forms.Form):
    """Pick which of two contradicting values stands."""

    keep = forms.ChoiceField(choices=[("earlier", "Earlier value"), ("later", "Later value")])
    note = forms.CharField(required=False, max_length=500)


class QuestionnaireForm(forms.Form):
    """Choose the questions for a questionnaire link."""

    attributes = ObjectMultipleChoiceField(
        label="Questions",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    days_valid = forms.IntegerField(
        min_value=1, max_value=90, initial=30, label="Link valid for (days)"
    )

    def __init__(self, *args: Any, attributes: Sequence[Attribute], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ObjectMultipleChoiceField, self.fields["attributes"]).set_objects(
            attributes, lambda a: a.question
        )


class QuestionnaireAnswerForm(forms.Form):
    """The customer's questionnaire: every question optional, known answers pre-filled."""

    def __init__(self, *args: Any, attributes: Sequence[Attribute], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for attribute in attributes:
            self.fields[attribute.key] = value_field(
                attribute, required=False, label=attribute.question
            )


# --- communication preferences and consent (X5) ----------------------------------------

WEEKDAY_CHOICES = [
    (1, "Mon"),
    (2, "Tue"),
    (3, "Wed"),
    (4, "Thu"),
    (5, "Fri"),
    (6, "Sat"),
    (7, "Sun"),
]
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _time_zone_choices() -> list[tuple[str, str]]:
    return [("", "— the company's time zone —")] + [
        (name, name.replace("_", " ")) for name in sorted(available_timezones())
    ]


class PreferenceForm(forms.Form):
    """How a person likes to be reached; every rule is checked by preference_set."""

    preferred_channel = forms.ChoiceField(
        required=False, choices=[("", "— no preference —"), *Channel.choices]
    )
    preferred_days = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Preferred days",
    )
    preferred_from = forms.TimeField(required=False, widget=TIME_INPUT, label="From")
    preferred_until = forms.TimeField(required=False, widget=TIME_INPUT, label="Until")
    time_zone = forms.ChoiceField(
        required=False, choices=_time_zone_choices, label="Their time zone"
    )
    language = forms.CharField(
        required=False, max_length=16, help_text="A language code: de, en-GB, pt-BR."
    )
    notes = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    @classmethod
    def initial_for(cls, preference: Any) -> dict[str, Any]:
        """The form's starting values from a stored preference (or none)."""
        if preference is None:
            return {}
        return {
            name: getattr(preference, name)
            for name in (
                "preferred_channel",
                "preferred_days",
                "preferred_from",
                "preferred_until",
                "time_zone",
                "language",
                "notes",
            )
        }


class FrequencyCapForm(forms.Form):
    """At most N outbound touches on a channel within D days."""

    channel = forms.ChoiceField(choices=Channel.choices)
    max_contacts = forms.IntegerField(min_value=1, max_value=1000, label="At most", initial=2)
    per_days = forms.IntegerField(min_value=1, max_value=366, label="Per days", initial=30)


class ConsentForm(forms.Form):
    """A grant or withdrawal of consent, as the person told us."""

    purpose = forms.ChoiceField(choices=Purpose.choices)
    status = forms.ChoiceField(choices=ConsentStatus.choices, label="They")
    channel = forms.ChoiceField(
        required=False, choices=[("", "Every channel"), *Channel.choices], label="On"
    )
    how = forms.CharField(
        max_length=300,
        label="How they told us",
        widget=forms.TextInput(attrs={"placeholder": "Web form, call, reply to a newsletter …"}),
    )


# --- consent and preferences, checked when logging outbound (X5) --------------------------


def outreach_fields() -> dict[str, forms.Field]:
    """The logging form's purpose (checked against consent) and the override of a block."""
    return {
        "purpose": forms.ChoiceField(
            required=False,
            choices=[("", "— not said (counts as service) —"), *Purpose.choices],
            label="Purpose",
            help_text="Outbound contact is checked against each person's consent for it.",
        ),
        "override_reason": forms.CharField(
            required=False,
            max_length=500,
            label="Override reason",
            help_text="Only to log an interaction their consent or preferences block; "
            "it is recorded as a breach.",
        ),
    }


# --- what the customer taught us, recorded with the interaction (X3) ----------------------

LEARNED_ROWS = 3
# How the log form names a unit and a person (the timeline's pickers' labels).
Labels = tuple[Callable[[Account], str], Callable[[Contact], str]]


class ValueInput(forms.TextInput):
    """A value box that also takes the checkboxes htmx may swap in for a multi-choice."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        values = [v for v in values if v not in (None, "")]
        return values if len(values) > 1 else (values[0] if values else "")


class LearnedValueField(forms.Field):
    """The raw value, a string or a list; the memory service parses it by attribute type."""

    widget = ValueInput

    def to_python(self, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v).strip()[:500] for v in value]
        return str(value or "").strip()[:500]


class AboutChoiceField(forms.ChoiceField):
    """Who or what a learned value is about: one of their people or a unit; cleans to one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subjects: dict[str, tuple[Account | None, Contact | None]] = {}

    def set_subjects(
        self, units: Sequence[Account], contacts: Sequence[Contact], labels: Labels
    ) -> None:
        """`labels` name a unit and a person as the log form's own pickers do."""
        unit_label, contact_label = labels
        self.subjects = {f"unit:{u.pk}": (u, None) for u in units}
        self.subjects |= {f"contact:{c.pk}": (None, c) for c in contacts}
        self.choices = [
            ("", "— the unit logged —"),
            ("Told by / about", [(f"contact:{c.pk}", contact_label(c)) for c in contacts]),
            ("About the unit", [(f"unit:{u.pk}", unit_label(u)) for u in units]),
        ]

    def clean(self, value: Any) -> tuple[Account | None, Contact | None]:
        value = super().clean(value)
        return self.subjects.get(value, (None, None))


def learned_fields(
    *,
    attributes: Sequence[Attribute],
    units: Sequence[Account],
    contacts: Sequence[Contact],
    labels: Labels,
) -> dict[str, forms.Field]:
    """The logging form's "What we learned" rows: about whom, which attribute, what value."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for attribute in attributes:
        by_kind.setdefault(attribute.get_kind_display(), []).append(
            (attribute.key, attribute.label)
        )
    fields: dict[str, forms.Field] = {}
    for row in range(1, LEARNED_ROWS + 1):
        about = AboutChoiceField(required=False, label="About")
        about.set_subjects(units, contacts, labels)
        attribute_field = forms.ChoiceField(
            required=False,
            label="What",
            choices=[("", "— choose —"), *by_kind.items()],
            # Choosing the attribute swaps in the input its value type needs.
            widget=forms.Select(
                attrs={
                    "hx-get": f"{reverse('memory:value_field')}?name=learned_{row}_value",
                    "hx-include": "this",
                    "hx-target": f"#learned-value-{row}",
                    "hx-trigger": "change",
                }
            ),
        )
        fields |= {
            f"learned_{row}_about": about,
            f"learned_{row}_attribute": attribute_field,
            f"learned_{row}_value": LearnedValueField(required=False, label="Value"),
        }
    return fields


def learned_rows(form: forms.Form) -> list[list[forms.BoundField]]:
    """The "What we learned" rows' bound fields (about, attribute, value) for the template."""
    return [
        [form[f"learned_{row}_{name}"] for name in ("about", "attribute", "value")]
        for row in range(1, LEARNED_ROWS + 1)
        if f"learned_{row}_attribute" in form.fields
    ]


def learned_values(data: dict[str, Any], attributes: Sequence[Attribute]) -> list[LearnedFact]:
    """interaction_log_learned's `learned` argument from the cleaned form; empty rows are skipped."""
    by_key = {a.key: a for a in attributes}
    learned = []
    for row in range(1, LEARNED_ROWS + 1):
        key = data.get(f"learned_{row}_attribute") or ""
        value = data.get(f"learned_{row}_value")
        if not key and not value:
            continue
        if not key:
            raise InvalidInput("Choose what they told us.", field=f"learned.{row - 1}.attribute")
        account, contact = data.get(f"learned_{row}_about") or (None, None)
        learned.append(
            LearnedFact(attribute=by_key[key], value=value, account=account, contact=contact)
        )
    return learned


def learned_field_name(name: str) -> str:
    """The form field for a service error's field (`learned.0.value` → `learned_1_value`)."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "learned" and parts[1].isdigit():
        target = {"contact": "about", "account": "about", "attribute": "attribute"}
        return f"learned_{int(parts[1]) + 1}_{target.get(parts[2], 'value')}"
    return name


# --- the capture-quality scorecard (X9) --------------------------------------------------


class CapturePeriodForm(forms.Form):
    """The capture-quality scorecard's period: the last 30, 90 or 365 days, or chosen days."""

    PERIODS = [("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last 365 days")]

    period = forms.ChoiceField(
        required=False, choices=[*PERIODS, ("custom", "Custom")], initial="90"
    )
    since = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.CharField(required=False, max_length=40)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        period = data.get("period") or "90"
        if period == "custom":
            since, until = data.get("since"), data.get("until")
            if since is None:
                self.add_error("since", "Choose the first day.")
            if until is None:
                self.add_error("until", "Choose the last day.")
            if since and until and since > until:
                self.add_error("since", "'since' is after 'until'.")
        else:
            data["since"] = today - timedelta(days=int(period) - 1)
            data["until"] = today
        data["period"] = period
        return data


# --- logging an interaction: the timeline's form, with consent and what we learned ---------


class InteractionLogForm(InteractionForm):
    """The log page's form: the timeline's fields, the purpose and override, what we learned.

    The timeline's InteractionForm knows nothing of the memory (memory is the higher app);
    logging adds memory's parts here. Editing stays the timeline's own form.
    """

    def __init__(self, *args: Any, attributes: Sequence[Attribute] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = cast(ObjectChoiceField, self.fields["account"])
        people_field = cast(ObjectMultipleChoiceField, self.fields["contacts"])
        self.fields |= outreach_fields()
        self.fields |= learned_fields(
            attributes=attributes,
            units=list(unit_field.objects.values()),
            contacts=list(people_field.objects_by_key.values()),
            # "About" names units and people as the timeline's pickers above it do.
            labels=(unit_field.label_from, people_field.label_from),
        )

    def field_for(self, name: str) -> str:
        """A learned row's error names its row's field (`learned.0.value` → `learned_1_value`)."""
        return learned_field_name(super().field_for(name))
