"""Quiet intervals (X8): the runner that learns each organisation's rhythm of contact.

A run of the core run framework (`CadenceRunner`, job "cadence"): it loads every two-way
and inbound exchange in one ordered pass, hands the times to the pure model in
`rapport.analytics.cadence`, and replaces the AccountCadence rows (one per organisation
that ever talked to us), stamped with the model's name, version and run time.

Until the valuation app exists, an account's weight is a proxy for what the relationship
is worth: its interactions in the last 365 days times (1 + the people holding a buying
role there). It only orders the alert list; replace it by lifetime value when there is one.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rapport.accounts.models import Account, BuyingRole, ContactStatus
from rapport.analytics.cadence import MODEL_NAME, MODEL_VERSION, Rhythm, learn_rhythms
from rapport.core import runs
from rapport.core.models import Run, User
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


AgreedGaps = Callable[[], Mapping[int, int]]
_agreed_gaps: dict[str, AgreedGaps] = {}


def agreed_gaps_add(name: str, provider: AgreedGaps) -> None:
    """Take the contact rhythm a higher app has agreed for some organisations, once, at start.

    A needs segment's treatment (offers) says "get in touch every 30 days"; this app
    cannot import it, so the treatment hands its cadences down instead. An agreed gap
    replaces the learned allowed gap: the organisation is quiet once it is exceeded.
    """
    _agreed_gaps[name] = provider


def _agreed() -> dict[int, int]:
    """Every organisation's agreed gap in days; where two apps agree one, the shorter holds."""
    agreed: dict[int, int] = {}
    for provider in _agreed_gaps.values():
        for pk, days in provider().items():
            agreed[pk] = min(days, agreed.get(pk, days))
    return agreed


def _held_to(rhythm: Rhythm, days: int | None) -> Rhythm:
    """The rhythm measured against an agreed gap instead of its learned one."""
    if days is None or rhythm.quiet_days is None:
        return rhythm
    overdue = max(rhythm.quiet_days - days, 0.0)
    return replace(rhythm, allowed_gap_days=float(days), is_quiet=overdue > 0, overdue_days=overdue)


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
    """Interactions in the last year times (1 + people with a buying role), per organisation.

    Both counts come back in one query (a UNION ALL of the two grouped counts, tagged).
    """
    recent = (
        Interaction.objects.filter(occurred_at__gte=now - timedelta(days=VALUE_WINDOW_DAYS))
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"), kind=Value(0))
        .values_list("customer_id", "n", "kind")
    )
    buyers = (
        BuyingRole.objects.filter(contact__status=ContactStatus.ACTIVE)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("contact_id", distinct=True), kind=Value(1))
        .values_list("customer_id", "n", "kind")
    )
    counts: tuple[dict[int, int], dict[int, int]] = ({}, {})
    for customer_id, n, kind in recent.union(buyers, all=True):
        counts[kind][customer_id] = n
    return {pk: float(counts[0].get(pk, 0) * (1 + counts[1].get(pk, 0))) for pk in ids}


def _when(day: date | None) -> str:
    return f" (due {day.day} {day:%b})" if day else ""


def _suggestions(quiet: dict[int, Rhythm]) -> dict[int, str]:
    """A concrete reason to get in touch with each quiet organisation, in two queries."""
    if not quiet:
        return {}
    # One query: per quiet organisation, the promise to talk about (what we owe them
    # first, then the earliest due) and the last exchange's subject and time.
    owed = Commitment.objects.filter(
        customer_id=OuterRef("pk"), status=CommitmentStatus.OPEN
    ).order_by(Case(When(owed_by=Side.US, then=Value(0)), default=Value(1)), "due_on", "id")
    latest = Interaction.objects.filter(
        customer_id=OuterRef("pk"), direction__in=EXCHANGES
    ).order_by("-occurred_at", "-id")
    promises: dict[int, tuple[str, str, date | None]] = {}
    topics: dict[int, tuple[str | None, datetime | None]] = {}
    for pk, owed_by, description, due_on, subject, at in (
        Account.objects.filter(pk__in=list(quiet))
        .annotate(
            promise_owed_by=Subquery(owed.values("owed_by")[:1]),
            promise_description=Subquery(owed.values("description")[:1]),
            promise_due_on=Subquery(owed.values("due_on")[:1]),
            last_subject=Subquery(latest.values("subject")[:1]),
            last_at=Subquery(latest.values("occurred_at")[:1]),
        )
        .values_list(
            "pk",
            "promise_owed_by",
            "promise_description",
            "promise_due_on",
            "last_subject",
            "last_at",
        )
    ):
        if owed_by is not None:
            promises[pk] = (owed_by, description, due_on)
        topics[pk] = (subject, at)
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


class CadenceRunner(runs.Runner):
    """Relearn every organisation's rhythm and replace the AccountCadence rows."""

    job = "cadence"
    model_name = MODEL_NAME
    model_version = MODEL_VERSION

    @classmethod
    def _options_of(cls, run: Run) -> dict[str, Any]:
        # A rerun learns as of its own time, not the moment the first run was told.
        return {k: v for k, v in super()._options_of(run).items() if k != "now"}

    def beat(self, *, force: bool = False) -> None:
        # The recompute is one quick pass: a beat between its steps only when one is due.
        super().beat(force=False)

    def _now(self) -> datetime:
        told = self.run.parameters.get("options", {}).get("now")
        return (parse_datetime(told) if told else None) or self.run.started_at or timezone.now()

    def _load(self) -> dict[str, Any]:
        now = self._now()
        ids, times, last = _exchange_days()
        return {"now": now, "ids": ids, "times": times, "last": last, "agreed": _agreed()}

    def _calculate(self, loaded: dict[str, Any]) -> dict[str, Any]:
        rhythms = learn_rhythms(loaded["times"], now=loaded["now"].timestamp() / DAY_SECONDS)
        agreed = loaded["agreed"]
        by_id = {
            pk: _held_to(rhythm, agreed.get(pk))
            for pk, rhythm in zip(loaded["ids"], rhythms, strict=True)
        }
        return {**loaded, "by_id": by_id}

    def _store(self, calculated: dict[str, Any]) -> dict[str, Any]:
        now, by_id, agreed = calculated["now"], calculated["by_id"], calculated["agreed"]
        last_at = dict(zip(calculated["ids"], calculated["last"], strict=True))
        weights = _value_weights(by_id, now)
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
                    agreed_gap_days=agreed.get(pk),
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
        return {"organisations": len(by_id), "quiet": len(quiet), "computed_at": now.isoformat()}


def cadence_queue(*, started_by: User | None = None) -> Run:
    """A queued recompute, left to the worker once committed (the "Recompute" button)."""
    run = CadenceRunner.queue(started_by=started_by)
    runs.run_enqueue(run)
    return run


def cadence_recompute(*, now: datetime | None = None, started_by: User | None = None) -> CadenceRun:
    """Relearn every organisation's rhythm here and now (a run of its own); what it did."""
    options: dict[str, Any] = {"now": now.isoformat()} if now is not None else {}
    run = CadenceRunner.carry_out(CadenceRunner.queue(started_by=started_by, **options))
    return CadenceRun(
        organisations=run.result["organisations"],
        quiet=run.result["quiet"],
        computed_at=parse_datetime(run.result["computed_at"]) or timezone.now(),
    )
