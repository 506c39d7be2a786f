"""Quiet intervals (X8): the runner that learns each organisation's rhythm of contact.

It loads every two-way and inbound exchange in one ordered pass, hands the times to the
pure model in `rapport.analytics.cadence`, and replaces the AccountCadence rows (one per
organisation that ever talked to us), stamped with the model's name, version and run time.

Until the valuation app exists, an account's weight is a proxy for what the relationship
is worth: its interactions in the last 365 days times (1 + the people holding a buying
role there). It only orders the alert list; replace it by lifetime value when there is one.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from rapport.accounts.models import Account, BuyingRole, ContactStatus
from rapport.analytics.cadence import MODEL_NAME, MODEL_VERSION, Rhythm, learn_rhythms
from rapport.interactions.models import (
    AccountCadence,
    Commitment,
    CommitmentStatus,
    Direction,
    Interaction,
    Side,
)

DAY_SECONDS = 86_400.0
VALUE_WINDOW_DAYS = 365
# Two-way conversations and the customer reaching us both show the relationship is alive;
# our own unanswered outreach does not.
EXCHANGES = (Direction.TWO_WAY, Direction.INBOUND)


@dataclass(frozen=True)
class CadenceRun:
    """What one recompute did: organisations learned, how many are quiet, when."""

    organisations: int
    quiet: int
    computed_at: datetime


def _exchange_days() -> tuple[list[int], list[array], list[datetime]]:
    """Every organisation's exchange times in days since the epoch (and its last), in one query."""
    rows = (
        Interaction.objects.filter(direction__in=EXCHANGES, customer__deleted_at__isnull=True)
        .order_by("customer_id", "occurred_at")
        .values_list("customer_id", "occurred_at")
    )
    ids: list[int] = []
    times: list[array] = []
    last: list[datetime] = []
    for customer_id, occurred_at in rows.iterator(chunk_size=20_000):
        if not ids or ids[-1] != customer_id:
            ids.append(customer_id)
            times.append(array("d"))
            last.append(occurred_at)
        times[-1].append(occurred_at.timestamp() / DAY_SECONDS)
        last[-1] = occurred_at
    return ids, times, last


def _value_weights(ids: Iterable[int], now: datetime) -> dict[int, float]:
    """Interactions in the last year times (1 + people with a buying role), per organisation."""
    recent = dict(
        Interaction.objects.filter(occurred_at__gte=now - timedelta(days=VALUE_WINDOW_DAYS))
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    buyers = dict(
        BuyingRole.objects.filter(contact__status=ContactStatus.ACTIVE)
        .values("customer_id")
        .annotate(n=Count("contact_id", distinct=True))
        .values_list("customer_id", "n")
    )
    return {pk: float(recent.get(pk, 0) * (1 + buyers.get(pk, 0))) for pk in ids}


def _when(day: date | None) -> str:
    return f" (due {day.day} {day:%b})" if day else ""


def _suggestions(quiet: dict[int, Rhythm]) -> dict[int, str]:
    """A concrete reason to get in touch with each quiet organisation, in two queries."""
    if not quiet:
        return {}
    promises: dict[int, tuple[str, str, date | None]] = {}
    for customer_id, owed_by, description, due_on in (
        Commitment.objects.filter(customer_id__in=list(quiet), status=CommitmentStatus.OPEN)
        .order_by("customer_id", "due_on", "id")
        .values_list("customer_id", "owed_by", "description", "due_on")
    ):
        # What we owe them comes first: it is the best reason to call.
        held = promises.get(customer_id)
        if held is None or (held[0] != Side.US and owed_by == Side.US):
            promises[customer_id] = (owed_by, description, due_on)
    latest = Interaction.objects.filter(
        customer_id=OuterRef("pk"), direction__in=EXCHANGES
    ).order_by("-occurred_at", "-id")
    topics = {
        pk: (subject, at)
        for pk, subject, at in Account.objects.filter(pk__in=list(quiet))
        .annotate(
            last_subject=Subquery(latest.values("subject")[:1]),
            last_at=Subquery(latest.values("occurred_at")[:1]),
        )
        .values_list("pk", "last_subject", "last_at")
    }
    suggestions = {}
    for pk, rhythm in quiet.items():
        promise = promises.get(pk)
        subject, at = topics.get(pk, (None, None))
        if promise and promise[0] == Side.US:
            text = f"Deliver what we promised: “{promise[1]}”{_when(promise[2])}."
        elif promise:
            text = f"Ask how “{promise[1]}” is going: they promised it{_when(promise[2])}."
        elif subject and at:
            local = timezone.localtime(at)
            text = f"Pick up where we left off: “{subject}” on {local.day} {local:%b %Y}."
        else:
            text = f"Check in: nothing heard for {round(rhythm.quiet_days or 0)} days."
        suggestions[pk] = text[:500]
    return suggestions


@transaction.atomic
def cadence_recompute(*, now: datetime | None = None) -> CadenceRun:
    """Relearn every organisation's rhythm and replace the AccountCadence rows."""
    now = now or timezone.now()
    ids, times, last = _exchange_days()
    last_at = dict(zip(ids, last, strict=True))
    rhythms = learn_rhythms(times, now=now.timestamp() / DAY_SECONDS)
    by_id = dict(zip(ids, rhythms, strict=True))
    weights = _value_weights(ids, now)
    quiet = {pk: r for pk, r in by_id.items() if r.is_quiet}
    suggestions = _suggestions(quiet)
    AccountCadence.objects.all().delete()
    AccountCadence.objects.bulk_create(
        [
            AccountCadence(
                customer_id=pk,
                model_name=MODEL_NAME,
                model_version=MODEL_VERSION,
                computed_at=now,
                exchanges=r.exchanges,
                typical_gap_days=r.typical_gap_days,
                allowed_gap_days=r.allowed_gap_days,
                last_exchange_at=last_at[pk],
                quiet_since=last_at[pk] if r.is_quiet else None,
                is_quiet=r.is_quiet,
                overdue_days=r.overdue_days,
                value_weight=weights[pk],
                suggestion=suggestions.get(pk, ""),
            )
            for pk, r in by_id.items()
        ],
        batch_size=2000,
    )
    return CadenceRun(organisations=len(by_id), quiet=len(quiet), computed_at=now)
