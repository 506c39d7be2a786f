"""The account's Value tab: what the organisation is worth, could be worth, and what to do.

Values live on the organisation; a unit's tab shows its organisation's, and says so. The
page is our staff's view (as wallets and judgements are). It issues a constant number of
queries: the account, its ancestors, five for the value card, one for the wallets, and
those of the embedded wallet and judgement forms.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rapport.accounts import selectors as account_selectors
from rapport.core import access
from rapport.core.access import Capability
from rapport.core.requests import AuthenticatedRequest
from rapport.valuation import results, selectors
from rapport.valuation.models import CategoryShare
from rapport.valuation.views import judgement_form_context, wallet_form_context

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
    rest = [max(round(float(share.wallet or 0) - float(share.revenue_12m)), 0) for share in known]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0},
        "grid": {"left": 16, "right": 24, "top": 16, "bottom": 48, "containLabel": True},
        "xAxis": {"type": "value"},
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
    card = results.value_card(user=user, account=account)
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
