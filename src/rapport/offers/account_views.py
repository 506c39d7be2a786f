"""The Customize pages of one account: its "Configurations & prices" page, each standard
configuration (versions, review, reorder), its price agreements and own catalog, and each
quote or order with its prices explained."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.errors import ApplicationError
from rapport.core.requests import AuthenticatedRequest
from rapport.offers import selectors, services
from rapport.offers.forms import (
    AgreementForm,
    CatalogEntryForm,
    ConfigurationEditForm,
    DeclineForm,
    DueFilterForm,
    ReminderForm,
    ReorderForm,
    StandardConfigurationForm,
    options_initial,
)
from rapport.offers.models import OrderStatus, StandardConfiguration
from rapport.valuation import selectors as valuation_selectors
from rapport.web.kit import form_submit, id_param, writer_required

ORDERS_SHOWN = 50
CARD_ROWS = 5
DUE_SHOWN_DAYS = 30  # the account page's card looks a month ahead


def _units_at_or_below(user: Any, account: Account) -> list[Account]:
    return [
        unit
        for unit in account_selectors.units_for_select(user=user, account=account)
        if unit.path.startswith(account.path)
    ]


@login_required
@require_GET
def account_offers(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """What the unit buys and at what price: configurations, agreements, catalog, orders."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    entries = selectors.catalog_entries_for(user=user, account=account)
    context: dict[str, Any] = {
        "account": account,
        "ancestors": account_selectors.account_ancestors(user=user, account=account),
        "configurations": selectors.configurations_for(user=user, account=account),
        "agreements": selectors.agreements_for(user=user, account=account),
        "entries": entries,
        "orders": selectors.order_list(user=user, account=account, limit=ORDERS_SHOWN),
        "today": timezone.localdate(),
    }
    if access.can(user, access.Capability.SEE_INTERNAL_SIDE):
        context["treatment"] = selectors.treatment_for(user=user, account=account)
    if access.can(user, access.Capability.AGREE_PRICES):
        context["entry_form"] = CatalogEntryForm(
            products=selectors.products_buyable(user=user, account=account)
            if not entries
            else selectors.products_buyable(user=user, account=account.customer or account),
            categories=valuation_selectors.product_category_list(),
        )
    return render(request, "offers/account_offers.html", context)


