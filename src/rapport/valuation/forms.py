"""Forms of the value pages. Pickers hold rows fetched by scoped selectors; services validate."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms

from rapport.accounts.forms import unit_label
from rapport.accounts.models import Account, Contact
from rapport.valuation.models import BillingPeriod, WalletSource
from rapport.web.kit import ObjectChoiceField

if TYPE_CHECKING:
    # annotations only: offers (the catalog) is a layer above valuation
    from rapport.offers.models import ProductCategory

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _money(label: str, *, required: bool = True, minimum: Decimal | None = Decimal(0), **kw: Any):
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=16,
        decimal_places=2,
        min_value=minimum,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        **kw,
    )


class _UnitAndCategory(forms.Form):
    """The unit (among the account's subtree) and the product category."""

    def __init__(
        self,
        *args: Any,
        units: Sequence[Account],
        categories: Sequence[ProductCategory],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        top = min((u.depth for u in units), default=1)
        self.fields = {
            "account": ObjectChoiceField(
                label="Unit",
                objects=units,
                label_from=lambda u: unit_label(u, top),
                empty_label=None,
            ),
            "category": ObjectChoiceField(
                label="Product category", objects=categories, empty_label="—"
            ),
            **self.fields,
        }


class OrderLineForm(_UnitAndCategory):
    """One line of one order."""

    ordered_on = forms.DateField(label="Ordered on", widget=DATE)
    product = forms.CharField(max_length=200)
    quantity = forms.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0.001"), initial=Decimal(1)
    )
    revenue = _money("Revenue", minimum=None, help_text="Net, after discount.")
    cost = _money("Cost", required=False, help_text="Cost of goods sold.")
    discount = _money("Discount", required=False, help_text="Off the list price.")
    order_ref = forms.CharField(label="Order number", max_length=64, required=False)

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["cost"] = data.get("cost") or Decimal(0)
        data["discount"] = data.get("discount") or Decimal(0)
        return data


class SubscriptionForm(_UnitAndCategory):
    """A subscription or service contract."""

    name = forms.CharField(max_length=200, help_text="What is subscribed to, or the contract.")
    started_on = forms.DateField(label="Starts", widget=DATE)
    ends_on = forms.DateField(
        label="Term ends", widget=DATE, required=False, help_text="Empty for open-ended."
    )
    renewal_on = forms.DateField(label="Renewal decision", widget=DATE, required=False)
    billing_period = forms.ChoiceField(choices=BillingPeriod.choices, initial=BillingPeriod.MONTH)
    recurring_revenue = _money("Recurring revenue", help_text="Per billing period.")
    recurring_cost = _money("Recurring cost", required=False, help_text="Per billing period.")

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["recurring_cost"] = data.get("recurring_cost") or Decimal(0)
        return data


class CancelForm(forms.Form):
    cancelled_on = forms.DateField(label="Cancelled on", widget=DATE, required=False)


class WalletEstimateForm(forms.Form):
    """What the account spends a year in one category, with us and everyone else."""

    category = ObjectChoiceField(label="Product category", empty_label="—")
    annual_amount = _money(
        "Annual wallet", help_text="Their yearly spend in the category, with all."
    )
    source = forms.ChoiceField(
        choices=[c for c in WalletSource.choices if c[0] != WalletSource.MODELLED],
        label="Source",
        help_text="Modelled figures come from the value recompute.",
    )
    said_by = ObjectChoiceField(
        label="Said by",
        empty_label="— not known —",
        required=False,
        label_from=lambda c: f"{c.full_name}{f' · {c.title}' if c.title else ''}",
        help_text="For a figure the customer said: who said it.",
    )
    note = forms.CharField(
        max_length=500, required=False, help_text="How the figure was arrived at."
    )

    def __init__(
        self,
        *args: Any,
        categories: Sequence[ProductCategory],
        people: Sequence[Contact],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(ObjectChoiceField, self.fields["category"]).set_objects(categories)
        cast(ObjectChoiceField, self.fields["said_by"]).set_objects(people)


class JudgementForm(forms.Form):
    """A manager's judgement of the organisation's strategic value."""

    score = forms.IntegerField(
        min_value=0,
        max_value=100,
        help_text="0: nothing beyond the numbers · 100: must win at any cost.",
    )
    reason = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Required: say why."
    )
