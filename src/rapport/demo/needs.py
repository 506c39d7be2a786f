"""Value demo answers: wallets, managers' judgements and needs, as facts and estimates."""

from __future__ import annotations

import json
import random
import time
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Subquery

from rapport.demo.buying import (
    BATCH,
    BUYING_STAGES,
    CATEGORY_NAMES,
    LINE_BATCH,
    N_CAT,
    NEEDS_PROFILES,
    STRONG_REASONS,
    WALLET_NOTES,
    WEAK_REASONS,
    Org,
)
from rapport.demo.sizes import round_sig
from rapport.demo.writer import Writer
from rapport.memory.models import Attribute, AttributeKind, Fact, FactSource
from rapport.memory.values import display_value
from rapport.valuation.models import (
    JudgementScore,
    WalletEstimate,
    WalletSource,
)

# --------------------------------------------------------------------------------------
# Wallets: what they told us and what the reps think; the rest is left to the model
# --------------------------------------------------------------------------------------


def wallets(
    buying: list[Org],
    rng: random.Random,
    cat_ids: dict[str, int],
    revenue_12m: dict[int, Any],
    reps: list[int],
    now: datetime,
) -> int:
    current: list[WalletEstimate] = []
    older: list[WalletEstimate] = []
    for org in buying:
        if org.stage == "lost" or org.unprofitable or rng.random() > 0.45:
            continue
        ours = revenue_12m.get(org.id)
        if ours is None:
            continue
        scale = max(1_000.0, float(sum(ours)))
        for c in range(N_CAT):
            if rng.random() > 0.55:
                continue
            if ours[c] > 0:
                wallet = ours[c] / rng.betavariate(2.2, 2.5)  # our share: 10%-90%
            else:  # whitespace: they buy it elsewhere, or not at all
                if rng.random() < 0.3:
                    continue
                wallet = scale * rng.uniform(0.05, 0.4)
            said = rng.random() < 0.35 and bool(org.contacts)
            sources = [WalletSource.CUSTOMER_SAID if said else WalletSource.REP_ESTIMATED]
            if said and rng.random() < 0.25:
                sources.append(WalletSource.REP_ESTIMATED)  # both, different figures
            for source in sources:
                spread = 0.1 if source == WalletSource.CUSTOMER_SAID else 0.35
                amount = round_sig(wallet * rng.lognormvariate(0.0, spread))
                at = now - timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 600))
                estimate = WalletEstimate(
                    customer_id=org.id,
                    account_id=org.id,
                    category_id=cat_ids[CATEGORY_NAMES[c]],
                    annual_amount=amount,
                    source=source,
                    note=rng.choice(WALLET_NOTES[source]),
                    said_by_id=rng.choice(org.contacts)
                    if source == WalletSource.CUSTOMER_SAID
                    else None,
                    estimated_by_id=org.manager
                    if org.manager and rng.random() < 0.5
                    else rng.choice(reps),
                    estimated_at=at,
                )
                current.append(estimate)
                if source == WalletSource.REP_ESTIMATED and rng.random() < 0.15:
                    older.append(
                        WalletEstimate(
                            customer_id=org.id,
                            account_id=org.id,
                            category_id=estimate.category_id,
                            annual_amount=round_sig(amount * rng.uniform(0.6, 1.3)),
                            source=source,
                            note="Earlier estimate, before the site survey.",
                            estimated_by_id=estimate.estimated_by_id,
                            estimated_at=at - timedelta(days=rng.randint(120, 400)),
                            superseded_at=at,
                        )
                    )
    WalletEstimate.objects.bulk_create(older + current, batch_size=BATCH)
    return len(current) + len(older)


# --------------------------------------------------------------------------------------
# Judgement scores: managers on the largest accounts, and a few small strategic ones
# --------------------------------------------------------------------------------------