@login_required
@writer_required
@require_POST
def configuration_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Save the configurator's choice of a product as a standard configuration of a unit
    of the organisation it was configured for (`for`)."""
    user = request.user
    product = selectors.product_for_account(user=user, pk=pk)
    account = account_selectors.account_get(
        user=user, pk=id_param(request.POST.get("for", ""), "account") or 0
    )
    form = StandardConfigurationForm(
        request.POST,
        units=account_selectors.units_for_select(user=user, account=account),
        product=product,
    )
    sent = form_submit(
        form,
        lambda: services.configuration_create(
            actor=user,
            account=form.cleaned_data["account"],
            name=form.cleaned_data["name"],
            product=product,
            options=form.cleaned_data["options"],
            quantity=form.cleaned_data["quantity"],
            buying_role=form.cleaned_data["buying_role"],
            location=form.cleaned_data["location"],
            notes=form.cleaned_data["notes"],
        ),
    )
    if sent.done:
        messages.success(
            request, f"{sent.saved.name} is a standard configuration of {sent.saved.account.name}."
        )
        return redirect("offers:configuration_detail", pk=sent.saved.pk)
    context = {"account": account, "product": product, "form": form}
    return render(request, "offers/configuration_refused.html", context, status=sent.status)


def _plain(quantity: Any) -> str:
    """5 rather than 5.000 in a form."""
    return format(quantity.normalize(), "f")


def _effective(user: Any, configuration: StandardConfiguration) -> Any:
    """The configuration as its own unit sees it, with what it needs reviewed."""
    for entry in selectors.configurations_for(user=user, account=configuration.account):
        if entry.configuration.pk == configuration.pk:
            return entry
    return None


def _edit_form(configuration: StandardConfiguration, data: Any = None) -> ConfigurationEditForm:
    """The form that changes a configuration, its options ticked as they stand."""
    product = selectors.product_with_options(pk=configuration.product_id)
    form = ConfigurationEditForm(
        data,
        product=product,
        initial={
            "version": configuration.version,
            "name": configuration.name,
            "quantity": _plain(configuration.quantity),
            "buying_role": configuration.buying_role,
            "location": configuration.location,
            "notes": configuration.notes,
        },
    )
    form.initial.update(options_initial(form.groups, list(configuration.options)))
    return form


def _configuration_context(
    request: AuthenticatedRequest, configuration: StandardConfiguration, **forms: Any
) -> dict[str, Any]:
    user = request.user
    unit = configuration.account
    effective = _effective(user, configuration)
    [priced] = selectors.price_lines(
        user=user,
        account=unit,
        lines=[
            selectors.LineRequest(
                configuration.product_id, tuple(configuration.options), configuration.quantity
            )
        ],
    )
    units = _units_at_or_below(user, unit)
    return {
        "configuration": configuration,
        "account": unit,
        "ancestors": account_selectors.account_ancestors(user=user, account=unit),
        "effective": effective,
        "priced": priced,
        "versions": selectors.configuration_versions(user=user, configuration=configuration),
        "reorder_form": forms.get("reorder_form")
        or ReorderForm(
            units=units, initial={"account": unit, "quantity": _plain(configuration.quantity)}
        ),
        "edit_form": forms.get("edit_form") or _edit_form(configuration),
    }


@login_required
@require_GET
def configuration_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A standard configuration: its price today, what it was built on, every version."""
    configuration = selectors.configuration_get(user=request.user, pk=pk)
    return render(
        request, "offers/configuration_detail.html", _configuration_context(request, configuration)
    )


@login_required
@writer_required
@require_POST
def configuration_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Change a configuration: a new version, with why; a stale save is refused."""
    user = request.user
    configuration = selectors.configuration_get(user=user, pk=pk)
    form = _edit_form(configuration, request.POST)

    def write() -> StandardConfiguration:
        changes = {
            name: form.cleaned_data[name]
            for name in ("name", "quantity", "buying_role", "location", "notes")
        }
        changes["options"] = form.chosen()
        if form.cleaned_data["recite"]:
            # each superseded fact it cites gives way to the one now current (a fact
            # retracted with nothing in its place is dropped)
            effective = _effective(user, configuration)
            now = {r.cited.pk: r.current for r in (effective.reviews if effective else ())}
            changes["sources"] = [
                now[c.fact_id].pk if c.fact_id in now else c.fact_id
                for c in configuration.citations.all()
                if c.fact_id not in now or now[c.fact_id] is not None
            ]
        return services.configuration_update(
            actor=user,
            configuration=configuration,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
            **changes,
        )

    sent = form_submit(form, write)
    if sent.done:
        messages.success(request, f"{configuration.name} was saved as a new version.")
        return redirect("offers:configuration_detail", pk=pk)
    configuration = selectors.configuration_get(user=user, pk=pk)
    context = _configuration_context(request, configuration, edit_form=form)
    return render(request, "offers/configuration_detail.html", context, status=sent.status)


@login_required
@writer_required
@require_POST
def configuration_reorder(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Reorder in one step (or quote, with `quote` sent): the order page follows."""
    user = request.user
    configuration = selectors.configuration_get(user=user, pk=pk)
    form = ReorderForm(request.POST, units=_units_at_or_below(user, configuration.account))
    quote = "quote" in request.POST

    def write() -> Any:
        unit, quantity = form.cleaned_data["account"], form.cleaned_data["quantity"]
        if quote:
            return services.quote_create(
                actor=user,
                account=unit,
                lines=[
                    selectors.LineRequest(
                        configuration.product_id, tuple(configuration.options), quantity
                    )
                ],
                origin="configuration",
                configuration=configuration,
            )
        return services.configuration_reorder(
            actor=user, configuration=configuration, account=unit, quantity=quantity
        )

    sent = form_submit(form, write)
    if sent.done:
        order = sent.saved
        done = "quoted" if quote else "ordered"
        messages.success(request, f"{configuration.name} {done}: {order.number}.")
        return redirect("offers:order_detail", pk=order.pk)
    context = _configuration_context(request, configuration, reorder_form=form)
    return render(request, "offers/configuration_detail.html", context, status=sent.status)


