"""API of the learning memory: facts, questions, preferences and consent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Status

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Contact
from rapport.core import access
from rapport.core.api import caller, etag, fields_renamed, if_match, referenced
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page
from rapport.core.schemas import Id
from rapport.interactions import api as interaction_api
from rapport.interactions import selectors as interaction_selectors
from rapport.interactions.models import Interaction
from rapport.interactions.schemas import InteractionOut
from rapport.memory import outreach, scorecards, selectors, services
from rapport.memory.models import (
    Asking,
    Attribute,
    CommunicationPreference,
    Consent,
    Contradiction,
    Fact,
    FrequencyCap,
    QuestionnaireLink,
)
from rapport.memory.schemas import (
    AnswerIn,
    AskIn,
    AskingFilters,
    AskingOut,
    AskingPageOut,
    AttributeCreateIn,
    AttributeOut,
    AttributeUpdateIn,
    CaptureFilters,
    CaptureOut,
    ChannelName,
    ConsentIn,
    ConsentOut,
    ContactPermissionOut,
    ContradictionFilters,
    ContradictionOut,
    ContradictionResolveIn,
    FactHistoryFilters,
    FactOut,
    FactRecordedOut,
    FactRecordIn,
    FrequencyCapIn,
    FrequencyCapOut,
    InteractionCreateIn,
    KnownAnswerFilters,
    KnownAnswerOut,
    LearnedIn,
    PermissionOut,
    PermissionQuery,
    PermissionsQuery,
    PreferenceIn,
    PreferenceOut,
    ProfileOut,
    QuestionnaireCreatedOut,
    QuestionnaireIn,
    QuestionnaireOut,
    ReaskFilters,
    ReaskSummaryOut,
    SuggestionOut,
)
from rapport.memory.selectors import Permission, Profile
from rapport.memory.services import LearnedFact

router = Router(tags=["memory"])

# --- facts (X3) ------------------------------------------------------------------------

FACT_FIELDS = {
    "said_by": "said_by_id",
    "interaction": "interaction_id",
    "contact": "contact_id",
    "account": "account_id",
}


def _attribute(key: str) -> Attribute:
    """The attribute a request names by key; an unknown key is bad input."""
    try:
        return selectors.attribute_get(key=key)
    except NotFound:
        raise InvalidInput(f"Unknown attribute {key!r}.", field="attribute") from None


def _subject(user: User, account_id: int | None, contact_id: int | None) -> dict[str, Any]:
    """The account or contact a request is about, found through the scoped selectors."""
    if (account_id is None) == (contact_id is None):
        raise InvalidInput("Give either account_id or contact_id.", field="account_id")
    return {
        "account": referenced(
            "account_id", account_selectors.account_get, user=user, pk=account_id
        ),
        "contact": referenced(
            "contact_id", account_selectors.contact_get, user=user, pk=contact_id
        ),
    }


@router.get("/attributes", response=list[AttributeOut])
def attribute_list(request: HttpRequest, kind: str = "", level: str = "") -> list[Attribute]:
    """The catalogue of what customers can teach us, with the question for each."""
    caller(request)
    return selectors.attribute_list(kind=kind, level=level)


@router.post("/attributes", response={201: AttributeOut})
def attribute_create(request: HttpRequest, payload: AttributeCreateIn) -> Status[Attribute]:
    """Add to the catalogue (admins)."""
    return Status(201, services.attribute_create(actor=caller(request), **payload.dict()))


@router.patch("/attributes/{key}", response=AttributeOut)
def attribute_update(
    request: HttpRequest, key: str, payload: AttributeUpdateIn, response: HttpResponse
) -> Attribute:
    """Change a catalogue entry (admins); only the fields sent change; If-Match is honoured."""
    attribute = selectors.attribute_get(key=key)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    attribute = services.attribute_update(
        actor=caller(request), attribute=attribute, expected_version=if_match(request), **changes
    )
    etag(response, attribute)
    return attribute


@router.delete("/attributes/{key}", response={204: None})
def attribute_retire(request: HttpRequest, key: str) -> Status[None]:
    """Retire a catalogue entry (admins); recorded facts keep it in their history."""
    services.attribute_retire(actor=caller(request), attribute=selectors.attribute_get(key=key))
    return Status(204, None)


@router.get("/accounts/{account_id}/profile", response=ProfileOut, tags=["accounts"])
def account_profile(request: HttpRequest, account_id: int) -> Profile:
    """What we know about an org unit (own and inherited) and what we don't."""
    user = caller(request)
    return selectors.profile(
        user=user, account=account_selectors.account_get(user=user, pk=account_id)
    )