def judgements(
    buying: list[Org],
    rng: random.Random,
    managers: list[int],
    revenue: dict[int, float],
    now: datetime,
) -> int:
    if not managers:
        return 0
    ranked = sorted(
        (o for o in buying if o.stage != "lost"), key=lambda o: (-revenue.get(o.id, 0.0), o.id)
    )
    if not ranked:
        return 0
    top = ranked[: max(3, len(ranked) // 12)]
    rest = ranked[max(len(top), len(ranked) // 2) :]
    small = rng.sample(rest, min(len(rest), max(1, len(ranked) // 50)))
    rows: list[JudgementScore] = []
    for org in top + small:
        weak = org in top and rng.random() < 0.15
        reason = (rng.choice(WEAK_REASONS) if weak else rng.choice(STRONG_REASONS)).format(
            industry=org.industry.lower(), country=org.country or "the region"
        )
        score = rng.randint(15, 35) if weak else rng.randint(60, 95)
        author = org.manager if org.manager in managers else rng.choice(managers)
        judged = now - timedelta(days=rng.randint(3, 200), minutes=rng.randint(0, 600))
        if rng.random() < 0.2:
            rows.append(
                JudgementScore(
                    customer_id=org.id,
                    score=max(0, min(100, score + rng.choice([-20, -10, 10]))),
                    reason="Before the last account review: " + reason[0].lower() + reason[1:],
                    author_id=author,
                    judged_at=judged - timedelta(days=rng.randint(90, 300)),
                    superseded_at=judged,
                )
            )
        rows.append(
            JudgementScore(
                customer_id=org.id, score=score, reason=reason, author_id=author, judged_at=judged
            )
        )
    JudgementScore.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


# --------------------------------------------------------------------------------------
# Needs: answers to the catalogue's need questions, drawn from latent profiles
# --------------------------------------------------------------------------------------


def _answer(attribute: Attribute, profile: dict[str, Any], rng: random.Random) -> Any:
    wanted = profile["needs"].get(attribute.key)
    if wanted and rng.random() < 0.8:
        value = rng.choices(list(wanted), weights=list(wanted.values()))[0]
    elif attribute.value_type == "boolean":
        value = rng.random() < 0.5
    elif attribute.value_type == "multi_choice":
        value = tuple(rng.sample(attribute.choices, rng.randint(1, 2)))
    else:
        value = rng.choice(attribute.choices)
    if isinstance(value, tuple):
        return sorted(value, key=attribute.choices.index)
    return value


def _write_facts(rows: list[Fact]) -> None:
    """Write facts straight into the table (COPY on PostgreSQL): no model round trips."""
    writer = Writer()
    stamp = writer.ts(int(time.time()))
    fields = (
        "created_at", "updated_at", "customer_id", "account_id", "attribute_id", "value",
        "display", "source", "said_by_id", "recorded_by_id", "recorded_at", "confidence",
        "valid_from",
    )  # fmt: skip
    out = [
        (
            stamp,
            stamp,
            f.customer_id,
            f.account_id,
            f.attribute_id,
            json.dumps(f.value),
            f.display,
            f.source,
            f.said_by_id,
            f.recorded_by_id,
            writer.ts(int(f.recorded_at.timestamp())),
            f.confidence,
            f.valid_from.isoformat(),
        )
        for f in rows
    ]
    for start in range(0, len(out), LINE_BATCH):
        writer.write(Fact, fields, out[start : start + LINE_BATCH])


def needs(
    all_orgs: list[Org], rng: random.Random, reps: list[int], now: datetime, today: date
) -> int:
    """Need facts for most organisations; an earlier random answer is superseded, not lost."""
    needs = list(
        Attribute.objects.filter(kind=AttributeKind.NEED, deleted_at__isnull=True).order_by("key")
    )
    if not needs or not reps:
        return 0
    rows: list[Fact] = []
    for org in all_orgs:
        answered = 0.9 if org.stage in BUYING_STAGES else 0.45
        if rng.random() > answered:
            continue
        profile = NEEDS_PROFILES[org.profile]
        known = rng.sample(needs, rng.randint(max(2, len(needs) - 3), len(needs)))
        places = [org.id]
        if len(org.units) > 1 and rng.random() < 0.5:
            places.append(rng.choice(org.units[1:]))
        for attribute in sorted(known, key=lambda a: a.key):
            for account_id in places if attribute.level == "unit" else [org.id]:
                value = _answer(attribute, profile, rng)
                questionnaire = rng.random() < 0.3 and bool(org.contacts)
                age = int(rng.expovariate(1 / 150))
                rows.append(
                    Fact(
                        customer_id=org.id,
                        account_id=account_id,
                        attribute=attribute,
                        value=value,
                        display=display_value(attribute, value),
                        source=FactSource.QUESTIONNAIRE if questionnaire else FactSource.USER,
                        said_by_id=rng.choice(org.contacts) if org.contacts else None,
                        recorded_by_id=None if questionnaire else rng.choice(reps),
                        recorded_at=now
                        - timedelta(days=min(age, 700), minutes=rng.randint(0, 1440)),
                        confidence=100 if questionnaire else 80,
                        valid_from=today - timedelta(days=min(age, 700)),
                    )
                )
    # Answers already there for the same need and unit (from an earlier load) are
    # superseded by the new ones, in two set-based updates: marked, then linked.
    keys = {(f.attribute_id, f.account_id) for f in rows}
    earlier: list[int] = []
    latest: dict[tuple[int, int], datetime] = {}
    for pk, attribute_id, account_id, recorded_at in Fact.objects.filter(
        attribute__in=needs, contact__isnull=True, superseded_at__isnull=True
    ).values_list("id", "attribute_id", "account_id", "recorded_at"):
        if (attribute_id, account_id) in keys:
            earlier.append(pk)
            latest[(attribute_id, account_id)] = recorded_at
    marker = now - timedelta(days=3 * 365, microseconds=now.microsecond + 1)
    for start in range(0, len(earlier), BATCH):
        Fact.objects.filter(pk__in=earlier[start : start + BATCH]).update(superseded_at=marker)
    for row in rows:  # the new answer is never older than the one it replaces
        before = latest.get((row.attribute_id, row.account_id))
        if before is not None and row.recorded_at <= before:
            row.recorded_at = min(now, before + timedelta(minutes=1))
    _write_facts(rows)
    if earlier:
        newer = Fact.objects.filter(
            attribute_id=OuterRef("attribute_id"),
            account_id=OuterRef("account_id"),
            contact__isnull=True,
            superseded_at__isnull=True,
        )
        Fact.objects.filter(
            attribute__in=needs, superseded_at=marker, superseded_by__isnull=True
        ).update(
            superseded_by=Subquery(newer.values("pk")[:1]),
            superseded_at=Subquery(newer.values("recorded_at")[:1]),
        )
    return len(rows)
