"""API of the timeline: interactions, and the timelines of accounts and contacts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Contact
from rapport.accounts.schemas import PageFilters
from rapport.core import access
from rapport.core.api import (
    caller,
    chosen,
    chosen_one,
    etag,
    fields_renamed,
    if_match,
    referenced,
)
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page
from rapport.core.schemas import HistoryEntryOut
from rapport.core.selectors import HistoryEntry, history_for
from rapport.interactions import cadence, selectors, services
from rapport.interactions.models import (
    Commitment,
    Interaction,
    Thread,
)
from rapport.interactions.schemas import (
    AccountTimelineFilters,
    CommitmentCreateIn,
    CommitmentFilters,
    CommitmentOut,
    CommitmentPageOut,
    CommitmentUpdateIn,
    InteractionFilters,
    InteractionLogIn,
    InteractionOut,
    InteractionPageOut,
    InteractionUpdateIn,
    LeftOffOut,
    QuietAlertPageOut,
    RecomputeQueuedOut,
    ThreadCreateIn,
    ThreadDetailOut,
    ThreadFilters,
    ThreadOut,
    ThreadPageOut,
    TimelineFilters,
)
from rapport.interactions.selectors import LeftOff, QuietAlert

router = Router(tags=["interactions"])

# Service errors name model fields; the API answers with the request's field names.
INTERACTION_FIELDS = {"account": "account_id", "contacts": "contact_ids", "partner": "partner_id"}
# A logged interaction's thread and commitments (X2), under the request's names.
INTERACTION_FIELDS |= {"thread": "thread_id"} | {
    f"commitments.{i}.{name}": f"commitments.{i}.{name}_id"
    for i in range(20)
    for name in ("owner_user", "owner_contact")
}


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
# POST /interactions is memory's (memory/api.py): a log checks consent and records what
# was learned. The timeline resolves its part of the request here.


def interaction_log_arguments(user: User, payload: InteractionLogIn) -> dict[str, Any]:
    """interaction_log's arguments from a log request: every id resolved through selectors."""
    account = referenced(
        "account_id", account_selectors.account_get, user=user, pk=payload.account_id
    )
    partner = referenced(
        "partner_id", account_selectors.partner_get, user=user, pk=payload.partner_id
    )
    contacts = _contacts_named(user, payload.contact_ids)
    users = chosen("user_ids", payload.user_ids, partial(selectors.colleague_choices, user=user))
    fields = payload.dict(
        include=set(InteractionLogIn.model_fields),
        exclude={"account_id", "partner_id", "contact_ids", "user_ids"},
    )
    fields |= _continuity_named(user, fields)
    return {"account": account, "partner": partner, "contacts": contacts, "users": users, **fields}


@router.get("/interactions/{interaction_id}", response=InteractionOut)
def interaction_detail(
    request: HttpRequest, interaction_id: int, response: HttpResponse
) -> Interaction:
    """One interaction with its people; its ETag is the version to send back in If-Match."""
    interaction = selectors.interaction_get(user=caller(request), pk=interaction_id)
    etag(response, interaction)
    return interaction


@router.patch("/interactions/{interaction_id}", response=InteractionOut)
def interaction_update(
    request: HttpRequest, interaction_id: int, payload: InteractionUpdateIn, response: HttpResponse
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
            actor=user,
            interaction=interaction,
            contacts=contacts,
            expected_version=if_match(request),
            **changes,
        )
    interaction = selectors.interaction_get(user=user, pk=interaction.pk)
    etag(response, interaction)
    return interaction


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
    user = caller(request)
    return history_for(user=user, record=selectors.interaction_get(user=user, pk=interaction_id))


# --- threads and commitments: where we left off (X2) ------------------------------------

COMMITMENT_FIELDS = {
    "account": "account_id",
    "owner_user": "owner_user_id",
    "owner_contact": "owner_contact_id",
    "interaction": "interaction_id",
    "thread": "thread_id",
}


def _continuity_named(user: User, fields: dict[str, Any]) -> dict[str, Any]:
    """interaction_log's thread and commitments from a request's ids (taken out of `fields`)."""
    thread = referenced("thread_id", selectors.thread_get, user=user, pk=fields.pop("thread_id"))
    colleagues = partial(selectors.colleague_choices, user=user)
    specs = [
        services.CommitmentSpec(
            owed_by=row["owed_by"],
            description=row["description"],
            due_on=row["due_on"],
            owner_user=chosen_one(
                f"commitments.{index}.owner_user_id", row["owner_user_id"], colleagues
            ),
            owner_contact=referenced(
                f"commitments.{index}.owner_contact_id",
                account_selectors.contact_get,
                user=user,
                pk=row["owner_contact_id"],
            ),
        )
        for index, row in enumerate(fields.pop("commitments"))
    ]
    return {"thread": thread, "commitments": specs}


