"""API of the timeline: interactions, and the timelines of accounts and contacts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Contact
from rapport.core.api import caller, chosen, fields_renamed, referenced
from rapport.core.errors import InvalidInput
from rapport.core.models import User
from rapport.core.pagination import Page
from rapport.core.schemas import HistoryEntryOut
from rapport.core.selectors import HistoryEntry, history_for
from rapport.interactions import selectors, services
from rapport.interactions.models import Interaction
from rapport.interactions.schemas import (
    AccountTimelineFilters,
    InteractionCreateIn,
    InteractionFilters,
    InteractionOut,
    InteractionPageOut,
    InteractionUpdateIn,
    TimelineFilters,
)

router = Router(tags=["interactions"])

# Service errors name model fields; the API answers with the request's field names.
INTERACTION_FIELDS = {"account": "account_id", "contacts": "contact_ids", "partner": "partner_id"}


def _contacts_named(user: User, ids: Sequence[int]) -> list[Contact]:
    """The contacts a request names by id, in one query through core.access; any unknown is bad input."""
    wanted = list(dict.fromkeys(ids))
    found = account_selectors.contacts_by_ids(user=user, ids=wanted)
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise InvalidInput(f"Contact not found (id {missing[0]}).", field="contact_ids")
    return [found[pk] for pk in wanted]


def _timeline_filters(user: User, filters: TimelineFilters) -> dict[str, Any]:
    """The timeline selector's arguments, with the ids in the query resolved through selectors."""
    return {
        "channels": filters.channel,
        "unit": referenced("unit_id", account_selectors.account_get, user=user, pk=filters.unit_id),
        "person": referenced(
            "person_id", account_selectors.contact_get, user=user, pk=filters.person_id
        ),
        "since": filters.since,
        "until": filters.until,
        "cursor": filters.cursor,
        "limit": filters.limit,
    }


# --- timelines -------------------------------------------------------------------------


@router.get("/interactions", response=InteractionPageOut)
def interaction_list(request: HttpRequest, filters: Query[InteractionFilters]) -> Page[Interaction]:
    """Every interaction you may see, newest first, keyset-paginated."""
    user = caller(request)
    account = referenced(
        "account_id", account_selectors.account_get, user=user, pk=filters.account_id
    )
    contact = referenced(
        "contact_id", account_selectors.contact_get, user=user, pk=filters.contact_id
    )
    return selectors.timeline(
        user=user,
        account=account,
        contact=contact,
        subtree=filters.subtree,
        **_timeline_filters(user, filters),
    )


@router.get("/accounts/{account_id}/timeline", response=InteractionPageOut, tags=["accounts"])
def account_timeline(
    request: HttpRequest, account_id: int, filters: Query[AccountTimelineFilters]
) -> Page[Interaction]:
    """The account's interactions (with its units' unless subtree=false), newest first."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=account_id)
    return selectors.timeline(
        user=user, account=account, subtree=filters.subtree, **_timeline_filters(user, filters)
    )


@router.get("/contacts/{contact_id}/timeline", response=InteractionPageOut, tags=["contacts"])
def contact_timeline(
    request: HttpRequest, contact_id: int, filters: Query[TimelineFilters]
) -> Page[Interaction]:
    """The interactions the person took part in, newest first."""
    user = caller(request)
    contact = account_selectors.contact_get(user=user, pk=contact_id)
    return selectors.timeline(user=user, contact=contact, **_timeline_filters(user, filters))


# --- interactions ----------------------------------------------------------------------


@router.post("/interactions", response={201: InteractionOut})
def interaction_log(request: HttpRequest, payload: InteractionCreateIn) -> Status[Interaction]:
    """Put an interaction on the timeline, with the people on both sides."""
    user = caller(request)
    account = referenced(
        "account_id", account_selectors.account_get, user=user, pk=payload.account_id
    )
    partner = referenced(
        "partner_id", account_selectors.partner_get, user=user, pk=payload.partner_id
    )
    contacts = _contacts_named(user, payload.contact_ids)
    users = chosen("user_ids", payload.user_ids, partial(selectors.colleague_choices, user=user))
    fields = payload.dict(exclude={"account_id", "partner_id", "contact_ids", "user_ids"})
    with fields_renamed(**INTERACTION_FIELDS):
        interaction = services.interaction_log(
            actor=user, account=account, partner=partner, contacts=contacts, users=users, **fields
        )
    return Status(201, selectors.interaction_get(user=user, pk=interaction.pk))


@router.get("/interactions/{interaction_id}", response=InteractionOut)
def interaction_detail(request: HttpRequest, interaction_id: int) -> Interaction:
    """One interaction with its people."""
    return selectors.interaction_get(user=caller(request), pk=interaction_id)


@router.patch("/interactions/{interaction_id}", response=InteractionOut)
def interaction_update(
    request: HttpRequest, interaction_id: int, payload: InteractionUpdateIn
) -> Interaction:
    """Correct an interaction; only the fields sent change, contact_ids replaces the list."""
    user = caller(request)
    interaction = selectors.interaction_get(user=user, pk=interaction_id)
    changes = payload.dict(exclude_unset=True)
    contact_ids = changes.pop("contact_ids", None)
    contacts = None if contact_ids is None else _contacts_named(user, contact_ids)
    if "partner_id" in changes:
        pk = changes.pop("partner_id")
        changes["partner"] = referenced(
            "partner_id", account_selectors.partner_get, user=user, pk=pk
        )
    with fields_renamed(**INTERACTION_FIELDS):
        services.interaction_update(
            actor=user, interaction=interaction, contacts=contacts, **changes
        )
    return selectors.interaction_get(user=user, pk=interaction.pk)


@router.delete("/interactions/{interaction_id}", response={204: None})
def interaction_delete(request: HttpRequest, interaction_id: int) -> Status[None]:
    """Soft-delete an interaction; it leaves the roll-ups."""
    user = caller(request)
    services.interaction_delete(
        actor=user, interaction=selectors.interaction_get(user=user, pk=interaction_id)
    )
    return Status(204, None)


@router.get("/interactions/{interaction_id}/history", response=list[HistoryEntryOut])
def interaction_history(request: HttpRequest, interaction_id: int) -> list[HistoryEntry]:
    """Who changed what on the interaction, newest first."""
    return history_for(record=selectors.interaction_get(user=caller(request), pk=interaction_id))
