"""Pages of the account tree: the list, the account page, and every change to an account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from rapport.accounts import selectors, services
from rapport.accounts.cards import account_cards
from rapport.accounts.forms import (
    AccountFilterForm,
    AccountForm,
    AccountMoveForm,
    LifecycleForm,
    unit_label,
)
from rapport.accounts.models import (
    Account,
    AccountKind,
    BuyingRoleKind,
    LifecycleStage,
)
from rapport.accounts.views.common import (
    filters,
    readable_changes,
)
from rapport.core import selectors as core_selectors
from rapport.core.requests import AuthenticatedRequest
from rapport.web import palette
from rapport.web.kit import form_submit, is_fragment, url_maker, writer_required

KEY_CONTACTS = 15
STAGE_HISTORY = 6


# --- the list -------------------------------------------------------------------------


@login_required
@require_GET
def account_list(request: AuthenticatedRequest) -> HttpResponse:
    """Customer organisations by name, searchable and filtered, a page at a time."""
    params = filters(AccountFilterForm, request)
    page = selectors.account_list(
        user=request.user,
        q=params["q"],
        stage=params["stage"],
        industry=params["industry"],
        manager_id=params["manager"],
        cursor=params["cursor"] or None,
    )
    rollups = selectors.account_rollups(user=request.user, accounts=page.items)
    rows = [(account, rollups[account.pk]) for account in page.items]
    context: dict[str, Any] = {"page": page, "rows": rows, "params": params}
    if is_fragment(request):
        return render(request, "accounts/_account_rows.html", context)
    context.update(
        stages=LifecycleStage.choices,
        industries=selectors.industry_list(user=request.user),
        managers=selectors.manager_choices(user=request.user),
        filtered=any(params[name] for name in ("q", "stage", "industry", "manager")),
    )
    return render(request, "accounts/account_list.html", context)


# --- the account page -----------------------------------------------------------------


@dataclass
class UnitGaps:
    """The key buying roles nobody is known to hold in one unit, said as one sentence."""

    unit: Account
    roles: list[str]

    @property
    def sentence(self) -> str:
        nouns = [gap_noun(role) for role in self.roles]
        listed = nouns[0] if len(nouns) == 1 else f"{', '.join(nouns[:-1])} or {nouns[-1]}"
        return f"No known {listed} in {self.unit.name}"


def gaps_by_unit(centre: selectors.BuyingCentre) -> list[UnitGaps]:
    """The buying centre's gaps grouped per unit, in tree order."""
    groups: dict[int, UnitGaps] = {}
    for gap in centre.gaps:
        groups.setdefault(gap.unit.pk, UnitGaps(gap.unit, [])).roles.append(gap.role)
    return list(groups.values())


def gap_noun(role: str) -> str:
    """The short lower-case name of a role for gap sentences ("No known approver")."""
    nouns: dict[str, str] = {
        BuyingRoleKind.DECISION_MAKER: "decision maker",
        BuyingRoleKind.APPROVER: "approver",
        BuyingRoleKind.SPECIFIER: "specifier",
        BuyingRoleKind.PURCHASING: "purchasing contact",
        BuyingRoleKind.CHAMPION: "champion",
    }
    return nouns.get(role, role.replace("_", " "))


def nearest_drawn_manager(
    contact_id: int, reports_to: dict[int, int | None], drawn: set[int]
) -> int | None:
    """The closest manager up the reporting line who is in the chart (skipping those who are not)."""
    seen = {contact_id}
    manager = reports_to.get(contact_id)
    while manager is not None and manager not in seen:
        if manager in drawn:
            return manager
        seen.add(manager)
        manager = reports_to.get(manager)
    return None


def org_chart(
    centre: selectors.BuyingCentre, account: Account, reports_to: dict[int, int | None]
) -> dict[str, Any]:
    """The buying centre as the org-chart renderer's JSON: people by reporting line, plus gaps.

    A person hangs under their manager when the manager is in the chart, else under the
    nearest one further up who is (people without a buying role are not drawn). The chart
    marks the gaps of the account itself, one placeholder per missing role; the gaps of
    the units below are listed beside it (a node for each would drown the people).
    """
    in_chart = {member.contact.pk for member in centre.members}
    nodes: list[dict[str, Any]] = []
    for member in centre.members:
        contact = member.contact
        primary = member.primary
        manager = nearest_drawn_manager(contact.pk, reports_to, in_chart)
        nodes.append(
            {
                "id": f"c{contact.pk}",
                "name": contact.full_name,
                "title": contact.title,
                "unit": contact.account.name,
                "roles": [role.role for role in member.roles],
                "primary_role": primary.role,
                "influence": primary.influence,
                "attitude": primary.attitude,
                "url": reverse("accounts:contact_detail", args=[contact.pk]),
                "parent": f"c{manager}" if manager is not None else None,
                "gap": False,
            }
        )
    for gap in centre.gaps:
        if gap.unit.pk != account.pk:
            continue
        nodes.append(
            {
                "id": f"g{gap.unit.pk}-{gap.role}",
                "name": f"No known {gap_noun(gap.role)}",
                "title": "",
                "unit": gap.unit.name,
                "roles": [gap.role],
                "primary_role": gap.role,
                "influence": 0,
                "attitude": 0,
                "url": "",
                "parent": None,
                "gap": True,
            }
        )
    # End users are counted per unit, not drawn, so they have no place in the legend.
    legend = palette.org_chart_legend(
        (role, label) for role, label in BuyingRoleKind.choices if role != BuyingRoleKind.END_USER
    )
    return {"nodes": nodes, "legend": legend}