@login_required
@writer_required
@require_POST
def configuration_retire(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Retire a configuration (orders made from it keep pointing at it)."""
    user = request.user
    configuration = selectors.configuration_get(user=user, pk=pk)
    services.configuration_delete(actor=user, configuration=configuration, reason="retired")
    messages.success(request, f"{configuration.name} was retired.")
    return redirect("offers:account_offers", pk=configuration.account_id)


@login_required
@require_http_methods(["GET", "POST"])
def agreement_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Agree a unit's own price for a product (managers and admins)."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    access.ensure(user, access.Capability.AGREE_PRICES)
    form = AgreementForm(
        request.POST if request.method == "POST" else None,
        products=selectors.products_buyable(user=user, account=account),
        initial={"valid_from": timezone.localdate(), "kind": "discount"},
    )
    sent = form_submit(
        form,
        lambda: services.price_agreement_create(actor=user, account=account, **form.cleaned_data),
    )
    if sent.done:
        messages.success(request, f"Agreement #{sent.saved.pk} holds for {account.name}.")
        return redirect("offers:account_offers", pk=account.pk)
    context = {
        "form": form,
        "account": account,
        "ancestors": account_selectors.account_ancestors(user=user, account=account),
    }
    return render(request, "offers/agreement_form.html", context, status=sent.status)


@login_required
@require_POST
def agreement_end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Withdraw an agreement."""
    agreement = selectors.agreement_get(user=request.user, pk=pk)
    services.price_agreement_end(actor=request.user, agreement=agreement)
    messages.success(request, f"Agreement #{agreement.pk} was withdrawn.")
    return redirect("offers:account_offers", pk=agreement.account_id)


@login_required
@require_POST
def catalog_entry_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Put a product or a category on the unit's own catalog."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    access.ensure(user, access.Capability.AGREE_PRICES)
    form = CatalogEntryForm(
        request.POST,
        products=selectors.products_buyable(user=user, account=account.customer or account),
        categories=valuation_selectors.product_category_list(),
    )
    if form.is_valid():
        try:
            services.catalog_entry_add(
                actor=user,
                account=account,
                product=form.cleaned_data["product"],
                category=form.cleaned_data["category"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{account.name}'s own catalog was changed.")
    else:
        messages.error(request, "Choose a product or a category.")
    return redirect(reverse("offers:account_offers", args=[account.pk]) + "#own-catalog")


@login_required
@require_POST
def catalog_entry_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Take a product or category off a unit's own catalog."""
    entry = selectors.catalog_entry_get(user=request.user, pk=pk)
    services.catalog_entry_remove(actor=request.user, entry=entry)
    messages.success(request, f"{entry} is off {entry.account.name}'s own catalog.")
    return redirect(reverse("offers:account_offers", args=[entry.account_id]) + "#own-catalog")


@login_required
@require_GET
def order_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A quote or an order: each item at its frozen price, and how the price was reached."""
    user = request.user
    order = selectors.order_get(user=user, pk=pk)
    context = {
        "order": order,
        "account": order.account,
        "ancestors": account_selectors.account_ancestors(user=user, account=order.account),
        "decline_form": DeclineForm(),
        "is_quote": order.status == OrderStatus.QUOTE,
    }
    return render(request, "offers/order_detail.html", context)


@login_required
@writer_required
@require_POST
def order_decide(request: AuthenticatedRequest, pk: int, decision: str) -> HttpResponse:
    """The customer accepts or declines a quote."""
    user = request.user
    order = selectors.order_get(user=user, pk=pk)
    try:
        if decision == "accept":
            services.quote_accept(actor=user, order=order)
            messages.success(
                request, f"{order.number} is an order now: its lines are on the account."
            )
        else:
            form = DeclineForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.quote_decline(actor=user, order=order, reason=reason)
            messages.success(request, f"{order.number} was declined.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("offers:order_detail", pk=order.pk)


def account_card(request: AuthenticatedRequest, account: Account) -> dict[str, Any]:
    """Where the account page's "In use" card comes from (drawn after first paint)."""
    return {"offers_card_url": reverse("offers:account_in_use", args=[account.pk])}


@login_required
@require_GET
def account_in_use(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The account page's card: the configurations that hold here, what needs review, the
    last orders (htmx loads it after the page, so the page's own queries stay the same)."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    configurations = selectors.configurations_for(user=user, account=account)
    context = {
        "account": account,
        "configurations": configurations[:CARD_ROWS],
        "more": max(len(configurations) - CARD_ROWS, 0),
        "reviews": sum(1 for entry in configurations if entry.needs_review),
        "orders": selectors.order_list(user=user, account=account, limit=3).items,
    }
    if access.can(user, access.Capability.SEE_INTERNAL_SIDE):
        context["treatment"] = selectors.treatment_for(user=user, account=account)
        context["due"] = selectors.due_to_reorder(
            user=user, customer=account, within_days=DUE_SHOWN_DAYS, limit=CARD_ROWS
        )
    return render(request, "offers/_in_use.html", context)


@login_required
@require_GET
def replenishment_list(request: AuthenticatedRequest) -> HttpResponse:
    """Organisations due to reorder from a category soon, most valuable first."""
    user = request.user
    form = DueFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_bound and form.is_valid() else {}
    within = params.get("within_days")
    category = params.get("category")
    due = selectors.due_to_reorder(
        user=user,
        within_days=14 if within is None else within,
        category_id=category.pk if category else None,
    )
    context = {
        "due": due,
        "form": form if form.is_bound else DueFilterForm(initial={"within_days": 14}),
        "last_run": selectors.replenishment_last_run(),
        "today": timezone.localdate(),
    }
    return render(
        request, "offers/replenishment_list.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def replenishment_run(request: AuthenticatedRequest) -> HttpResponse:
    """Predict again (managers and admins): the worker carries it out."""
    run = services.replenishment_request(actor=request.user)
    messages.success(request, f"The replenishment model runs again (run {run.pk}).")
    return redirect("offers:replenishment_list")


REMINDER_CONTACTS = 500


@login_required
@require_http_methods(["GET", "POST"])
def replenishment_remind(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Remind one of the organisation's people that a reorder is due (consent checked)."""
    user = request.user
    forecast = selectors.forecast_get(user=user, pk=pk)
    access.ensure(user, access.Capability.ACT_FOR_US)
    contacts = account_selectors.contact_choices(user=user, account=forecast.customer)
    # the organisation's treatment names the channel to reach it on, when it names one
    treatment = selectors.treatment_for(user=user, account=forecast.customer)
    form = ReminderForm(
        request.POST if request.method == "POST" else None,
        contacts=contacts[:REMINDER_CONTACTS],
        initial={"channel": treatment.channel.value} if treatment.channel.is_set else {},
    )
    sent = form_submit(
        form,
        lambda: services.reorder_remind(
            actor=user,
            forecast=forecast,
            contact=form.cleaned_data["contact"],
            channel=form.cleaned_data["channel"],
            note=form.cleaned_data["note"],
            override_reason=form.cleaned_data["override_reason"],
        ),
    )
    if sent.done:
        messages.success(request, f"Reminder logged on {forecast.customer.name}'s timeline.")
        return redirect("offers:replenishment_list")
    context = {
        "form": form,
        "forecast": forecast,
        "treatment": treatment,
        "configurations": selectors.configurations_in_category(
            user=user, customer_id=forecast.customer_id, category_id=forecast.category_id
        ),
    }
    return render(request, "offers/reminder_form.html", context, status=sent.status)