@router.get("/contacts/{contact_id}/profile", response=ProfileOut, tags=["contacts"])
def contact_profile(request: HttpRequest, contact_id: int) -> Profile:
    """What we know about a person, their unit and organisation, and what we don't."""
    user = caller(request)
    return selectors.profile(
        user=user, contact=account_selectors.contact_get(user=user, pk=contact_id)
    )


@router.post("/facts", response={201: FactRecordedOut})
def fact_record(request: HttpRequest, payload: FactRecordIn) -> Status[services.FactRecorded]:
    """Record what a customer taught us; a different current value is superseded, kept in history."""
    user = caller(request)
    subject = _subject(user, payload.account_id, payload.contact_id)
    with fields_renamed(**FACT_FIELDS):
        recorded = services.fact_record(
            actor=user,
            attribute=_attribute(payload.attribute),
            value=payload.value,
            source=payload.source,
            interaction=referenced(
                "interaction_id",
                interaction_selectors.interaction_get,
                user=user,
                pk=payload.interaction_id,
            ),
            said_by=referenced(
                "said_by_id", account_selectors.contact_get, user=user, pk=payload.said_by_id
            ),
            confidence=payload.confidence,
            valid_from=payload.valid_from,
            valid_until=payload.valid_until,
            note=payload.note,
            **subject,
        )
    return Status(201, recorded)


@router.get("/facts", response=list[FactOut])
def fact_history(request: HttpRequest, filters: Query[FactHistoryFilters]) -> list[Fact]:
    """Every value a subject has had for one attribute, newest first (nothing is erased)."""
    user = caller(request)
    subject = _subject(user, filters.account_id, filters.contact_id)
    return selectors.fact_history(user=user, attribute=_attribute(filters.attribute), **subject)


@router.get("/facts/{fact_id}", response=FactOut)
def fact_detail(request: HttpRequest, fact_id: int) -> Fact:
    """One fact with its provenance."""
    return selectors.fact_get(user=caller(request), pk=fact_id)


@router.get("/contradictions", response=list[ContradictionOut])
def contradiction_list(
    request: HttpRequest, filters: Query[ContradictionFilters]
) -> list[Contradiction]:
    """Values from different sources that disagree, waiting for a person to decide."""
    user = caller(request)
    account = referenced(
        "account_id", account_selectors.account_get, user=user, pk=filters.account_id
    )
    return selectors.contradiction_list(user=user, account=account, status=filters.status)


@router.post("/contradictions/{contradiction_id}/resolve", response=ContradictionOut)
def contradiction_resolve(
    request: HttpRequest, contradiction_id: int, payload: ContradictionResolveIn
) -> Contradiction:
    """Decide which value stands; the other stays in the history."""
    user = caller(request)
    contradiction = selectors.contradiction_get(user=user, pk=contradiction_id)
    services.contradiction_resolve(
        actor=user, contradiction=contradiction, keep=payload.keep, note=payload.note
    )
    return selectors.contradiction_get(user=user, pk=contradiction_id)


# --- questions (X4) --------------------------------------------------------------------


@router.get(
    "/accounts/{account_id}/next-questions", response=list[SuggestionOut], tags=["accounts"]
)
def account_next_questions(request: HttpRequest, account_id: int, limit: int = 5) -> list[Any]:
    """The unknown or stale attributes most worth asking an org unit about, and why."""
    user = caller(request)
    account = account_selectors.account_get(user=user, pk=account_id)
    return selectors.next_questions(user=user, account=account, limit=max(1, min(limit, 30)))


@router.get(
    "/contacts/{contact_id}/next-questions", response=list[SuggestionOut], tags=["contacts"]
)
def contact_next_questions(request: HttpRequest, contact_id: int, limit: int = 5) -> list[Any]:
    """The unknown or stale attributes most worth asking a person about, and why."""
    user = caller(request)
    contact = account_selectors.contact_get(user=user, pk=contact_id)
    return selectors.next_questions(user=user, contact=contact, limit=max(1, min(limit, 30)))


