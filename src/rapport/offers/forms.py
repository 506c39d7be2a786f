"""Forms of the catalog pages: the list's filters and the configurator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms

from rapport.accounts.models import BuyingRoleKind
from rapport.core.money import money_text
from rapport.offers.models import AgreementKind, Product, ProductCategory, TreatmentChannel
from rapport.web.kit import ObjectChoiceField, VersionField


class ProductFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    category = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    cursor = forms.CharField(required=False, max_length=500)


def option_fields_add(form: forms.Form, product: Product) -> list[Any]:
    """One field per option group of the product (tick boxes, or one choice where the
    group takes exactly one), named group_<code>; returns the groups."""
    groups = list(product.option_groups.all())
    for group in groups:
        choices = [
            (o.code, f"{o.name} (+{money_text(float(o.price), 2)})" if o.price else o.name)
            for o in group.options.all()
        ]
        limits = (
            f"choose {group.min_choices}"
            if group.min_choices == group.max_choices
            else f"choose {group.min_choices} to {group.max_choices or 'any number'}"
        )
        name = f"group_{group.code}"
        if group.min_choices == group.max_choices == 1:
            form.fields[name] = forms.ChoiceField(
                required=False,
                choices=choices,
                label=group.name,
                help_text=limits,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
        else:
            form.fields[name] = forms.MultipleChoiceField(
                required=False,
                choices=choices,
                label=group.name,
                help_text=limits,
                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            )
    return groups


def options_chosen(form: forms.Form, groups: list[Any]) -> list[str]:
    """The option codes ticked, group by group."""
    codes: list[str] = []
    for group in groups:
        value = form.cleaned_data.get(f"group_{group.code}") or []
        codes += [value] if isinstance(value, str) else list(value)
    return codes


def options_initial(groups: list[Any], chosen: list[str]) -> dict[str, Any]:
    """The group fields' initial values for options already chosen."""
    initial: dict[str, Any] = {}
    for group in groups:
        codes = [o.code for o in group.options.all() if o.code in chosen]
        single = group.min_choices == group.max_choices == 1
        initial[f"group_{group.code}"] = (codes[0] if codes else "") if single else codes
    return initial


class ConfigurationForm(forms.Form):
    """One field per option group (tick boxes, or one choice where the group takes one),
    the quantity, and the customer's categories the options may be only for."""

    quantity = forms.DecimalField(
        min_value=Decimal("0.001"), max_digits=14, decimal_places=3, initial=1
    )
    categories = forms.CharField(
        required=False,
        max_length=500,
        label="Customer categories",
        help_text="Tier, segment or industry, comma-separated: some options are only for some.",
    )

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = option_fields_add(self, product)

    def chosen(self) -> list[str]:
        """The option codes ticked, group by group."""
        return options_chosen(self, self.groups)

    def customer_categories(self) -> list[str]:
        raw = self.cleaned_data.get("categories") or ""
        return [part.strip() for part in raw.split(",") if part.strip()]