@dataclass
class TreeRow:
    """One line of the Organisation card, drawn in one loop (no include per node)."""

    node: selectors.TreeNode
    url: str
    icon: str
    current: bool
    opens: bool  # its units follow, one level in
    closes: range  # levels that end after it (when it has no units)
    contacts: str
    interactions: str

    @property
    def contacts_title(self) -> str:
        n = self.node.contacts
        return f"{n} contact{'' if n == 1 else 's'}, rolled up"

    @property
    def interactions_title(self) -> str:
        n = self.node.interactions
        return f"{n} interaction{'' if n == 1 else 's'}, rolled up"


def tree_rows(tree: list[selectors.TreeNode], current: Account) -> list[TreeRow]:
    """The organisation tree as nested lists, flattened: each row says what it opens and closes."""
    url = url_maker("accounts:account_detail")
    rows: list[TreeRow] = []

    def icon(node: selectors.TreeNode) -> str:
        kind = node.account.kind
        if node.depth == 1:
            return "buildings"
        return {"site": "geo-alt", "department": "people"}.get(kind, "diagram-2")

    def walk(node: selectors.TreeNode) -> None:
        rows.append(
            TreeRow(
                node=node,
                url=url(node.account.pk),
                icon=icon(node),
                current=node.account.pk == current.pk,
                opens=bool(node.children),
                closes=range(0),
                contacts=f"{node.contacts:,}",
                interactions=f"{node.interactions:,}",
            )
        )
        for child in node.children:
            walk(child)
        if node.children:
            last = rows[-1]
            last.closes = range(len(last.closes) + 1)

    # The tops are the nodes whose parent is not in the tree (a partner may see two
    # separate units of one organisation, at different depths).
    paths = {node.account.path for node in tree}
    for node in tree:
        if node.account.path[: -Account.steplen] not in paths:
            walk(node)
    return rows


