"""Demo data of the learning memory, generated over accounts and interactions already loaded.

What each organisation has taught us (facts with provenance, some superseded, a few
contradicting), the questions we asked (a few of them re-asks), and how people like to
be reached (preferences, consent, frequency caps). Deterministic for a seed; written in
bulk so the benchmark's large size stays quick.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from rapport.accounts.models import Account, Contact
from rapport.core import access
from rapport.core.access import Capability
from rapport.core.models import User
from rapport.interactions.models import Channel, Direction, Interaction
from rapport.memory.models import (
    Asking,
    Attribute,
    AttributeKind,
    CommunicationPreference,
    Consent,
    ConsentStatus,
    Contradiction,
    Fact,
    FactSource,
    FrequencyCap,
    Purpose,
    SubjectLevel,
    ValueType,
)
from rapport.memory.values import display_value

BATCH = 5_000

PLANS = [
    "Opening a plant in Poland in 2027",
    "Consolidating three warehouses into one",
    "Hiring 40 engineers next year",
    "Entering the US market",
    "Moving finance to a shared-service centre",
    "Replacing the ERP system",
    "Doubling production capacity at the main site",
    "Outsourcing maintenance",
]
STANDARDS = [
    {"ISO": "27001"},
    {"ISO": "9001", "IEC": "62443"},
    {"DIN": "EN 50600"},
    {"ISO": "14001", "ISO 50001": "2018"},
]
REASONS = [
    "Confirming before the renewal",
    "Last answer is over a year old",
    "New contact in the role",
    "Budget cycle has restarted",
]
CONSENT_HOW = [
    "Web form at the trade fair",
    "Ticked the box when registering for the portal",
    "Told us on a call",
    "Replied to the newsletter",
    "Unsubscribe link in a newsletter",
]


def _value(attribute: Attribute, rng: random.Random, today: date) -> Any:
    """A believable value for an attribute of any type."""
    kind = attribute.value_type
    if kind == ValueType.CHOICE:
        return rng.choice(attribute.choices)
    if kind == ValueType.MULTI_CHOICE:
        return sorted(
            rng.sample(attribute.choices, rng.randint(1, min(3, len(attribute.choices)))),
            key=attribute.choices.index,
        )
    if kind == ValueType.BOOLEAN:
        return rng.random() < 0.6
    if kind == ValueType.MONEY:
        return int(round(rng.lognormvariate(11.5, 1.0), -3)) or 5_000
    if kind == ValueType.NUMBER:
        return max(1, int(rng.lognormvariate(4.0 if attribute.unit == "users" else 1.5, 1.0)))
    if kind == ValueType.DATE:
        return (today + timedelta(days=rng.randint(20, 540))).isoformat()
    if kind == ValueType.STRUCTURED:
        return dict(rng.choice(STANDARDS))
    return rng.choice(PLANS)


def _latest_interactions(per_customer: int) -> dict[int, list[tuple[int, int | None]]]:
    """Each organisation's latest two-way or inbound interactions: (id, unit) pairs."""
    ranked = (
        Interaction.objects.filter(direction__in=[Direction.TWO_WAY, Direction.INBOUND])
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("customer_id")], order_by=F("occurred_at").desc()
            )
        )
        .filter(rank__lte=per_customer)
        .values_list("customer_id", "id", "account_id")
    )
    latest: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for customer_id, interaction_id, account_id in ranked.iterator(chunk_size=BATCH):
        latest[customer_id].append((interaction_id, account_id))
    return latest