@router.get("/questions/known", response=KnownAnswerOut)
def known_answer(request: HttpRequest, filters: Query[KnownAnswerFilters]) -> dict[str, Any]:
    """Before asking: do we know the answer already, and who told us?"""
    user = caller(request)
    subject = _subject(user, filters.account_id, filters.contact_id)
    entry = selectors.known_answer(user=user, attribute=_attribute(filters.attribute), **subject)
    return {"known": entry.is_known, "entry": entry}


@router.post("/askings", response={201: AskingOut})
def question_ask(request: HttpRequest, payload: AskIn) -> Status[Asking]:
    """Record a question asked (and its answer, if given); a known answer answers 409 instead."""
    user = caller(request)
    subject = _subject(user, payload.account_id, payload.contact_id)
    interaction = referenced(
        "interaction_id",
        interaction_selectors.interaction_get,
        user=user,
        pk=payload.interaction_id,
    )
    with fields_renamed(**FACT_FIELDS), transaction.atomic():
        asking = services.question_ask(
            actor=user,
            attribute=_attribute(payload.attribute),
            channel=payload.channel,
            interaction=interaction,
            reason=payload.reason,
            **subject,
        )
        if payload.answer is not None:
            with fields_renamed(value="answer"):
                services.question_answer(actor=user, asking=asking, value=payload.answer)
    return Status(201, selectors.asking_get(user=user, pk=asking.pk))


@router.post("/askings/{asking_id}/answer", response=AskingOut)
def question_answer(request: HttpRequest, asking_id: int, payload: AnswerIn) -> Asking:
    """Record the answer to a question asked earlier."""
    user = caller(request)
    asking = selectors.asking_get(user=user, pk=asking_id)
    services.question_answer(
        actor=user, asking=asking, value=payload.value, confidence=payload.confidence
    )
    return selectors.asking_get(user=user, pk=asking_id)


@router.get("/askings", response=AskingPageOut)
def asking_list(request: HttpRequest, filters: Query[AskingFilters]) -> Page[Asking]:
    """Questions asked, newest first; reasks_only=true lists the re-asks."""
    user = caller(request)
    return selectors.asking_list(
        user=user,
        account=referenced(
            "account_id", account_selectors.account_get, user=user, pk=filters.account_id
        ),
        contact=referenced(
            "contact_id", account_selectors.contact_get, user=user, pk=filters.contact_id
        ),
        reasks_only=filters.reasks_only,
        cursor=filters.cursor,
        limit=filters.limit,
    )


@router.get("/reasks", response=ReaskSummaryOut)
def reask_summary(request: HttpRequest, filters: Query[ReaskFilters]) -> selectors.ReaskSummary:
    """Re-asks per organisation and per employee over the last `days` days: drive them to zero."""
    since = timezone.now() - timedelta(days=filters.days)
    return selectors.reask_summary(user=caller(request), since=since)


@router.post("/questionnaires", response={201: QuestionnaireCreatedOut})
def questionnaire_create(
    request: HttpRequest, payload: QuestionnaireIn
) -> Status[QuestionnaireLink]:
    """A link for the customer's person: the questions we can't answer yet, theirs to pick."""
    user = caller(request)
    subject = _subject(user, payload.account_id, payload.contact_id)
    if payload.attributes:
        attributes = [_attribute(key) for key in payload.attributes]
    else:
        attributes = [s.attribute for s in selectors.next_questions(user=user, limit=8, **subject)]
    with fields_renamed(**FACT_FIELDS):
        link, key = services.questionnaire_create(
            actor=user, attributes=attributes, days_valid=payload.days_valid, **subject
        )
    link = selectors.questionnaire_get(user=user, pk=link.pk)
    link.url = request.build_absolute_uri(reverse("memory:questionnaire", args=[key]))  # type: ignore[attr-defined]
    return Status(201, link)


@router.post("/questionnaires/{questionnaire_id}/revoke", response=QuestionnaireOut)
def questionnaire_revoke(request: HttpRequest, questionnaire_id: int) -> QuestionnaireLink:
    """Switch a questionnaire link off."""
    user = caller(request)
    link = selectors.questionnaire_get(user=user, pk=questionnaire_id)
    services.questionnaire_revoke(actor=user, link=link)
    return selectors.questionnaire_get(user=user, pk=questionnaire_id)


