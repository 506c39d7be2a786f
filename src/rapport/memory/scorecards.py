"""The capture-quality scorecard (X9): how well each of our people records and teaches.

It counts interactions logged (with outcome and next step) and commitments kept from the
timeline, and facts taught and re-asks caused from the memory, so it sits above both, in
memory; an IDIC scorecard, it moves to portfolios when that app comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.interactions.models import Commitment, CommitmentStatus, Interaction, Side
from rapport.memory.models import Asking, Fact


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class CaptureQuality:
    """How well one of our people records what happens with customers, over a period."""

    user: User
    interactions: int = 0
    with_outcome: int = 0
    with_next_step: int = 0
    facts_taught: int = 0
    reasks: int = 0
    commitments_due: int = 0
    commitments_kept: int = 0

    @property
    def outcome_share(self) -> float | None:
        return self.with_outcome / self.interactions if self.interactions else None

    @property
    def next_step_share(self) -> float | None:
        return self.with_next_step / self.interactions if self.interactions else None

    @property
    def kept_share(self) -> float | None:
        return self.commitments_kept / self.commitments_due if self.commitments_due else None


def capture_quality(*, user: User, since: date, until: date) -> list[CaptureQuality]:
    """Per employee, from `since` to `until` (inclusive days): what they recorded and taught.

    Interactions count by when they happened, facts by when they were recorded, re-asks
    by when they were asked; commitments kept are ours that fell due in the period and
    were done on or before the due date (cancelled ones are released, not counted). Five
    grouped queries, whatever the number of people. Staff only.
    """
    if not access.can(user, access.Capability.USE_STAFF_TOOLS):
        raise NotFound("scorecard not found")
    if since > until:
        raise InvalidInput("'since' is after 'until'.", field="since")
    start, end = _day_start(since), _day_start(until) + timedelta(days=1)
    rows = {
        u.pk: CaptureQuality(user=u)
        for u in User.objects.filter(
            is_active=True, role__in=access.roles_with(access.Capability.ACT_FOR_US)
        ).order_by("full_name", "id")
    }
    logged = (
        # Imported mail and calendar events were not captured by hand: they don't count.
        Interaction.objects.filter(
            logged_by__in=list(rows), occurred_at__gte=start, occurred_at__lt=end, external_id=""
        )
        .values("logged_by")
        .annotate(
            n=Count("id"),
            outcome=Count("id", filter=~Q(outcome="")),
            next_step=Count("id", filter=~Q(next_step="")),
        )
    )
    for row in logged:
        entry = rows[row["logged_by"]]
        entry.interactions, entry.with_outcome, entry.with_next_step = (
            row["n"],
            row["outcome"],
            row["next_step"],
        )
    taught = (
        Fact.objects.filter(recorded_by__in=list(rows), recorded_at__gte=start, recorded_at__lt=end)
        .values("recorded_by")
        .annotate(n=Count("id"))
    )
    for row in taught:
        rows[row["recorded_by"]].facts_taught = row["n"]
    reasked = (
        Asking.objects.filter(
            asked_by__in=list(rows), is_reask=True, asked_at__gte=start, asked_at__lt=end
        )
        .values("asked_by")
        .annotate(n=Count("id"))
    )
    for row in reasked:
        rows[row["asked_by"]].reasks = row["n"]
    kept = (
        Commitment.objects.filter(
            owner_user__in=list(rows), owed_by=Side.US, due_on__gte=since, due_on__lte=until
        )
        .exclude(status=CommitmentStatus.CANCELLED)
        .values("owner_user")
        .annotate(
            due=Count("id"),
            kept=Count(
                "id",
                filter=Q(status=CommitmentStatus.DONE, done_at__date__lte=F("due_on")),
            ),
        )
    )
    for row in kept:
        entry = rows[row["owner_user"]]
        entry.commitments_due, entry.commitments_kept = row["due"], row["kept"]
    return list(rows.values())
