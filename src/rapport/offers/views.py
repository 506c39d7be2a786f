"""Catalog pages: the product list, and each product with a configurator that judges and
prices a configuration as options are ticked (htmx)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rapport.accounts.forms import read_query
from rapport.core.requests import AuthenticatedRequest
from rapport.offers import selectors
from rapport.offers.forms import ConfigurationForm, ProductFilterForm
from rapport.valuation import selectors as valuation_selectors


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
    next_url = ""
    if page.next_cursor:
        query = {k: v for k, v in params.items() if v and k != "cursor"}
        next_url = "?" + urlencode({**query, "cursor": page.next_cursor})
    context: dict[str, Any] = {
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


def _verdict(request: AuthenticatedRequest, pk: int) -> dict[str, Any]:
    product = selectors.product_get(user=request.user, pk=pk)
    bound = bool(request.GET)
    form = ConfigurationForm(request.GET if bound else None, product=product)
    checked = None
    if bound and form.is_valid():
        checked = selectors.configuration_check(
            product=product,
            chosen=form.chosen(),
            quantity=form.cleaned_data["quantity"],
            customer_categories=form.customer_categories(),
            on=timezone.localdate(),
        )
    return {"product": product, "form": form, "checked": checked}


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