@router.get("/accounts/{account_id}/threads", response=ThreadPageOut, tags=["threads"])
def thread_list(
    request: HttpRequest, account_id: int, filters: Query[ThreadFilters]
) -> Page[Thread]:
    """The account's threads (with its units'), newest first, keyset-paginated."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=account_id)
    return selectors.thread_list(
        user=user,
        account=account,
        status=filters.status,
        cursor=filters.cursor,
        limit=filters.limit,
    )


@router.post("/threads", response={201: ThreadOut}, tags=["threads"])
def thread_open(request: HttpRequest, payload: ThreadCreateIn) -> Status[Thread]:
    """Start a thread: a topic that will run across interactions."""
    user = caller(request)
    account = referenced(
        "account_id", account_selectors.account_get, user=user, pk=payload.account_id
    )
    thread = services.thread_open(actor=user, account=account, title=payload.title)
    return Status(201, selectors.thread_get(user=user, pk=thread.pk))


@router.get("/threads/{thread_id}", response=ThreadDetailOut, tags=["threads"])
def thread_detail(request: HttpRequest, thread_id: int) -> dict[str, Any]:
    """A thread with its latest 100 interactions and every commitment made on it."""
    user = caller(request)
    thread = selectors.thread_get(user=user, pk=thread_id)
    return {
        "thread": thread,
        "interactions": selectors.thread_interactions(user=user, thread=thread),
        "commitments": selectors.thread_commitments(user=user, thread=thread),
    }


@router.post("/threads/{thread_id}/close", response=ThreadOut, tags=["threads"])
def thread_close(request: HttpRequest, thread_id: int) -> Thread:
    """Close a thread: the topic is settled (409 if it already is)."""
    user = caller(request)
    thread = services.thread_close(actor=user, thread=selectors.thread_get(user=user, pk=thread_id))
    return selectors.thread_get(user=user, pk=thread.pk)


@router.post("/threads/{thread_id}/reopen", response=ThreadOut, tags=["threads"])
def thread_reopen(request: HttpRequest, thread_id: int) -> Thread:
    """Open a closed thread again (409 if it is open)."""
    user = caller(request)
    thread = services.thread_reopen(
        actor=user, thread=selectors.thread_get(user=user, pk=thread_id)
    )
    return selectors.thread_get(user=user, pk=thread.pk)


@router.get("/commitments", response=CommitmentPageOut, tags=["commitments"])
def commitment_list(request: HttpRequest, filters: Query[CommitmentFilters]) -> Page[Commitment]:
    """Commitments by due date (undated last), filtered, keyset-paginated."""
    user = caller(request)
    return selectors.commitment_list(
        user=user,
        account=referenced(
            "account_id", account_selectors.account_get, user=user, pk=filters.account_id
        ),
        status=filters.status,
        owed_by=filters.owed_by,
        overdue=filters.overdue,
        owner_user=chosen_one(
            "owner_user_id", filters.owner_user_id, partial(selectors.colleague_choices, user=user)
        ),
        cursor=filters.cursor,
        limit=filters.limit,
    )


@router.post("/commitments", response={201: CommitmentOut}, tags=["commitments"])
def commitment_create(request: HttpRequest, payload: CommitmentCreateIn) -> Status[Commitment]:
    """Record who owes what to whom, by when."""
    user = caller(request)
    account = referenced(
        "account_id", account_selectors.account_get, user=user, pk=payload.account_id
    )
    with fields_renamed(**COMMITMENT_FIELDS):
        commitment = services.commitment_create(
            actor=user,
            account=account,
            owed_by=payload.owed_by,
            description=payload.description,
            due_on=payload.due_on,
            owner_user=chosen_one(
                "owner_user_id",
                payload.owner_user_id,
                partial(selectors.colleague_choices, user=user),
            ),
            owner_contact=referenced(
                "owner_contact_id",
                account_selectors.contact_get,
                user=user,
                pk=payload.owner_contact_id,
            ),
            interaction=referenced(
                "interaction_id", selectors.interaction_get, user=user, pk=payload.interaction_id
            ),
            thread=referenced("thread_id", selectors.thread_get, user=user, pk=payload.thread_id),
        )
    return Status(201, selectors.commitment_get(user=user, pk=commitment.pk))


@router.get("/commitments/{commitment_id}", response=CommitmentOut, tags=["commitments"])
def commitment_detail(
    request: HttpRequest, commitment_id: int, response: HttpResponse
) -> Commitment:
    """One commitment; its ETag is the version to send back in If-Match."""
    commitment = selectors.commitment_get(user=caller(request), pk=commitment_id)
    etag(response, commitment)
    return commitment


@router.patch("/commitments/{commitment_id}", response=CommitmentOut, tags=["commitments"])
def commitment_update(
    request: HttpRequest, commitment_id: int, payload: CommitmentUpdateIn, response: HttpResponse
) -> Commitment:
    """Change an open commitment's wording, due date or owner; only the fields sent change."""
    user = caller(request)
    commitment = selectors.commitment_get(user=user, pk=commitment_id)
    changes = payload.dict(exclude_unset=True)
    if "owner_user_id" in changes:
        changes["owner_user"] = chosen_one(
            "owner_user_id",
            changes.pop("owner_user_id"),
            partial(selectors.colleague_choices, user=user),
        )
    if "owner_contact_id" in changes:
        changes["owner_contact"] = referenced(
            "owner_contact_id",
            account_selectors.contact_get,
            user=user,
            pk=changes.pop("owner_contact_id"),
        )
    with fields_renamed(**COMMITMENT_FIELDS):
        services.commitment_update(
            actor=user, commitment=commitment, expected_version=if_match(request), **changes
        )
    commitment = selectors.commitment_get(user=user, pk=commitment.pk)
    etag(response, commitment)
    return commitment