# --- communication preferences and consent (X5) ----------------------------------------


def _contact(request: HttpRequest, contact_id: int) -> tuple[User, Contact]:
    user = caller(request)
    return user, account_selectors.contact_get(user=user, pk=contact_id)


def _preference_out(contact: Contact, preference: CommunicationPreference | None) -> dict:
    """A person's preferences, or the empty ones when none were recorded."""
    if preference is None:
        return {
            "contact_id": contact.pk,
            "preferred_channel": "",
            "preferred_days": [],
            "preferred_from": None,
            "preferred_until": None,
            "time_zone": "",
            "language": "",
            "notes": "",
            "source": "",
            "updated_by": None,
            "updated_at": None,
        }
    return {
        "contact_id": contact.pk,
        **{
            name: getattr(preference, name)
            for name in (
                "preferred_channel",
                "preferred_days",
                "preferred_from",
                "preferred_until",
                "time_zone",
                "language",
                "notes",
                "source",
                "updated_by",
                "updated_at",
            )
        },
    }


@router.get(
    "/contacts/{contact_id}/communication-preferences", response=PreferenceOut, tags=["contacts"]
)
def preference_detail(request: HttpRequest, contact_id: Id) -> dict:
    """How the person likes to be reached (empty values when nothing was recorded)."""
    user, contact = _contact(request, contact_id)
    return _preference_out(contact, selectors.preference_get(user=user, contact=contact))


@router.put(
    "/contacts/{contact_id}/communication-preferences", response=PreferenceOut, tags=["contacts"]
)
def preference_set(request: HttpRequest, contact_id: Id, payload: PreferenceIn) -> dict:
    """Replace the person's preferences; the previous version stays in the history."""
    user, contact = _contact(request, contact_id)
    preference = services.preference_set(actor=user, contact=contact, **payload.dict())
    return _preference_out(contact, preference)


@router.get(
    "/contacts/{contact_id}/frequency-caps", response=list[FrequencyCapOut], tags=["contacts"]
)
def frequency_cap_list(request: HttpRequest, contact_id: Id) -> Any:
    """The person's limits on outbound touches, one per channel at most."""
    user, contact = _contact(request, contact_id)
    return selectors.frequency_caps(user=user, contact=contact)


@router.put(
    "/contacts/{contact_id}/frequency-caps/{channel}", response=FrequencyCapOut, tags=["contacts"]
)
def frequency_cap_set(
    request: HttpRequest, contact_id: Id, channel: ChannelName, payload: FrequencyCapIn
) -> FrequencyCap:
    """Set (or replace) the cap on one channel: at most max_contacts per per_days days."""
    user, contact = _contact(request, contact_id)
    return services.frequency_cap_set(
        actor=user, contact=contact, channel=channel, **payload.dict()
    )


@router.delete(
    "/contacts/{contact_id}/frequency-caps/{channel}", response={204: None}, tags=["contacts"]
)
def frequency_cap_remove(
    request: HttpRequest, contact_id: Id, channel: ChannelName
) -> Status[None]:
    """Lift the cap on one channel."""
    user, contact = _contact(request, contact_id)
    access.ensure_can_write(user)
    cap = selectors.frequency_caps(user=user, contact=contact).filter(channel=channel).first()
    if cap is None:
        raise NotFound(f"No cap on {channel}.")
    services.frequency_cap_remove(actor=user, cap=cap)
    return Status(204, None)


@router.get("/contacts/{contact_id}/consents", response=list[ConsentOut], tags=["contacts"])
def consent_list(request: HttpRequest, contact_id: Id) -> Any:
    """Every grant and withdrawal of consent, newest first; nothing is ever overwritten."""
    user, contact = _contact(request, contact_id)
    return selectors.consent_history(user=user, contact=contact)


@router.post("/contacts/{contact_id}/consents", response={201: ConsentOut}, tags=["contacts"])
def consent_record(request: HttpRequest, contact_id: Id, payload: ConsentIn) -> Status[Consent]:
    """Record that the person granted or withdrew consent to a purpose (on a channel or all)."""
    user, contact = _contact(request, contact_id)
    interaction = referenced(
        "interaction_id",
        interaction_selectors.interaction_get,
        user=user,
        pk=payload.interaction_id,
    )
    fields = payload.dict(exclude={"interaction_id"})
    with fields_renamed(interaction="interaction_id"):
        consent = services.consent_record(
            actor=user, contact=contact, interaction=interaction, **fields
        )
    return Status(201, consent)


