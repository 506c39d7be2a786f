"""Pages of the value records: an account's orders and contracts, and the forms that add them.

The wallet-estimate and judgement forms are htmx partials other pages embed (the account's
Value tab): `valuation/_wallet_form.html` and `valuation/_judgement_form.html`, filled by
`wallet_form_context` / `judgement_form_context`, or fetched with hx-get from their URLs.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.access import Capability
from rapport.core.errors import InvalidInput
from rapport.core.money import currency
from rapport.core.pagination import Page
from rapport.core.requests import AuthenticatedRequest, safe_next
from rapport.valuation import selectors, services
from rapport.valuation.forms import (
    CancelForm,
    JudgementForm,
    OrderLineForm,
    SubscriptionForm,
    WalletEstimateForm,
)
from rapport.valuation.models import CategoryShare, OrderLine
from rapport.web.kit import form_submit, is_fragment, writer_required

ORDER_PAGE = 25


def _subtree_units(user: Any, account: Account) -> list[Account]:
    """The account and every visible unit below it, in tree order, for the unit picker."""
    units = account_selectors.units_for_select(user=user, account=account)
    return [u for u in units if u.path.startswith(account.path)]


def _orders_url(account: Account) -> str:
    return reverse("valuation:account_orders", args=[account.pk])


def _done(request: AuthenticatedRequest, target: str) -> HttpResponse:
    """After a write: htmx follows HX-Redirect (the embedding page reloads), others redirect."""
    if is_fragment(request):
        return HttpResponse(status=204, headers={"HX-Redirect": target})
    return redirect(target)


# --- the "Orders & contracts" page ------------------------------------------------------


@login_required
@require_GET
def account_orders(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Order lines rolled up the account's subtree, its contracts and its last 12 months."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    page: Page[OrderLine] = selectors.order_line_list(
        user=user, account=account, cursor=request.GET.get("cursor") or None, limit=ORDER_PAGE
    )
    context: dict[str, Any] = {
        "account": account,
        "page": page,
        "next_url": f"{_orders_url(account)}?cursor={page.next_cursor}"
        if page.next_cursor
        else None,
    }
    if is_fragment(request) and request.GET.get("cursor"):
        return render(request, "valuation/_order_rows.html", context)
    context.update(
        totals=selectors.order_totals(user=user, account=account),
        contracts=selectors.account_contracts(user=user, account=account),
        ancestors=account_selectors.account_ancestors(user=user, account=account),
        cancel_form=CancelForm(),
    )
    return render(request, "valuation/account_orders.html", context)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def order_line_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Add an order line to the account or one of its units."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    form = OrderLineForm(
        request.POST if request.method == "POST" else None,
        units=_subtree_units(user, account),
        categories=selectors.product_category_list(),
        initial={"account": account},
    )
    sent = form_submit(
        form, lambda: services.order_line_create(actor=user, **form.service_arguments())
    )
    if sent.done:
        line = sent.saved
        messages.success(request, f"Recorded {line.product} on {line.ordered_on:%-d %b %Y}.")
        return redirect(_orders_url(account))
    context = {"account": account, "form": form, "kind": "order"}
    return render(request, "valuation/record_form.html", context, status=sent.status)


@login_required
@writer_required
@require_POST
def order_line_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Soft-delete an order line; it leaves the totals."""
    line = selectors.order_line_get(user=request.user, pk=pk)
    services.order_line_delete(actor=request.user, line=line)
    messages.success(request, f"Removed {line.product} of {line.ordered_on:%-d %b %Y}.")
    return redirect(safe_next(request) or _orders_url(line.account))


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def subscription_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Add a subscription or service contract to the account or one of its units."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    form = SubscriptionForm(
        request.POST if request.method == "POST" else None,
        units=_subtree_units(user, account),
        categories=selectors.product_category_list(),
        initial={"account": account},
    )
    sent = form_submit(
        form, lambda: services.subscription_create(actor=user, **form.service_arguments())
    )
    if sent.done:
        subscription = sent.saved
        messages.success(request, f"Recorded {subscription.name}.")
        return redirect(_orders_url(account))
    context = {"account": account, "form": form, "kind": "subscription"}
    return render(request, "valuation/record_form.html", context, status=sent.status)