@router.post("/commitments/{commitment_id}/complete", response=CommitmentOut, tags=["commitments"])
def commitment_complete(request: HttpRequest, commitment_id: int) -> Commitment:
    """Mark a commitment done (409 unless it is open)."""
    user = caller(request)
    commitment = selectors.commitment_get(user=user, pk=commitment_id)
    services.commitment_complete(actor=user, commitment=commitment)
    return selectors.commitment_get(user=user, pk=commitment.pk)


@router.post("/commitments/{commitment_id}/cancel", response=CommitmentOut, tags=["commitments"])
def commitment_cancel(request: HttpRequest, commitment_id: int) -> Commitment:
    """Cancel a commitment nobody owes any more (409 unless it is open)."""
    user = caller(request)
    commitment = selectors.commitment_get(user=user, pk=commitment_id)
    services.commitment_cancel(actor=user, commitment=commitment)
    return selectors.commitment_get(user=user, pk=commitment.pk)


@router.get("/accounts/{account_id}/where-we-left-off", response=LeftOffOut, tags=["accounts"])
def account_left_off(request: HttpRequest, account_id: int) -> LeftOff:
    """Open threads with their last exchange, open commitments both ways, what is overdue."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=account_id)
    return selectors.where_we_left_off(user=user, account=account)


@router.get("/contacts/{contact_id}/where-we-left-off", response=LeftOffOut, tags=["contacts"])
def contact_left_off(request: HttpRequest, contact_id: int) -> LeftOff:
    """The same for one person, with the last thing they told us."""
    user = caller(request)
    contact = account_selectors.contact_get(user=user, pk=contact_id)
    return selectors.where_we_left_off(user=user, contact=contact)


# --- quiet intervals (X8) --------------------------------------------------------------


@router.get("/alerts/quiet", response=QuietAlertPageOut, tags=["alerts"])
def quiet_alerts(request: HttpRequest, filters: Query[PageFilters]) -> Page[QuietAlert]:
    """Organisations quiet for longer than their own rhythm allows, most valuable first."""
    return selectors.quiet_alerts(user=caller(request), cursor=filters.cursor, limit=filters.limit)


@router.post("/alerts/quiet/recompute", response={202: RecomputeQueuedOut}, tags=["alerts"])
def quiet_alerts_recompute(request: HttpRequest) -> Status[dict[str, str]]:
    """Queue a relearning of every organisation's rhythm (staff writers)."""
    user = caller(request)
    if not access.can(user, access.Capability.SEE_INTERNAL_SIDE):
        raise NotFound("alerts not found")
    access.ensure_can_write(user)
    run = cadence.cadence_queue(started_by=user)
    return Status(202, {"task_id": str(run.pk), "status": run.status})