def generate(*, seed: int, progress: Callable[[str], None]) -> dict[str, int]:
    """Write the memory demo rows for every organisation in the database; returns counts."""
    rng = random.Random(seed * 7919 + 17)
    now = timezone.now()
    today = timezone.localdate()
    # Needs are answered in rapport.demo.value, from latent needs profiles (for the segments).
    attributes = list(Attribute.objects.exclude(kind=AttributeKind.NEED).order_by("key"))
    if not attributes:
        return {}
    by_level: dict[str, list[Attribute]] = defaultdict(list)
    for attribute in attributes:
        by_level[attribute.level].append(attribute)
    staff = list(
        User.objects.filter(
            role__in=access.roles_with(Capability.WRITE_CUSTOMER_DATA), is_active=True
        ).values_list("id", flat=True)
    )
    units: dict[int, list[int]] = defaultdict(list)
    for unit_id, customer_id in Account.objects.filter(deleted_at__isnull=True).values_list(
        "id", "customer_id"
    ):
        units[customer_id or unit_id].append(unit_id)
    people: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for contact_id, customer_id, account_id in (
        Contact.objects.filter(status="active").values_list("id", "customer_id", "account_id")
    ).iterator(chunk_size=BATCH):
        people[customer_id].append((contact_id, account_id))
    latest = _latest_interactions(per_customer=6)

    facts: list[Fact] = []
    superseded: list[tuple[Fact, dict[str, Any]]] = []
    contradicted: list[Fact] = []
    askings: list[Asking] = []

    def fact(
        attribute: Attribute, customer_id: int, account_id: int, contact_id: int | None
    ) -> Fact:
        value = _value(attribute, rng, today)
        heard = latest.get(customer_id) or []
        roll = rng.random()
        source = (
            FactSource.INTERACTION
            if roll < 0.6 and heard
            else FactSource.USER
            if roll < 0.85
            else FactSource.QUESTIONNAIRE
            if roll < 0.95
            else FactSource.IMPORT
        )
        interaction_id = rng.choice(heard)[0] if source == FactSource.INTERACTION else None
        tellers = people.get(customer_id) or []
        said_by = contact_id or (
            rng.choice(tellers)[0]
            if tellers and source in (FactSource.INTERACTION, FactSource.QUESTIONNAIRE)
            else None
        )
        # Most answers are recent; a tail is old enough to be worth confirming.
        age = int(rng.expovariate(1 / 160))
        return Fact(
            customer_id=customer_id,
            account_id=account_id,
            contact_id=contact_id,
            attribute=attribute,
            value=value,
            display=display_value(attribute, value),
            source=source,
            interaction_id=interaction_id,
            said_by_id=said_by,
            recorded_by_id=None if source == FactSource.QUESTIONNAIRE else rng.choice(staff),
            recorded_at=now - timedelta(days=min(age, 900), minutes=rng.randint(0, 1440)),
            confidence={"interaction": 90, "user": 80, "questionnaire": 100, "import": 70}[source],
            valid_from=today - timedelta(days=min(age, 900)),
        )

    for customer_id in sorted(units):
        org_units = units[customer_id]
        org_people = people.get(customer_id, [])
        known = rng.sample(by_level[SubjectLevel.ORGANISATION], rng.randint(2, 7))
        rows = [fact(a, customer_id, customer_id, None) for a in known]
        for unit_id in rng.sample(org_units, min(len(org_units), 3)):
            for a in rng.sample(by_level[SubjectLevel.UNIT], rng.randint(1, 4)):
                rows.append(fact(a, customer_id, unit_id, None))
        for contact_id, account_id in rng.sample(org_people, min(len(org_people), 3)):
            for a in rng.sample(by_level[SubjectLevel.CONTACT], rng.randint(0, 2)):
                rows.append(fact(a, customer_id, account_id, contact_id))
        seen: set[tuple[int, int, int | None]] = set()
        for row in rows:
            key = (row.attribute.pk, row.account_id, row.contact_id)
            if key in seen:
                continue
            seen.add(key)
            facts.append(row)
            chance = rng.random()
            if chance < 0.2 and row.recorded_at < now - timedelta(days=30):
                # An older value that this one replaced.
                older = _value(row.attribute, rng, today)
                superseded.append(
                    (
                        row,
                        {
                            "value": older,
                            "display": display_value(row.attribute, older),
                            "recorded_at": row.recorded_at - timedelta(days=rng.randint(60, 400)),
                        },
                    )
                )
            elif chance < 0.23 and len(org_people) > 1:
                contradicted.append(row)
        # What we asked: answered questions, and now and then a re-ask.
        for row in rows[: rng.randint(1, 4)]:
            askings.append(
                Asking(
                    customer_id=customer_id,
                    account_id=row.account_id,
                    contact_id=row.contact_id or row.said_by_id,
                    attribute=row.attribute,
                    asked_by_id=row.recorded_by_id,
                    asked_at=row.recorded_at - timedelta(minutes=5),
                    channel=Channel.CALL if row.interaction_id else Channel.EMAIL,
                    interaction_id=row.interaction_id,
                    answer=row,
                    answered_at=row.recorded_at,
                )
            )
        if rows and rng.random() < 0.3:
            row = rng.choice(rows)
            askings.append(
                Asking(
                    customer_id=customer_id,
                    account_id=row.account_id,
                    contact_id=row.contact_id or row.said_by_id,
                    attribute=row.attribute,
                    asked_by_id=rng.choice(staff),
                    asked_at=min(
                        now - timedelta(hours=1),
                        row.recorded_at + timedelta(days=rng.randint(1, 30)),
                    ),
                    channel=Channel.CALL,
                    known_fact=row,
                    is_reask=True,
                    reask_reason=rng.choice(REASONS),
                )
            )

    progress(f"learning memory: {len(facts):,} facts to write")
    Fact.objects.bulk_create(facts, batch_size=BATCH)
    older_rows = []
    for current, changes in superseded:
        older_rows.append(
            Fact(
                customer_id=current.customer_id,
                account_id=current.account_id,
                contact_id=current.contact_id,
                attribute=current.attribute,
                source=FactSource.USER,
                recorded_by_id=current.recorded_by_id,
                confidence=80,
                valid_from=changes["recorded_at"].date(),
                superseded_by=current,
                superseded_at=current.recorded_at,
                **changes,
            )
        )
    contradictions = []
    for current in contradicted:
        other = _value(current.attribute, rng, today)
        tellers = [c for c, _ in people[current.customer_id] if c != current.said_by_id]
        if other == current.value or not tellers:
            continue
        earlier = Fact(
            customer_id=current.customer_id,
            account_id=current.account_id,
            contact_id=current.contact_id,
            attribute=current.attribute,
            value=other,
            display=display_value(current.attribute, other),
            source=FactSource.INTERACTION,
            said_by_id=rng.choice(tellers),
            recorded_by_id=rng.choice(staff),
            recorded_at=current.recorded_at - timedelta(days=rng.randint(3, 40)),
            confidence=90,
            valid_from=current.valid_from,
            superseded_by=current,
            superseded_at=current.recorded_at,
        )
        older_rows.append(earlier)
        contradictions.append((earlier, current))
    Fact.objects.bulk_create(older_rows, batch_size=BATCH)
    Contradiction.objects.bulk_create(
        [
            Contradiction(
                customer_id=later.customer_id,
                account_id=later.account_id,
                contact_id=later.contact_id,
                attribute=later.attribute,
                earlier=earlier,
                later=later,
            )
            for earlier, later in contradictions
        ],
        batch_size=BATCH,
    )
    Asking.objects.bulk_create(askings, batch_size=BATCH)
    counts = {
        "facts": len(facts) + len(older_rows),
        "contradictions": len(contradictions),
        "askings": len(askings),
    }
    counts |= _preferences(rng, people, staff, now)
    progress(
        f"learning memory: {counts['facts']:,} facts, {counts['askings']:,} askings, "
        f"{counts['consents']:,} consent records"
    )
    return counts


