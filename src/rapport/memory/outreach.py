"""Logging an interaction as the memory sees it: checked against consent, with what it taught us.

The timeline (interactions) is below the memory: a fact cites the interaction it was
learned in, a breach the interaction that broke a preference. So the use case "log what
happened, refuse what their consent blocks, record what they told us" is the memory's,
and every interaction a person logs (the log page, POST /interactions) comes through
`interaction_log_learned`; the timeline's own `interaction_log` knows nothing of consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from rapport.accounts.models import Account, Contact
from rapport.core.errors import Conflict, InvalidInput
from rapport.core.models import User
from rapport.interactions import services as interaction_services
from rapport.interactions.models import Direction, Interaction
from rapport.memory.models import PreferenceBreach, Purpose, Verdict
from rapport.memory.selectors import contact_permissions
from rapport.memory.services import LearnedFact, facts_learned


@transaction.atomic
def interaction_log_learned(
    *,
    actor: User,
    account: Account,
    contacts: Sequence[Contact] = (),
    purpose: str = "",
    override_reason: str = "",
    learned: Sequence[LearnedFact] = (),
    **timeline: Any,
) -> Interaction:
    """Log an interaction, checked against consent, with what it taught us: one transaction.

    `timeline` is the rest of interaction_log's arguments (channel, subject, thread, ...).
    interaction_log's own atomic block nests here as a savepoint (no service is durable),
    so a refusal by the consent check or a bad learned value leaves nothing behind.
    """
    interaction = interaction_services.interaction_log(
        actor=actor, account=account, contacts=contacts, purpose=purpose, **timeline
    )
    # Consent and preferences (X5): a block refuses the log unless overridden. It runs
    # after the timeline's write because a breach cites the interaction (the cap count
    # leaves it out by id); a refusal rolls the whole log back.
    outreach_check(
        actor=actor, interaction=interaction, contacts=contacts, override_reason=override_reason
    )
    # What the customer taught us on it (X3), with the interaction as its source.
    facts_learned(actor=actor, interaction=interaction, learned=learned, contacts=list(contacts))
    return interaction


IMPORTED_OVERRIDE = "Imported: a record of what already happened."


def outreach_check(
    *,
    actor: User,
    interaction: Interaction,
    contacts: Sequence[Contact],
    override_reason: str = "",
) -> list[PreferenceBreach]:
    """Check a logged interaction against each person's consent and preferences.

    Only outbound interactions are checked. A block stops the log (Conflict on
    `contacts`, naming every reason) unless an override reason is given or the
    interaction is imported (it has an external id); a block let through and every
    warning are recorded as breaches. Runs inside the caller's
    transaction, so a refused log leaves nothing behind.
    """
    purpose = interaction.purpose
    if purpose and purpose not in Purpose.values:
        raise InvalidInput(f"Unknown purpose {purpose!r}.", field="purpose")
    override_reason = (override_reason or "").strip()
    if interaction.direction != Direction.OUTBOUND or not contacts:
        return []
    people = list(dict.fromkeys(contacts))
    permissions = contact_permissions(
        contacts=people,
        channel=interaction.channel,
        purpose=purpose,
        at=interaction.occurred_at,
        exclude_interaction_id=interaction.pk,
    )
    blocked = [c for c in people if permissions[c.pk].is_blocked]
    if interaction.external_id and not override_reason:
        # An imported message is a record of what already happened: keep it, and the breach.
        override_reason = IMPORTED_OVERRIDE
    if blocked and not override_reason:
        reasons = [f"{c.full_name}: {r}" for c in blocked for r in permissions[c.pk].reasons]
        raise Conflict(
            f"{reasons[0]} Give an override reason to log it anyway.",
            errors={"contacts": reasons},
        )
    breaches = [
        PreferenceBreach(
            customer_id=interaction.customer_id,
            contact=c,
            interaction=interaction,
            verdict=permissions[c.pk].verdict,
            reasons=permissions[c.pk].reasons,
            override_reason=override_reason if permissions[c.pk].is_blocked else "",
            recorded_by=actor,
        )
        for c in people
        if permissions[c.pk].verdict != Verdict.ALLOW
    ]
    return PreferenceBreach.objects.bulk_create(breaches)