@router.get("/contacts/{contact_id}/permission", response=PermissionOut, tags=["contacts"])
def contact_permission(
    request: HttpRequest, contact_id: Id, filters: Query[PermissionQuery]
) -> Permission:
    """May we contact this person on this channel for this purpose now (or at `at`)?"""
    _, contact = _contact(request, contact_id)
    return selectors.contact_permission(
        contact=contact, channel=filters.channel, purpose=filters.purpose, at=filters.at
    )


@router.get("/contact-permissions", response=list[ContactPermissionOut], tags=["contacts"])
def contact_permissions(request: HttpRequest, filters: Query[PermissionsQuery]) -> list[dict]:
    """The same question for many people at once (an outreach list), in a bounded number of queries."""
    user = caller(request)
    found = account_selectors.contacts_by_ids(user=user, ids=filters.contact_ids)
    missing = [pk for pk in filters.contact_ids if pk not in found]
    if missing:
        raise InvalidInput(f"Contact not found (id {missing[0]}).", field="contact_ids")
    permissions = selectors.contact_permissions(
        contacts=list(found.values()),
        channel=filters.channel,
        purpose=filters.purpose,
        at=filters.at,
    )
    return [
        {"contact_id": pk, "verdict": permissions[pk].verdict, "reasons": permissions[pk].reasons}
        for pk in dict.fromkeys(filters.contact_ids)
    ]


# --- logging an interaction with what was learned (X3, X5) ---------------------------------
# POST /interactions checks consent and records what was learned, so it is memory's; ninja
# serves a path from one router, and GET /interactions is the timeline's, so the operation
# joins the timeline's router (same path, tags and operation id as before it moved here).


def _learned_named(user: User, learned: Sequence[LearnedIn]) -> list[LearnedFact]:
    """The facts a log request teaches, with attributes and people resolved (errors name the row)."""
    resolved = []
    for index, item in enumerate(learned):
        try:
            attribute = selectors.attribute_get(key=item.attribute)
        except NotFound:
            raise InvalidInput(
                f"Unknown attribute {item.attribute!r}.", field=f"learned.{index}.attribute"
            ) from None
        resolved.append(
            LearnedFact(
                attribute=attribute,
                value=item.value,
                contact=referenced(
                    f"learned.{index}.contact_id",
                    account_selectors.contact_get,
                    user=user,
                    pk=item.contact_id,
                ),
                account=referenced(
                    f"learned.{index}.account_id",
                    account_selectors.account_get,
                    user=user,
                    pk=item.account_id,
                ),
            )
        )
    return resolved


@interaction_api.router.post(
    "/interactions",
    response={201: InteractionOut},
    operation_id="rapport_interactions_api_interaction_log",
)
def interaction_log(request: HttpRequest, payload: InteractionCreateIn) -> Status[Interaction]:
    """Put an interaction on the timeline, with the people on both sides."""
    user = caller(request)
    fields = interaction_api.interaction_log_arguments(user, payload)
    learned = _learned_named(user, payload.learned)
    with fields_renamed(**interaction_api.INTERACTION_FIELDS):
        interaction = outreach.interaction_log_learned(actor=user, learned=learned, **fields)
    return Status(201, interaction_selectors.interaction_get(user=user, pk=interaction.pk))


# --- the capture-quality scorecard (X9) -------------------------------------------------


@router.get(
    "/scorecards/capture",
    response=CaptureOut,
    tags=["scorecards"],
    operation_id="rapport_interactions_api_scorecard_capture",
)
def scorecard_capture(request: HttpRequest, filters: Query[CaptureFilters]) -> dict[str, Any]:
    """Per employee: interactions logged, shares with outcome and next step, facts taught,
    re-asks caused, commitments kept. Staff only."""
    user = caller(request)
    until = filters.until or timezone.localdate()
    since = filters.since or until - timedelta(days=89)
    rows = scorecards.capture_quality(user=user, since=since, until=until)
    return {"since": since, "until": until, "rows": rows}
