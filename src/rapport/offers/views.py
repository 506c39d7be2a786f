"""Catalog pages: the product list, and each product with a configurator that judges and
prices a configuration as options are ticked (htmx)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from rapport.accounts import selectors as account_selectors
from rapport.accounts.forms import read_query
from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.requests import AuthenticatedRequest
from rapport.offers import selectors, services
from rapport.offers.forms import (
    ConfigurationForm,
    ProductFilterForm,
    ProductForm,
    StandardConfigurationForm,
)
from rapport.valuation import selectors as valuation_selectors
from rapport.web.kit import form_submit, id_param


@login_required
@require_GET
def product_list(request: AuthenticatedRequest) -> HttpResponse:
    """The catalog by name; search by name or SKU, filter by category; more as you scroll."""
    params = read_query(ProductFilterForm(request.GET))
    page = selectors.product_list(
        user=request.user,
        q=params["q"],
        category_id=params["category"],
        cursor=params["cursor"] or None,
        limit=50,
    )
    customer = _customer(request)
    next_url = ""
    if page.next_cursor:
        query = {k: v for k, v in params.items() if v and k != "cursor"}
        if customer is not None:
            query["for"] = customer.pk
        next_url = "?" + urlencode({**query, "cursor": page.next_cursor})
    context: dict[str, Any] = {
        "customer": customer,
        "products": page.items,
        "next_url": next_url,
        "q": params["q"],
        "category": params["category"],
        "categories": valuation_selectors.product_category_list(),
        "today": timezone.localdate(),
    }
    if params["cursor"] and request.headers.get("HX-Request"):
        return render(request, "offers/_product_rows.html", context)
    return render(request, "offers/product_list.html", context)


def _customer(request: AuthenticatedRequest) -> Account | None:
    """The account the configurator works for (`?for=`), priced at its own terms."""
    pk = id_param(request.GET.get("for", ""), "account")
    return account_selectors.account_get(user=request.user, pk=pk) if pk else None


def _verdict(request: AuthenticatedRequest, pk: int) -> dict[str, Any]:
    product = selectors.product_get(user=request.user, pk=pk)
    customer = _customer(request)
    bound = bool(set(request.GET) - {"for"})
    form = ConfigurationForm(request.GET if bound else None, product=product)
    context: dict[str, Any] = {"product": product, "form": form, "customer": customer}
    if not (bound and form.is_valid()):
        return context
    if customer is None:
        context["checked"] = selectors.configuration_check(
            product=product,
            chosen=form.chosen(),
            quantity=form.cleaned_data["quantity"],
            customer_categories=form.customer_categories(),
            on=timezone.localdate(),
        )
        return context
    [priced] = selectors.price_lines(
        user=request.user,
        account=customer,
        lines=[
            selectors.LineRequest(product.pk, tuple(form.chosen()), form.cleaned_data["quantity"])
        ],
    )
    context["priced"] = priced
    if priced.valid and access.can(request.user, access.Capability.WRITE_CUSTOMER_DATA):
        context["save_form"] = StandardConfigurationForm(
            units=account_selectors.units_for_select(user=request.user, account=customer),
            product=product,
            initial={
                "account": customer,
                "options": list(priced.chosen),
                "quantity": priced.quantity,
            },
        )
    return context


@login_required
@require_GET
def product_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A product, its options and rules, and the configurator (judged when submitted)."""
    context = _verdict(request, pk)
    status = 400 if context["form"].is_bound and not context["form"].is_valid() else 200
    return render(request, "offers/product_detail.html", context, status=status)


@login_required
@require_GET
def product_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """htmx fragment: the configurator's verdict on the options ticked, and its price."""
    context = _verdict(request, pk)
    status = 400 if context["form"].is_bound and not context["form"].is_valid() else 200
    return render(request, "offers/_verdict.html", context, status=status)


def _may_manage(request: AuthenticatedRequest) -> None:
    access.ensure(request.user, access.Capability.BROWSE_CATALOG, not_found="page not found")
    access.ensure(request.user, access.Capability.MANAGE_CATALOG)


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: AuthenticatedRequest) -> HttpResponse:
    """Add a product to the catalog (managers and admins)."""
    _may_manage(request)
    form = ProductForm(
        request.POST if request.method == "POST" else None,
        categories=valuation_selectors.product_category_list(),
    )
    sent = form_submit(
        form, lambda: services.product_create(actor=request.user, **form.service_arguments())
    )
    if sent.done:
        messages.success(request, f"{sent.saved.name} is in the catalog.")
        return redirect("offers:product_detail", pk=sent.saved.pk)
    return render(request, "offers/product_form.html", {"form": form}, status=sent.status)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Change a product's own fields; a stale save is refused, showing who changed what."""
    _may_manage(request)
    product = selectors.product_get(user=request.user, pk=pk)
    form = ProductForm(
        request.POST if request.method == "POST" else None,
        categories=valuation_selectors.product_category_list(),
        editing=True,
        initial=ProductForm.initial_for(product),
    )
    sent = form_submit(
        form,
        lambda: services.product_update(
            actor=request.user,
            product=product,
            expected_version=form.cleaned_data["version"],
            **form.service_arguments(),
        ),
    )
    if sent.done:
        messages.success(request, f"{product.name} was saved.")
        return redirect("offers:product_detail", pk=product.pk)
    context = {"form": form, "product": product}
    return render(request, "offers/product_form.html", context, status=sent.status)