@login_required
@writer_required
@require_POST
def subscription_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Cancel a subscription (it stays on record, cancelled)."""
    subscription = selectors.subscription_get(user=request.user, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        raise InvalidInput("Enter the cancellation date as YYYY-MM-DD.", field="cancelled_on")
    services.subscription_cancel(
        actor=request.user,
        subscription=subscription,
        cancelled_on=form.cleaned_data["cancelled_on"],
    )
    messages.success(request, f"Cancelled {subscription.name}.")
    return redirect(safe_next(request) or _orders_url(subscription.account))


# --- wallet estimates and judgements: partials for the Value tab ------------------------


def wallet_form_context(
    *, user: Any, account: Account, form: WalletEstimateForm | None = None, next_url: str = ""
) -> dict[str, Any]:
    """The context `valuation/_wallet_form.html` needs (two queries: categories, people)."""
    return {
        "account": account,
        "wallet_form": form
        or WalletEstimateForm(
            categories=selectors.product_category_list(),
            people=account_selectors.contact_choices(user=user, account=account),
        ),
        "next": next_url,
    }


def judgement_form_context(
    *, user: Any, account: Account, form: JudgementForm | None = None, next_url: str = ""
) -> dict[str, Any]:
    """The context `valuation/_judgement_form.html` needs (one query: the current judgement)."""
    current = selectors.judgement_current(user=user, account=account)
    return {
        "account": account,
        "organisation": selectors.organisation_of(account),
        "judgement_form": form
        or JudgementForm(initial={"score": current.score} if current else None),
        "current_judgement": current,
        "next": next_url,
    }


def _partial_or_page(
    request: AuthenticatedRequest, partial: str, context: dict[str, Any], status: int
) -> HttpResponse:
    if is_fragment(request):
        # 422: htmx swaps a form re-rendered with its errors like a success.
        return render(request, partial, context, status=422 if status >= 400 else status)
    context["partial"] = partial
    return render(request, "valuation/partial_page.html", context, status=status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def wallet_estimate_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record a customer-said or rep-estimated wallet for one category of the account."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    default_next = safe_next(request) or _orders_url(account)
    form = WalletEstimateForm(
        request.POST if request.method == "POST" else None,
        categories=selectors.product_category_list(),
        people=account_selectors.contact_choices(user=user, account=account),
    )
    sent = form_submit(
        form,
        lambda: services.wallet_estimate_record(actor=user, account=account, **form.cleaned_data),
    )
    if sent.done:
        estimate = sent.saved
        messages.success(
            request,
            f"Recorded the {estimate.category.name} wallet of {account.name} "
            f"({estimate.get_source_display().lower()}).",
        )
        return _done(request, default_next)
    context = wallet_form_context(user=user, account=account, form=form, next_url=default_next)
    context["title"] = f"Wallet estimate · {account.name}"
    return _partial_or_page(request, "valuation/_wallet_form.html", context, sent.status)


@login_required
@require_http_methods(["GET", "POST"])
def judgement_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A manager's judgement (0 to 100, with the reason) of the account's organisation."""
    user = request.user
    access.ensure(user, Capability.JUDGE_VALUE)
    account = account_selectors.account_get(user=user, pk=pk)
    organisation = selectors.organisation_of(account)
    default_next = safe_next(request) or _orders_url(account)
    form = JudgementForm(request.POST if request.method == "POST" else None)
    sent = form_submit(
        form,
        lambda: services.judgement_record(actor=user, customer=organisation, **form.cleaned_data),
    )
    if sent.done:
        messages.success(request, f"Recorded your judgement of {organisation.name}.")
        return _done(request, default_next)
    context = judgement_form_context(
        user=user, account=account, form=form if form.is_bound else None, next_url=default_next
    )
    context["title"] = f"Judgement · {organisation.name}"
    return _partial_or_page(request, "valuation/_judgement_form.html", context, sent.status)


# --- the account's Value tab ----------------------------------------------------------
# Values live on the organisation; a unit's tab shows its organisation's, and says so. The
# page asks a constant number of queries: the account, its ancestors, five for the value
# card, one for the wallets, and those of the embedded wallet and judgement forms.

OURS_COLOUR = "#4f46e5"
REST_COLOUR = "#cbd5e1"


def share_chart(shares: list[CategoryShare]) -> dict[str, Any] | None:
    """ECharts option: per category with a wallet, our revenue and the rest of their wallet."""
    known = [share for share in shares if share.wallet is not None]
    if not known:
        return None
    ours = [
        {
            "value": round(float(share.revenue_12m)),
            "name": f"{share.category.name}: {round((share.share or 0) * 100)}%",
        }
        for share in known
    ]
    # The share sits past the end of the whole bar in dark text, as on Differentiate.
    rest = [
        {
            "value": max(round(float(share.wallet or 0) - float(share.revenue_12m)), 0),
            "name": f"{round((share.share or 0) * 100)}%",
        }
        for share in known
    ]
    money_format = f"money:{currency()}"
    return {
        "tooltip": {
            "trigger": "axis",
            "axisPointer": {"type": "shadow"},
            "valueFormatter": money_format,
        },
        "legend": {"bottom": 0},
        "grid": {"left": 16, "right": 48, "top": 16, "bottom": 48, "containLabel": True},
        "xAxis": {"type": "value", "axisLabel": {"formatter": money_format}},
        "yAxis": {"type": "category", "data": [s.category.name for s in known], "inverse": True},
        "series": [
            {
                "type": "bar",
                "name": "Ours",
                "stack": "wallet",
                "data": ours,
                "itemStyle": {"color": OURS_COLOUR, "borderRadius": 0},
                "barMaxWidth": 28,
            },
            {
                "type": "bar",
                "name": "Rest of their wallet",
                "stack": "wallet",
                "data": rest,
                "itemStyle": {"color": REST_COLOUR, "borderRadius": 0},
                "label": {
                    "show": True,
                    "position": "right",
                    "formatter": "{b}",
                    "color": "#334155",
                },
                "barMaxWidth": 28,
            },
        ],
    }


@login_required
@require_GET
def account_value(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The Value tab of an account (a unit shows its organisation's value)."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    access.ensure(user, Capability.SEE_INTERNAL_SIDE)
    card = selectors.value_card(user=user, account=account)
    organisation = card.organisation
    context: dict[str, Any] = {
        "account": account,
        "card": card,
        "value": card.value,
        "ancestors": account_selectors.account_ancestors(user=user, account=account),
        "wallets": selectors.account_wallets(user=user, account=organisation),
        "chart": share_chart(card.shares),
        "chart_height": 72 + 40 * sum(1 for share in card.shares if share.wallet is not None),
    }
    if access.can(user, Capability.WRITE_CUSTOMER_DATA):
        context.update(wallet_form_context(user=user, account=organisation, next_url=request.path))
    if access.can(user, Capability.JUDGE_VALUE):
        context.update(
            judgement_form_context(user=user, account=organisation, next_url=request.path)
        )
    context["account"] = account
    return render(request, "valuation/account_value.html", context)
