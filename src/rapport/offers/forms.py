"""Forms of the catalog pages: the list's filters and the configurator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from rapport.core.money import money_text
from rapport.offers.models import Product
from rapport.web.kit import ObjectChoiceField, VersionField


class ProductFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    category = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    cursor = forms.CharField(required=False, max_length=500)


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
        self.groups = list(product.option_groups.all())
        for group in self.groups:
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
                self.fields[name] = forms.ChoiceField(
                    required=False,
                    choices=choices,
                    label=group.name,
                    help_text=limits,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                )
            else:
                self.fields[name] = forms.MultipleChoiceField(
                    required=False,
                    choices=choices,
                    label=group.name,
                    help_text=limits,
                    widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                )

    def chosen(self) -> list[str]:
        """The option codes ticked, group by group."""
        codes: list[str] = []
        for group in self.groups:
            value = self.cleaned_data.get(f"group_{group.code}") or []
            codes += [value] if isinstance(value, str) else list(value)
        return codes

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