@login_required
@require_GET
def account_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The account page: its place in the tree, roll-ups, buying centre, partners, timeline."""
    user = request.user
    account = selectors.account_get(user=user, pk=pk)
    organisation = selectors.organisation(user=user, account=account)
    tree = organisation.tree
    node = organisation.node(account)
    centre = selectors.buying_centre(
        user=user, account=account, organisation_units=[n.account for n in tree]
    )
    gaps = gaps_by_unit(centre)
    links = sorted(
        selectors.partner_links(user=user, account=account),
        key=lambda link: (link.ended_on is not None, link.partner.name.lower()),
    )
    subtree = [n for n in tree if n.account.path.startswith(account.path)]
    members = centre.members
    context = {
        "account": account,
        "tree_rows": tree_rows(tree, account),
        "node": node,
        "ancestors": [
            n.account
            for n in tree
            if account.path.startswith(n.account.path) and n.account.pk != account.pk
        ],
        "unit_count": len(subtree) - 1,
        "timeline_units": [(n.account.pk, unit_label(n.account, account.depth)) for n in subtree],
        "stage_history": list(
            selectors.lifecycle_history(user=user, account=account)[:STAGE_HISTORY]
        ),
        "partner_links": links,
        "centre": centre,
        "chart": org_chart(centre, account, organisation.reports_to),
        "gaps": gaps,
        "end_user_total": sum(centre.end_user_counts.values()),
        "key_contacts": members[:KEY_CONTACTS],
        "people": sorted((m.contact for m in members), key=lambda c: (c.last_name, c.first_name)),
        "lifecycle_form": LifecycleForm(current=account.lifecycle_stage),
        "new_contact_url": f"{reverse('accounts:contact_create')}?account={account.pk}",
        # the timeline's and the memory's cards, added by those apps (accounts.cards)
        **account_cards(request, account),
    }
    return render(request, "accounts/account_detail.html", context)


# --- changes --------------------------------------------------------------------------


def _form_page(
    request: AuthenticatedRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, f"accounts/{template}", context, status=status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def account_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new customer organisation (the top of its own tree)."""
    form = AccountForm(request.POST if request.method == "POST" else None, user=request.user)
    sent = form_submit(
        form, lambda: services.account_create(actor=request.user, **form.service_arguments())
    )
    if sent.done:
        account = sent.saved
        messages.success(request, f"{account.name} was created.")
        return redirect("accounts:account_detail", pk=account.pk)
    return _form_page(request, "account_form.html", {"form": form, "mode": "create"}, sent.status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def account_add_unit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A new division, department or site under an account."""
    parent = selectors.account_get(user=request.user, pk=pk)
    form = AccountForm(
        request.POST if request.method == "POST" else None, user=request.user, is_unit=True
    )
    sent = form_submit(
        form,
        lambda: services.account_create(
            actor=request.user, parent=parent, **form.service_arguments()
        ),
    )
    if sent.done:
        unit = sent.saved
        messages.success(request, f"{unit.name} was added under {parent.name}.")
        return redirect("accounts:account_detail", pk=unit.pk)
    context = {"form": form, "mode": "unit", "parent": parent}
    return _form_page(request, "account_form.html", context, sent.status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def account_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Change an account's own details."""
    account = selectors.account_get(user=request.user, pk=pk)
    form = AccountForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        is_unit=not account.is_customer_root,
        with_stage=False,
        initial=AccountForm.initial_for(account),
    )
    sent = form_submit(
        form,
        lambda: services.account_update(
            actor=request.user,
            account=account,
            expected_version=form.cleaned_data["version"],
            **form.service_arguments(),
        ),
    )
    if sent.done:
        messages.success(request, f"{account.name} was saved.")
        return redirect("accounts:account_detail", pk=account.pk)
    context = {"form": form, "mode": "edit", "account": account}
    return _form_page(request, "account_form.html", context, sent.status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def account_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Re-hang a unit under another unit of the same organisation."""
    account = selectors.account_get(user=request.user, pk=pk)
    units = [
        unit
        for unit in selectors.units_for_select(user=request.user, account=account)
        if not unit.path.startswith(account.path)
    ]
    current_parent = next((u for u in units if u.path == account.path[: -Account.steplen]), None)
    form = AccountMoveForm(
        request.POST if request.method == "POST" else None,
        units=units,
        initial={"new_parent": current_parent},
    )
    sent = form_submit(
        form,
        lambda: services.account_move(
            actor=request.user, account=account, new_parent=form.cleaned_data["new_parent"]
        ),
    )
    if sent.done:
        messages.success(
            request, f"{account.name} now sits under {form.cleaned_data['new_parent']}."
        )
        return redirect("accounts:account_detail", pk=account.pk)
    context = {"form": form, "account": account, "current_parent": current_parent}
    return _form_page(request, "account_move.html", context, sent.status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def account_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Soft-delete an account and its units, after a confirmation page."""
    account = selectors.account_get(user=request.user, pk=pk)
    tree = selectors.account_tree(user=request.user, account=account)
    node = selectors.subtree_node(tree, account)
    parent = next(
        (n.account for n in tree if n.account.path == account.path[: -Account.steplen]), None
    )
    if request.method == "POST":
        services.account_delete(actor=request.user, account=account)
        messages.success(request, f"{account.name} was deleted. An admin can restore it.")
        if parent is not None:
            return redirect("accounts:account_detail", pk=parent.pk)
        return redirect("accounts:account_list")
    subtree = [n for n in tree if n.account.path.startswith(account.path)]
    context = {"account": account, "node": node, "unit_count": len(subtree) - 1, "parent": parent}
    return _form_page(request, "account_confirm_delete.html", context)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def account_lifecycle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Move an account to another lifecycle stage, with the reason kept in its history."""
    account = selectors.account_get(user=request.user, pk=pk)
    form = LifecycleForm(
        request.POST if request.method == "POST" else None, current=account.lifecycle_stage
    )
    sent = form_submit(
        form,
        lambda: services.lifecycle_change(
            actor=request.user,
            account=account,
            stage=form.cleaned_data["stage"],
            reason=form.cleaned_data["reason"],
        ),
    )
    if sent.done:
        change = sent.saved
        messages.success(request, f"{account.name} is now at stage {change.get_stage_display()}.")
        return redirect("accounts:account_detail", pk=account.pk)
    context = {
        "form": form,
        "account": account,
        "stage_history": selectors.lifecycle_history(user=request.user, account=account),
    }
    return _form_page(request, "account_lifecycle.html", context, sent.status)


@login_required
@require_GET
def account_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who changed what on an account, and its lifecycle stage history."""
    account = selectors.account_get(user=request.user, pk=pk)
    entries = core_selectors.history_for(user=request.user, record=account)
    names: dict[str, dict[Any, str]] = {
        "manager": {u.pk: str(u) for u in selectors.manager_choices(user=request.user)},
        "kind": dict(AccountKind.choices),
        "lifecycle_stage": dict(LifecycleStage.choices),
    }
    context = {
        "account": account,
        "entries": [(entry, readable_changes(entry.changes, names)) for entry in entries],
        "stage_history": selectors.lifecycle_history(user=request.user, account=account),
    }
    return render(request, "accounts/account_history.html", context)
