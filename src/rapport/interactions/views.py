"""Pages of the timeline: the timeline partial, the global timeline, and logging interactions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.errors import ApplicationError, InvalidInput, NotFound, PermissionDenied
from rapport.core.requests import AuthenticatedRequest
from rapport.core.selectors import history_for
from rapport.interactions import selectors, services
from rapport.interactions.forms import (
    InteractionForm,
    OrganisationSearchForm,
    TimelineFilterForm,
    TimelineQueryForm,
)

TIMELINE_TEMPLATE = "interactions/partials/timeline.html"


# --- the timeline partial -------------------------------------------------------------


def _timeline_arguments(request: AuthenticatedRequest) -> dict[str, Any]:
    """Parse the timeline query string into selector arguments, resolving every pk in scope."""
    form = TimelineQueryForm(request.GET)
    if not form.is_valid():
        field, message = form.first_error()
        raise InvalidInput(f"{field}: {message}", field=field)
    data = form.cleaned_data
    user = request.user
    return {
        "account": data["account"] and account_selectors.account_get(user=user, pk=data["account"]),
        "contact": data["contact"] and account_selectors.contact_get(user=user, pk=data["contact"]),
        "unit": data["unit"] and account_selectors.account_get(user=user, pk=data["unit"]),
        "person": data["person"] and account_selectors.contact_get(user=user, pk=data["person"]),
        "subtree": data["subtree"] != "0",
        "channels": data["channel"],
        "since": data["since"],
        "until": data["until"],
        "cursor": data["cursor"] or None,
        "limit": data["limit"],
    }


def timeline_more_url(params: QueryDict | dict[str, Any], cursor: str | None) -> str | None:
    """The partial's URL for the page after `cursor`, keeping every other parameter."""
    if not cursor:
        return None
    if isinstance(params, QueryDict):
        query = params.copy()
    else:
        query = QueryDict(mutable=True)
        for key, value in params.items():
            if value not in (None, "", []):
                query.setlist(
                    key, [str(v) for v in value] if isinstance(value, list) else [str(value)]
                )
    query["cursor"] = cursor
    return f"{reverse('interactions:timeline_partial')}?{query.urlencode()}"


