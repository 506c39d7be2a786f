"""Forms of the learning memory's pages. Pickers hold objects fetched by scoped selectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from zoneinfo import available_timezones

from django import forms

from rapport.interactions.forms import ObjectMultipleChoiceField
from rapport.interactions.models import Channel
from rapport.memory.models import Attribute, ConsentStatus, FactSource, Purpose, ValueType
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
