"""Pages: the Differentiate page (the portfolio pictures and the needs segments), a segment,
and an account's needs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from rapport.accounts import selectors as account_selectors
from rapport.core import access
from rapport.core.money import currency, money_text
from rapport.core.requests import AuthenticatedRequest
from rapport.needs import pictures, selectors, services
from rapport.valuation.models import Tier

TIER_COLORS = {
    Tier.MOST_VALUABLE: "#16a34a",
    Tier.MOST_GROWABLE: "#4f46e5",
    Tier.MAINTAIN: "#0891b2",
    Tier.BELOW_ZERO: "#dc2626",
}
GRID = {"left": 56, "right": 24, "top": 36, "bottom": 48, "containLabel": True}


def money(value: float | None) -> str:
    """A money figure as the UI shows it: whole units, thousands separators, the currency."""
    return money_text(value)


def money_format() -> str:
    """The name charts.js reads as "an amount in the deployment's currency" (axes, tooltips)."""
    return f"money:{currency()}"


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def _account_url(pk: int) -> str:
    return reverse("accounts:account_detail", args=[pk])


# --- chart options (plain JSON for charts.js; no functions) ------------------------------


def concentration_chart(c: pictures.Concentration, measure_label: str) -> dict[str, Any]:
    """The Lorenz / Pareto curve: share of value against share of accounts, most valuable first."""
    top20 = c.share_of_top_percent(20)
    curve = [[round(x * 100, 2), round(y * 100, 2)] for x, y in c.curve]
    series: list[dict[str, Any]] = [
        {
            "type": "line",
            "name": f"Share of {measure_label.lower()}",
            "data": curve,
            "showSymbol": False,
            "smooth": False,
            "areaStyle": {"opacity": 0.12},
            "lineStyle": {"width": 2.5},
        },
        {
            "type": "line",
            "name": "Every account alike",
            "data": [[0, 0], [100, 100]],
            "showSymbol": False,
            "lineStyle": {"type": "dashed", "width": 1, "color": "#94a3b8"},
            "itemStyle": {"color": "#94a3b8"},
            "tooltip": {"show": False},
        },
    ]
    if top20 is not None:
        series[0]["markPoint"] = {
            "symbol": "pin",
            "symbolSize": 46,
            "data": [{"coord": [20, round(top20 * 100, 1)], "value": f"{round(top20 * 100)}%"}],
        }
        series[0]["markLine"] = {
            "symbol": "none",
            "silent": True,
            "lineStyle": {"type": "dotted", "color": "#64748b"},
            "label": {"formatter": "top 20%"},
            "data": [{"xAxis": 20}],
        }
    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "axis", "formatter": "{a0}: {c0}"},
        "legend": {"bottom": 0},
        "grid": {**GRID, "bottom": 64},
        "xAxis": {
            "type": "value",
            "min": 0,
            "max": 100,
            "name": "% of accounts, most valuable first",
            "nameLocation": "middle",
            "nameGap": 28,
            "axisLabel": {"formatter": "{value}%"},
        },
        "yAxis": {
            "type": "value",
            "min": 0,
            "max": 100,
            "name": "% of value",
            "axisLabel": {"formatter": "{value}%"},
        },
        "series": series,
    }


def migration_chart(m: pictures.Migration) -> dict[str, Any]:
    """Accounts per tier in each tier run, stacked."""
    labels = [
        f"{run.finished_at:%-d %b %Y}" if run.finished_at else f"Run {run.pk}" for run in m.runs
    ]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {**GRID, "bottom": 56},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": "accounts", "minInterval": 1},
        "series": [
            {
                "type": "bar",
                "name": label,
                "stack": "tiers",
                "data": m.counts[value],
                "itemStyle": {"color": TIER_COLORS[Tier(value)], "borderRadius": 0},
                "barMaxWidth": 48,
            }
            for value, label in Tier.choices
        ],
    }


def category_chart(categories: list[pictures.CategoryTotal]) -> dict[str, Any]:
    """Per category, our revenue and the rest of the wallet (where the wallet is known)."""
    names = [c.name for c in categories]
    ours = [
        {"value": round(c.revenue_where_wallet_known), "name": f"{c.name}: {_percent(c.share)}"}
        for c in categories
    ]
    return {
        "tooltip": {
            "trigger": "axis",
            "axisPointer": {"type": "shadow"},
            "valueFormatter": money_format(),
        },
        "legend": {"bottom": 0},
        "grid": {**GRID, "left": 16, "bottom": 56, "right": 48},
        # "€2M", not "2,000,000": long bare figures ran into each other and named no currency
        "xAxis": {"type": "value", "axisLabel": {"formatter": money_format()}},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {
                "type": "bar",
                "name": "Ours",
                "stack": "wallet",
                "data": ours,
                "itemStyle": {"color": "#4f46e5", "borderRadius": 0},
                "barMaxWidth": 28,
            },
            {
                "type": "bar",
                "name": "Rest of their wallet",
                "stack": "wallet",
                # The share sits past the end of the whole bar in dark text: inside a
                # narrow "ours" bar it was cut, and white on the light rest unreadable.
                "data": [
                    {"value": round(c.rest_of_wallet), "name": _percent(c.share)}
                    for c in categories
                ],
                "itemStyle": {"color": "#cbd5e1", "borderRadius": 0},
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


def whitespace_chart(w: pictures.Whitespace) -> dict[str, Any]:
    """Categories by top accounts; colour = our share; whitespace cells outlined in red."""
    data = []
    for y, (account_id, account_name, _value) in enumerate(w.accounts):
        for x, (category_id, category_name) in enumerate(w.categories):
            cell = w.cell(account_id, category_id)
            if cell is None:
                continue
            item: dict[str, Any] = {"url": _account_url(account_id)}
            if cell.is_whitespace:
                item["value"] = [x, y, 0]
                item["name"] = (
                    f"{account_name} · {category_name}: whitespace — they spend "
                    f"{money(cell.wallet)} a year, none with us"
                )
                item["itemStyle"] = {"borderColor": "#dc2626", "borderWidth": 2}
                item["label"] = {"show": True, "formatter": "whitespace", "color": "#b91c1c"}
            elif cell.share is None:
                item["value"] = [x, y, "-"]
                item["name"] = (
                    f"{account_name} · {category_name}: {money(cell.revenue)}, wallet unknown"
                )
            else:
                shown = round(min(cell.share, 1.0) * 100)
                item["value"] = [x, y, shown]
                item["name"] = (
                    f"{account_name} · {category_name}: {round(cell.share * 100)}% of "
                    f"{money(cell.wallet)} ({cell.wallet_source.replace('_', ' ')})"
                )
                item["label"] = {"show": True, "formatter": f"{round(cell.share * 100)}%"}
            data.append(item)
    return {
        "tooltip": {"formatter": "{b}"},
        "grid": {**GRID, "left": 16, "top": 16, "bottom": 72},
        "xAxis": {
            "type": "category",
            "data": [n for _pk, n in w.categories],
            "splitArea": {"show": True},
            # every column named, wrapped to its own width: ECharts dropped every other
            # category's name when they did not fit on one line
            "fitLabels": True,
            "axisLabel": {"interval": 0, "lineHeight": 14},
        },
        "yAxis": {
            "type": "category",
            "data": [n for _pk, n, _v in w.accounts],
            "inverse": True,
            "splitArea": {"show": True},
        },
        "visualMap": {
            "min": 0,
            "max": 100,
            "calculable": False,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "text": ["100% ours", "0%"],
            "inRange": {"color": ["#fef3c7", "#a5b4fc", "#4338ca"]},
        },
        "series": [{"type": "heatmap", "name": "Share of customer", "data": data}],
    }


def value_needs_matrix_chart(v: pictures.ValueByNeeds) -> dict[str, Any]:
    """Segments by value bands, the count of accounts in each cell."""
    data = [
        {"value": [x, y, n], "name": f"{row.label} · {v.band_labels[x]}: {n} accounts"}
        for y, row in enumerate(v.rows)
        for x, n in enumerate(row.counts)
    ]
    highest = max((n for row in v.rows for n in row.counts), default=0)
    return {
        "tooltip": {"formatter": "{b}"},
        "grid": {**GRID, "left": 16, "top": 16, "bottom": 56},
        "xAxis": {
            "type": "category",
            "data": v.band_labels,
            "position": "top",
            "axisLabel": {"interval": 0},
        },
        "yAxis": {
            "type": "category",
            "data": [_short(r.label, 30) for r in v.rows],
            "inverse": True,
            "axisLabel": {"interval": 0, "width": 180, "overflow": "truncate"},
        },
        "visualMap": {
            "min": 0,
            "max": max(highest, 1),
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            # the legend's ends say what its colours count
            "text": [f"{max(highest, 1)} accounts", "0 accounts"],
            "inRange": {"color": ["#f1f5f9", "#818cf8", "#312e81"]},
        },
        "series": [
            {
                "type": "heatmap",
                "name": "Accounts",
                "data": data,
                "label": {"show": True, "formatter": "{@[2]}"},
            }
        ],
    }


def _short(label: str, size: int = 42) -> str:
    """The label cut to `size` characters at a word, with an ellipsis; whole when it fits."""
    if len(label) <= size:
        return label
    cut = label[: size - 1]
    words = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return words.rstrip(" ,;·-") + "…"


def value_needs_scatter(v: pictures.ValueByNeeds, measure_label: str) -> dict[str, Any]:
    """Every account placed: its segment (across, jittered) and its value (up); click to open."""
    rows = [_short(r.label, 34) for r in v.rows]
    series = []
    for y, _row in enumerate(v.rows):
        points = [
            {
                "value": [y, round(p["value"], 2)],
                "name": f"{p['name']} · {money(p['value'])}"
                + (f" · {Tier(p['tier']).label}" if p["tier"] else ""),
                "url": _account_url(p["customer"]),
                "itemStyle": {"color": TIER_COLORS.get(p["tier"], "#64748b")} if p["tier"] else {},
            }
            for p in v.points
            if p["row"] == y
        ]
        series.append(
            {
                "type": "scatter",
                "name": rows[y],
                "data": points,
                "symbolSize": 9,
                "itemStyle": {"opacity": 0.75},
                "emphasis": {"scale": 1.6},
                "cursor": "pointer",
            }
        )
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}"},
        "grid": {**GRID, "bottom": 24},
        "xAxis": {
            "type": "category",
            "data": rows,
            "jitter": 40,
            "jitterOverlap": False,
            # charts.js wraps each name to its own column's drawn width: a fixed width let
            # neighbours run into each other in a half-width chart
            "fitLabels": True,
            "axisLabel": {"interval": 0, "lineHeight": 14},
        },
        "yAxis": {
            "type": "value",
            "name": measure_label,
            "scale": False,
            "axisLabel": {"formatter": money_format()},
        },
        "series": series,
    }


# --- pages -------------------------------------------------------------------------------


def _segment_cards(p: pictures.Portfolio) -> list[dict[str, Any]]:
    """Each current segment with its value row (accounts, total, median, tiers)."""
    rows = {r.segment.pk: r for r in p.value_by_needs.rows if r.segment is not None}
    cards = []
    for segment in p.segments:
        row = rows.get(segment.pk)
        tiers = [
            (label, TIER_COLORS[Tier(value)], row.tiers.get(value, 0))
            for value, label in Tier.choices
            if row and row.tiers.get(value)
        ]
        cards.append({"segment": segment, "row": row, "tiers": tiers})
    return cards


@login_required
@require_GET
def differentiate(request: AuthenticatedRequest) -> HttpResponse:
    """The portfolio: value concentration, tier migration, share of customer, whitespace,
    value by needs, and the needs segments in words.

    The pictures are a function of the newest runs and the measure: drawn on the first
    request after a run and kept (needs.PortfolioPicture), read back on every other.
    """
    measure = request.GET.get("measure") or "predicted_value"
    if measure not in pictures.MEASURES:
        measure = "predicted_value"
    inputs = selectors.portfolio_inputs()
    picture = selectors.portfolio_picture(user=request.user, inputs=inputs, measure=measure)
    if picture is None:
        picture = render_to_string("needs/_portfolio.html", _portfolio_context(request, measure))
        if access.sees_everything(request.user):
            services.portfolio_picture_keep(inputs=inputs, measure=measure, html=picture)
    context = {
        "nav_section": "differentiate",
        "measure": measure,
        "measures": pictures.MEASURES.items(),
        "picture": mark_safe(picture),  # our own template's output, kept as it was drawn
    }
    return render(request, "needs/differentiate.html", context)


def _portfolio_context(request: AuthenticatedRequest, measure: str) -> dict[str, Any]:
    """Everything needs/_portfolio.html draws, from the newest runs, scoped to the user."""
    p = pictures.portfolio(user=request.user, measure=measure)
    c, m = p.concentration, p.migration
    return {
        "p": p,
        "top20": c.share_of_top_percent(20),
        "top20_accounts": next((n for pct, n, _s in c.top_percent if pct == 20), 0),
        "charts": {
            "concentration": concentration_chart(c, p.measure_label) if c.accounts else None,
            "migration": migration_chart(m) if m.runs else None,
            "categories": category_chart(p.categories) if p.categories else None,
            "whitespace": whitespace_chart(p.whitespace)
            if p.whitespace.accounts and p.whitespace.cells
            else None,
            "needs_matrix": value_needs_matrix_chart(p.value_by_needs)
            if p.value_by_needs.points
            else None,
            "needs_scatter": value_needs_scatter(p.value_by_needs, p.measure_label)
            if p.value_by_needs.points
            else None,
        },
        "segment_cards": _segment_cards(p),
        "run": selectors.latest_run(),
        "tier_legend": [(label, TIER_COLORS[Tier(value)]) for value, label in Tier.choices],
    }


@login_required
@require_GET
def segment_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A segment in words, its distinctive needs, and its members nearest the centre first."""
    segment = selectors.segment_get(user=request.user, pk=pk)
    page = selectors.segment_members(
        user=request.user, segment=segment, cursor=request.GET.get("cursor") or None, limit=100
    )
    context = {"nav_section": "differentiate", "segment": segment, "page": page}
    return render(request, "needs/segment_detail.html", context)


@login_required
@require_GET
def account_needs(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """What an account needs (own, rolled up, inherited) and its organisation's segment."""
    account = account_selectors.account_get(user=request.user, pk=pk)
    profile = selectors.needs_profile(user=request.user, account=account)
    context = {"nav_section": "accounts", "account": account, "needs": profile}
    return render(request, "needs/account_needs.html", context)


@login_required
@require_GET
def contact_needs(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A person's needs: theirs and their unit's and organisation's."""
    contact = account_selectors.contact_get(user=request.user, pk=pk)
    needs = selectors.contact_needs(user=request.user, contact=contact)
    return render(request, "needs/contact_needs.html", {"nav_section": "contacts", "needs": needs})