def _int_param(request: AuthenticatedRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise NotFound(f"{name} not found") from None


def _error_fragment(request: AuthenticatedRequest, error: ApplicationError) -> HttpResponse:
    return render(
        request, "interactions/partials/error.html", {"error": error}, status=error.status
    )


@login_required
@require_GET
def timeline_partial(request: AuthenticatedRequest) -> HttpResponse:
    """An HTML fragment of the timeline for htmx: filtered, keyset-paginated, scoped."""
    try:
        page = selectors.timeline(user=request.user, **_timeline_arguments(request))
    except ApplicationError as error:
        return _error_fragment(request, error)
    context = {
        "page": page,
        "more_url": timeline_more_url(request.GET, page.next_cursor),
        "continuation": bool(request.GET.get("cursor")),
    }
    return render(request, TIMELINE_TEMPLATE, context)


@login_required
@require_GET
def interaction_list(request: AuthenticatedRequest) -> HttpResponse:
    """The global timeline with its filter bar; the list is the timeline partial's first page."""
    filters = TimelineFilterForm(request.GET)
    account_pk = _int_param(request, "account")
    account = (
        account_selectors.account_get(user=request.user, pk=account_pk) if account_pk else None
    )
    context: dict[str, Any] = {"filters": filters, "account": account, "page": None}
    if not filters.is_valid():
        return render(request, "interactions/interaction_list.html", context, status=400)
    data = filters.cleaned_data
    page = selectors.timeline(
        user=request.user,
        account=account,
        channels=data["channel"],
        since=data["since"],
        until=data["until"],
    )
    params = {
        "account": account_pk,
        "channel": data["channel"],
        "since": data["since"] and data["since"].isoformat(),
        "until": data["until"] and data["until"].isoformat(),
    }
    context.update(
        page=page,
        more_url=timeline_more_url(params, page.next_cursor),
        filtered=any(params.values()),
    )
    return render(request, "interactions/interaction_list.html", context)


# --- logging and correcting -----------------------------------------------------------


def _safe_next(request: AuthenticatedRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _chosen_first(objects: list[Any], chosen: Any) -> list[Any]:
    """The pickers' list with the pre-selected person on top, where it is seen."""
    return sorted(objects, key=lambda o: chosen is None or o.pk != chosen.pk)


def _organisation_picker(request: AuthenticatedRequest) -> HttpResponse:
    """Logging starts from an organisation: offer a search when none was given."""
    form = OrganisationSearchForm(request.GET)
    q = form.data.get("q", "").strip()
    page = account_selectors.account_list(user=request.user, q=q, roots_only=True, limit=30)
    return render(
        request,
        "interactions/organisation_pick.html",
        {"form": form, "organisations": page.items, "more": page.next_cursor is not None, "q": q},
    )


@login_required
@require_http_methods(["GET", "POST"])
def interaction_create(request: AuthenticatedRequest) -> HttpResponse:
    """Log an interaction with an organisation unit and the people on both sides."""
    access.ensure_can_write(request.user)
    account_pk = _int_param(request, "account")
    if account_pk is None:
        return _organisation_picker(request)
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    contact_pk = _int_param(request, "contact")
    contact = (
        account_selectors.contact_get(user=request.user, pk=contact_pk) if contact_pk else None
    )
    form_kwargs: dict[str, Any] = {
        "units": account_selectors.units_for_select(user=request.user, account=account),
        "contacts": _chosen_first(
            account_selectors.contact_choices(user=request.user, account=account), contact
        ),
        "colleagues": _chosen_first(selectors.colleague_choices(user=request.user), request.user),
        "partners": list(account_selectors.partner_choices(user=request.user)),
    }
    status = 200
    if request.method == "POST":
        form = InteractionForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                interaction = services.interaction_log(
                    actor=request.user,
                    account=data["account"],
                    channel=data["channel"],
                    direction=data["direction"],
                    occurred_at=data["occurred_at"],
                    subject=data["subject"],
                    summary=data["summary"],
                    outcome=data["outcome"],
                    next_step=data["next_step"],
                    contacts=data["contacts"],
                    users=data["users"],
                    partner=data["partner"],
                )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                messages.success(request, f"Logged “{interaction.subject}”.")
                return redirect(
                    _safe_next(request) or reverse("accounts:account_detail", args=[account.pk])
                )
        status = 400
    else:
        initial: dict[str, Any] = {"account": account, "users": [request.user]}
        if contact is not None:
            initial["contacts"] = [contact]
        form = InteractionForm(initial=initial, **form_kwargs)
    context = {
        "form": form,
        "account": account,
        "organisation": account.customer or account,
        "next": _safe_next(request),
        "cancel_url": _safe_next(request) or reverse("accounts:account_detail", args=[account.pk]),
    }
    return render(request, "interactions/interaction_form.html", context, status=status)


@login_required
@require_GET
def interaction_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One interaction: what happened, who took part, what comes next."""
    interaction = selectors.interaction_get(user=request.user, pk=pk)
    participants = list(interaction.participants.all())
    context = {
        "interaction": interaction,
        "theirs": [p for p in participants if p.contact_id],
        "ours": [p for p in participants if p.user_id],
    }
    return render(request, "interactions/interaction_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def interaction_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Correct an interaction; the previous version stays in its history."""
    access.ensure_can_write(request.user)
    interaction = selectors.interaction_get(user=request.user, pk=pk)
    account: Account = interaction.account
    form_kwargs: dict[str, Any] = {
        "contacts": account_selectors.contact_choices(user=request.user, account=account),
        "partners": list(account_selectors.partner_choices(user=request.user)),
        "editing": True,
    }
    status = 200
    if request.method == "POST":
        form = InteractionForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = dict(form.cleaned_data)
            contacts = data.pop("contacts")
            try:
                services.interaction_update(
                    actor=request.user, interaction=interaction, contacts=contacts, **data
                )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                messages.success(request, "Interaction updated.")
                return redirect(
                    _safe_next(request) or reverse("interactions:interaction_detail", args=[pk])
                )
        status = 400
    else:
        form = InteractionForm(initial=InteractionForm.initial_for(interaction), **form_kwargs)
    context = {
        "form": form,
        "interaction": interaction,
        "account": account,
        "organisation": account,
        "next": _safe_next(request),
        "cancel_url": reverse("interactions:interaction_detail", args=[pk]),
    }
    return render(request, "interactions/interaction_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def interaction_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Ask, then soft-delete an interaction (it can be restored from its history)."""
    access.ensure_can_write(request.user)
    interaction = selectors.interaction_get(user=request.user, pk=pk)
    if request.method == "POST":
        services.interaction_delete(actor=request.user, interaction=interaction)
        messages.success(request, f"Deleted “{interaction.subject}”.")
        return redirect(
            _safe_next(request) or reverse("accounts:account_detail", args=[interaction.account_id])
        )
    return render(
        request, "interactions/interaction_confirm_delete.html", {"interaction": interaction}
    )


@login_required
@require_GET
def interaction_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who changed this interaction, when, and what it said before."""
    interaction = selectors.interaction_get(user=request.user, pk=pk)
    context = {"interaction": interaction, "entries": history_for(record=interaction)}
    return render(request, "interactions/interaction_history.html", context)