def _preferences(
    rng: random.Random, people: dict[int, list[tuple[int, int]]], staff: list[int], now: Any
) -> dict[str, int]:
    """How a share of the people like to be reached, their consents and a few caps."""
    preferences, consents, caps = [], [], []
    channels = [Channel.EMAIL, Channel.CALL, Channel.MEETING, Channel.PORTAL]
    for customer_id, members in sorted(people.items()):
        for contact_id, _account_id in members:
            roll = rng.random()
            if roll < 0.3:
                start = rng.choice([8, 9, 10])
                preferences.append(
                    CommunicationPreference(
                        customer_id=customer_id,
                        contact_id=contact_id,
                        preferred_channel=rng.choice(channels),
                        preferred_days=sorted(rng.sample([1, 2, 3, 4, 5], rng.randint(2, 5))),
                        preferred_from=time(start),
                        preferred_until=time(start + rng.choice([6, 7, 8])),
                        time_zone=rng.choice(
                            ["Europe/Berlin", "Europe/London", "America/New_York"]
                        ),
                        language=rng.choice(["en", "de", "fr", "nl"]),
                        updated_by_id=rng.choice(staff),
                    )
                )
            if roll < 0.45:
                granted_at = now - timedelta(days=rng.randint(30, 700))
                for purpose in rng.sample(
                    [Purpose.MARKETING, Purpose.NEWSLETTER, Purpose.EVENTS], 2
                ):
                    consents.append(
                        Consent(
                            customer_id=customer_id,
                            contact_id=contact_id,
                            purpose=purpose,
                            status=ConsentStatus.GRANTED,
                            recorded_at=granted_at,
                            how=rng.choice(CONSENT_HOW[:4]),
                            recorded_by_id=rng.choice(staff),
                        )
                    )
                    if rng.random() < 0.15:
                        consents.append(
                            Consent(
                                customer_id=customer_id,
                                contact_id=contact_id,
                                purpose=purpose,
                                status=ConsentStatus.WITHDRAWN,
                                recorded_at=granted_at + timedelta(days=rng.randint(10, 25)),
                                how=CONSENT_HOW[4],
                                recorded_by_id=rng.choice(staff),
                            )
                        )
            if roll < 0.05:
                caps.append(
                    FrequencyCap(
                        customer_id=customer_id,
                        contact_id=contact_id,
                        channel=Channel.EMAIL,
                        max_contacts=rng.choice([2, 4]),
                        per_days=rng.choice([7, 30]),
                    )
                )
    CommunicationPreference.objects.bulk_create(preferences, batch_size=BATCH)
    Consent.objects.bulk_create(consents, batch_size=BATCH)
    FrequencyCap.objects.bulk_create(caps, batch_size=BATCH)
    return {
        "communication_preferences": len(preferences),
        "consents": len(consents),
        "frequency_caps": len(caps),
    }