class ProductForm(forms.Form):
    """A product's own fields (its options are set through the API for now)."""

    sku = forms.CharField(label="SKU", max_length=64)
    name = forms.CharField(max_length=200)
    category = ObjectChoiceField(empty_label=None)
    unit = forms.CharField(max_length=30, initial="piece", help_text="piece, licence, hour …")
    list_price = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2)
    cost = forms.DecimalField(
        min_value=0, max_digits=16, decimal_places=2, required=False, label="Our cost",
        help_text="Per unit; never shown to customers or partners.",
    )  # fmt: skip
    active_from = forms.DateField(
        required=False, label="Sold from", widget=forms.DateInput(attrs={"type": "date"})
    )
    active_until = forms.DateField(
        required=False, label="Sold until", widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = VersionField()

    FIELDS = (
        "sku", "name", "category", "unit", "list_price", "cost", "active_from", "active_until",
        "description",
    )  # fmt: skip

    def __init__(self, *args: Any, categories: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, ObjectChoiceField)
        category.set_objects(categories)
        if not editing:
            del self.fields["version"]

    @staticmethod
    def initial_for(product: Product) -> dict[str, Any]:
        initial = {name: getattr(product, name) for name in ProductForm.FIELDS}
        return {**initial, "category": product.category_id, "version": product.version}

    def service_arguments(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


def _unit_label(unit: Any) -> str:
    return ("— " * (unit.depth - 1)) + unit.name


class StandardConfigurationForm(forms.Form):
    """Save what the configurator holds as a unit's standard configuration."""

    account = ObjectChoiceField(label="For", empty_label=None)
    name = forms.CharField(
        max_length=120, help_text="How the customer calls it: “Executive laptop”."
    )
    buying_role = forms.ChoiceField(
        required=False,
        label="Only for people who are",
        choices=[("", "everyone in the unit"), *BuyingRoleKind.choices],
    )
    location = forms.CharField(
        required=False, max_length=100, help_text="A site or town it is only for (optional)."
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    options = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)
    quantity = forms.DecimalField(min_value=Decimal("0.001"), max_digits=14, decimal_places=3)

    def __init__(self, *args: Any, units: list[Any], product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The configurator redraws this form with its verdict on every change: what the
        # person typed here survives the redraw (htmx keeps elements marked hx-preserve)
        for name in ("account", "name", "buying_role", "location", "notes"):
            self.fields[name].widget.attrs.update({"id": f"save-{name}", "hx-preserve": "true"})
        field = cast(ObjectChoiceField, self.fields["account"])
        field.set_objects(units, _unit_label)
        codes = [o.code for g in product.option_groups.all() for o in g.options.all()]
        cast(forms.MultipleChoiceField, self.fields["options"]).choices = [(c, c) for c in codes]


class ConfigurationEditForm(forms.Form):
    """A configuration's own fields and options, and why it changes (kept in its history)."""

    version = VersionField()
    name = forms.CharField(max_length=120)
    quantity = forms.DecimalField(min_value=Decimal("0.001"), max_digits=14, decimal_places=3)
    buying_role = forms.ChoiceField(
        required=False,
        label="Only for people who are",
        choices=[("", "everyone in the unit"), *BuyingRoleKind.choices],
    )
    location = forms.CharField(required=False, max_length=100)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(
        max_length=100, label="Why it changes", help_text="Kept with this version."
    )
    recite = forms.BooleanField(
        required=False,
        label="Cite what we know now",
        help_text="Replace the superseded facts it was built on by the current ones.",
    )

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = option_fields_add(self, product)

    def option_fields(self) -> list[Any]:
        """The bound option-group fields, for the template."""
        return [self[f"group_{group.code}"] for group in self.groups]

    def chosen(self) -> list[str]:
        """The option codes ticked, group by group."""
        return options_chosen(self, self.groups)


class ReorderForm(forms.Form):
    """Reorder a configuration for its unit or one below it."""

    account = ObjectChoiceField(label="For", empty_label=None)
    quantity = forms.DecimalField(min_value=Decimal("0.001"), max_digits=14, decimal_places=3)

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ObjectChoiceField, self.fields["account"]).set_objects(units, _unit_label)


class AgreementForm(forms.Form):
    """A unit's own price for a product: fixed, or a discount off list, with volume breaks."""

    product = ObjectChoiceField(label="Product")
    kind = forms.ChoiceField(choices=AgreementKind.choices)
    value = forms.DecimalField(
        max_digits=16, decimal_places=2, help_text="The unit price, or the percent off list."
    )
    breaks = forms.CharField(
        required=False,
        max_length=500,
        label="Volume breaks",
        help_text="From a quantity, another value: “50: 12; 200: 20”.",
    )
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    valid_until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, products: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ObjectChoiceField, self.fields["product"]).set_objects(
            products, lambda p: f"{p.name} ({p.sku})"
        )

    def clean_breaks(self) -> list[list[str]]:
        raw = self.cleaned_data.get("breaks") or ""
        found = []
        for part in raw.replace(",", ";").split(";"):
            if not part.strip():
                continue
            quantity, sep, value = part.partition(":")
            if not sep or not quantity.strip() or not value.strip():
                raise forms.ValidationError(
                    f"Write each break as quantity: value, not {part.strip()!r}."
                )
            found.append([quantity.strip(), value.strip()])
        return found


class CatalogEntryForm(forms.Form):
    """Put a product or a whole category on a unit's own catalog."""

    product = ObjectChoiceField(required=False, label="Product")
    category = ObjectChoiceField(required=False, label="or a whole category")

    def __init__(
        self, *args: Any, products: list[Product], categories: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(ObjectChoiceField, self.fields["product"]).set_objects(
            products, lambda p: f"{p.name} ({p.sku})"
        )
        cast(ObjectChoiceField, self.fields["category"]).set_objects(categories)


class DeclineForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300)


class DueFilterForm(forms.Form):
    within_days = forms.IntegerField(
        required=False, min_value=0, max_value=366, label="Due within (days)"
    )
    category = forms.ModelChoiceField(
        queryset=ProductCategory.objects.order_by("name"),
        required=False,
        empty_label="Every category",
    )


class ReminderForm(forms.Form):
    """Remind one of the organisation's people that a reorder is due."""

    contact = ObjectChoiceField(label="To")
    channel = forms.ChoiceField(
        choices=[("email", "E-mail"), ("call", "Call"), ("meeting", "Meeting")], initial="email"
    )
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Added to the reminder (optional).",
    )  # fmt: skip
    override_reason = forms.CharField(
        required=False,
        max_length=300,
        label="Send anyway because",
        help_text="Only if their consent or preferences say no and you have a reason.",
    )

    def __init__(self, *args: Any, contacts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ObjectChoiceField, self.fields["contact"]).set_objects(
            contacts, lambda c: f"{c.full_name}{' — ' + c.title if c.title else ''}"
        )


class TreatmentForm(forms.Form):
    """A needs segment's default treatment: what we offer, how often, on which channel."""

    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    offers = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        label="Offers",
        help_text="Products offered to its members by default (Ctrl or ⌘ to choose several).",
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    cadence_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=730,
        label="Get in touch every (days)",
        help_text="Quiet-interval alerts hold its members to this rhythm (empty: their own).",
    )
    channel = forms.ChoiceField(
        required=False,
        label="Preferred channel",
        choices=[("", "no default"), *TreatmentChannel.choices],
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this treatment suits them (optional).",
    )

    def __init__(self, *args: Any, products: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[int, str]]] = {}
        for product in products:
            groups.setdefault(product.category.name, []).append(
                (product.pk, f"{product.name} ({product.sku})")
            )
        cast(forms.TypedMultipleChoiceField, self.fields["offers"]).choices = list(groups.items())


class AccountTreatmentForm(TreatmentForm):
    """One organisation's own treatment: the parts given replace its segment's."""

    own_offers = forms.BooleanField(
        required=False,
        label="Its own offers replace the segment's",
        help_text="Ticked with nothing chosen: offer it nothing by default.",
    )
    reason = forms.CharField(
        max_length=500, label="Why it is treated otherwise", help_text="Kept in its history."
    )

    field_order = ["version", "own_offers", "offers", "cadence_days", "channel", "reason"]

    def __init__(self, *args: Any, products: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, products=products, **kwargs)
        del self.fields["note"]
        self.fields["cadence_days"].help_text = "Empty: the segment's cadence."
        channel = cast(forms.ChoiceField, self.fields["channel"])
        channel.choices = [("", "the segment's"), *TreatmentChannel.choices]
