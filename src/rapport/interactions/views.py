"""Pages of the timeline: the timeline partial, the global timeline, and logging interactions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account, Contact
from rapport.core import access
from rapport.core.errors import ApplicationError, InvalidInput, NotFound, PermissionDenied
from rapport.core.requests import AuthenticatedRequest, safe_next
from rapport.core.selectors import history_for
from rapport.interactions import cadence, selectors, services
from rapport.interactions.forms import (
    InteractionForm,
    TimelineFilterForm,
    TimelineQueryForm,
)
from rapport.interactions.models import Channel
from rapport.web.kit import id_param, is_fragment

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
    return id_param(request.GET.get(name, ""), name)


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


# --- correcting (logging, which records what was learned, is memory's page) -------------


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
            version = data.pop("version")
            try:
                services.interaction_update(
                    actor=request.user,
                    interaction=interaction,
                    contacts=contacts,
                    expected_version=version,
                    **data,
                )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                status = form.add_application_error(error)
            else:
                messages.success(request, "Interaction updated.")
                return redirect(
                    safe_next(request) or reverse("interactions:interaction_detail", args=[pk])
                )
        else:
            status = 400
    else:
        form = InteractionForm(initial=InteractionForm.initial_for(interaction), **form_kwargs)
    context = {
        "form": form,
        "interaction": interaction,
        "account": account,
        "organisation": account,
        "next": safe_next(request),
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
            safe_next(request) or reverse("accounts:account_detail", args=[interaction.account_id])
        )
    return render(
        request, "interactions/interaction_confirm_delete.html", {"interaction": interaction}
    )


@login_required
@require_GET
def interaction_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who changed this interaction, when, and what it said before."""
    interaction = selectors.interaction_get(user=request.user, pk=pk)
    context = {
        "interaction": interaction,
        "entries": history_for(user=request.user, record=interaction),
    }
    return render(request, "interactions/interaction_history.html", context)


# --- threads and commitments: where we left off (X2) ----------------------------------


def _back_to(request: AuthenticatedRequest, fallback: str) -> HttpResponse:
    return redirect(safe_next(request) or fallback)


@login_required
@require_GET
def thread_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A thread: its exchanges, newest first, and the commitments made on it."""
    thread = selectors.thread_get(user=request.user, pk=pk)
    context = {
        "thread": thread,
        "interactions": selectors.thread_interactions(user=request.user, thread=thread),
        "commitments": selectors.thread_commitments(user=request.user, thread=thread),
        "styles_loaded": True,
    }
    return render(request, "interactions/thread_detail.html", context)


def _thread_changed(request: AuthenticatedRequest, pk: int, change: Any, done: str) -> HttpResponse:
    thread = selectors.thread_get(user=request.user, pk=pk)
    change(actor=request.user, thread=thread)
    if is_fragment(request):
        return render(request, "interactions/_thread_row.html", {"thread": thread})
    messages.success(request, f"{done} “{thread.title}”.")
    return _back_to(request, reverse("interactions:thread_detail", args=[pk]))


@login_required
@require_POST
def thread_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Close a thread (htmx: answers with its row, closed)."""
    return _thread_changed(request, pk, services.thread_close, "Closed")


@login_required
@require_POST
def thread_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Open a closed thread again."""
    return _thread_changed(request, pk, services.thread_reopen, "Reopened")


def _commitment_changed(
    request: AuthenticatedRequest, pk: int, change: Any, done: str
) -> HttpResponse:
    commitment = selectors.commitment_get(user=request.user, pk=pk)
    change(actor=request.user, commitment=commitment)
    if is_fragment(request):
        return render(request, "interactions/_commitment_row.html", {"commitment": commitment})
    messages.success(request, f"{done}: “{commitment.description}”.")
    return _back_to(request, reverse("accounts:account_detail", args=[commitment.account_id]))


@login_required
@require_POST
def commitment_complete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark a commitment done (htmx: answers with its row, struck through)."""
    return _commitment_changed(request, pk, services.commitment_complete, "Done")


@login_required
@require_POST
def commitment_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Cancel a commitment nobody owes any more."""
    return _commitment_changed(request, pk, services.commitment_cancel, "Cancelled")


@login_required
@require_GET
def commitment_mine(request: AuthenticatedRequest) -> HttpResponse:
    """What the signed-in user owes customers: overdue first, then by due date."""
    commitments = selectors.my_commitments(user=request.user)
    context = {
        "commitments": commitments,
        "overdue": sum(1 for c in commitments if c.is_overdue),
        "limit": selectors.MY_COMMITMENTS,
    }
    return render(request, "interactions/my_commitments.html", context)


@login_required
@require_GET
def account_left_off(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Where we left off with every department of an account, one section per unit."""
    account = account_selectors.account_get(user=request.user, pk=pk)
    context = {
        "account": account,
        "by_unit": selectors.where_we_left_off_by_unit(user=request.user, account=account),
    }
    return render(request, "interactions/left_off_by_unit.html", context)


# --- quiet intervals (X8) -------------------------------------------------------------


@login_required
@require_GET
def alerts_quiet(request: AuthenticatedRequest) -> HttpResponse:
    """Organisations quiet for longer than their own rhythm allows, most valuable first."""
    page = selectors.quiet_alerts(user=request.user, cursor=request.GET.get("cursor") or None)
    context = {
        "page": page,
        "last_run": selectors.cadence_last_run(user=request.user),
        "task_state": selectors.cadence_run_state(user=request.user),
        "more_url": (
            f"{reverse('interactions:alerts_quiet')}?cursor={page.next_cursor}"
            if page.next_cursor
            else None
        ),
        "continuation": bool(request.GET.get("cursor")),
    }
    if context["continuation"] and request.headers.get("HX-Request"):
        return render(request, "interactions/_quiet_rows.html", context)
    return render(request, "interactions/quiet_alerts.html", context)


@login_required
@require_POST
def alerts_quiet_recompute(request: AuthenticatedRequest) -> HttpResponse:
    """Queue a recompute of every rhythm (staff writers); the list refreshes when it is done."""
    if not access.can(request.user, access.Capability.SEE_INTERNAL_SIDE):
        raise NotFound("alerts not found")
    access.ensure_can_write(request.user)
    cadence.cadence_queue(started_by=request.user)
    messages.success(request, "Relearning every account's rhythm: the list refreshes when done.")
    return redirect("interactions:alerts_quiet")


# --- cards of the account and contact pages (added in InteractionsConfig.ready) -------------


def account_card(request: AuthenticatedRequest, account: Account) -> dict[str, Any]:
    """The account page's "where we left off" card and its log-an-interaction buttons."""
    return {
        "channels": Channel.choices,
        "log_url": f"{reverse('interactions:interaction_create')}?account={account.pk}",
        "left_off": selectors.where_we_left_off(user=request.user, account=account),
    }


def contact_card(request: AuthenticatedRequest, contact: Contact) -> dict[str, Any]:
    """The contact page's "where we left off" card and its log-an-interaction buttons."""
    return {
        "channels": Channel.choices,
        "log_url": (
            f"{reverse('interactions:interaction_create')}"
            f"?account={contact.account_id}&contact={contact.pk}"
        ),
        "left_off": selectors.where_we_left_off(user=request.user, contact=contact),
    }
