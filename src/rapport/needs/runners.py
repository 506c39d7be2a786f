"""The needs segmentation runner: load every current need fact, segment, store the run.

It reads the facts in one ordered pass (values_list), rolls each organisation's units' and
people's answers up to the organisation (`rapport.needs.rollup`), hands them to the pure
model in `rapport.analytics.segments`, and stores a ModelRun (kind "segments") with its
NeedsSegment and SegmentMembership rows. The previous run's rows stay, no longer current.
Organisations we know no need of are left out of the segments and counted on the run.
Each new segment that continues one of the previous run's (by the members they share)
inherits its lineage; any other gets a new one.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.analytics.segments import (
    MODEL_NAME,
    MODEL_VERSION,
    Continuation,
    NeedSpec,
    Segmentation,
    continuations,
    segment,
)
from rapport.core.models import Run, User
from rapport.needs import rollup
from rapport.needs.models import NeedsSegment, SegmentMembership
from rapport.needs.selectors import current_need_facts, need_attributes
from rapport.valuation.models import ModelRun, RunKind
from rapport.valuation.runners import Analysis

Progress = Callable[[int, int], None]
STEPS = 4  # load, segment, store, done


def _organisation_needs(
    specs: dict[int, NeedSpec],
) -> tuple[list[int], list[dict[str, Any]]]:
    """Each organisation's answer per need, rolled up from its units and people, in one query."""
    rows = (
        current_need_facts()
        .filter(attribute_id__in=list(specs))
        .order_by("customer_id", "attribute_id", "-recorded_at", "-id")
        .values_list("customer_id", "account_id", "contact_id", "attribute_id", "value")
    )
    gathered: dict[int, dict[int, tuple[Any, list[Any]]]] = {}
    for customer_id, account_id, contact_id, attribute_id, value in rows.iterator(
        chunk_size=20_000
    ):
        needs = gathered.setdefault(customer_id, {})
        own, below = needs.get(attribute_id, (None, []))
        if account_id == customer_id and contact_id is None:
            own = value  # the organisation's own answer (one current per unit)
        else:
            below.append(value)
        needs[attribute_id] = (own, below)
    ids = sorted(gathered)
    answers = []
    for customer_id in ids:
        row = {}
        for attribute_id, (own, below) in gathered[customer_id].items():
            spec = specs[attribute_id]
            value, _how = rollup.resolve(spec, own=own, below=below)
            if value is not None:
                row[spec.key] = value
        answers.append(row)
    return ids, answers


MEMBERSHIP_COLUMNS = (
    "run_id",
    "segment_id",
    "customer_id",
    "distance",
    "needs_known",
    "is_current",
)


def _insert_memberships(rows: Iterable[tuple[Any, ...]], batch: int = 5000) -> None:
    """Insert membership rows with one prepared statement (executemany), in batches.

    Tens of thousands of plain tuples: building a model instance and SQL per row, as
    bulk_create does, is most of the cost, and these rows have no defaults or signals.
    """
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(SegmentMembership._meta.db_table),
        ", ".join(quote(c) for c in MEMBERSHIP_COLUMNS),
        ", ".join(["%s"] * len(MEMBERSHIP_COLUMNS)),
    )
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(iterator, batch)):
            cursor.executemany(sql, chunk)


def _lineages(result: Segmentation, ids: list[int]) -> dict[int, tuple[int, Continuation | None]]:
    """Each new segment's lineage (by number) and the current segment it continues, if any.

    Three queries whatever the size: the current segments' lineages, their memberships
    (both read before they are made history), and the highest lineage ever given.
    """
    lineage_of = dict(NeedsSegment.objects.filter(is_current=True).values_list("pk", "lineage"))
    previous: dict[int, set[int]] = {pk: set() for pk in lineage_of}
    for segment_id, customer_id in (
        SegmentMembership.objects.filter(is_current=True)
        .values_list("segment_id", "customer_id")
        .iterator(chunk_size=20_000)
    ):
        if segment_id in previous:
            previous[segment_id].add(customer_id)
    new = {s.number: {ids[i] for i in s.members} for s in result.segments}
    fresh = NeedsSegment.objects.aggregate(highest=Max("lineage"))["highest"] or 0
    lineages: dict[int, tuple[int, Continuation | None]] = {}
    for number, continuation in continuations(previous, new).items():
        if continuation is None:
            fresh += 1
            lineages[number] = (fresh, None)
        else:
            lineages[number] = (lineage_of[continuation.previous], continuation)
    return lineages


def segments_recompute(
    *,
    triggered_by: User | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    run: ModelRun | None = None,
) -> ModelRun:
    """Segment every organisation by its current needs; store the run and make it current.

    `run` is a queued run to carry out (as the value runners take one); without it a new
    run is made. `progress(done, total)` is called after each of the run's steps. A failure
    is stored on the run (status "failed", the error) and raised again.
    """
    model_run = run or SegmentsRunner.queue(started_by=triggered_by).model_run
    SegmentsRunner(model_run.run, progress=progress, now=now).execute()
    return model_run


class SegmentsRunner(Analysis):
    """Needs-based segments of every organisation we know a need of."""

    job = RunKind.SEGMENTS.value
    model_name = MODEL_NAME
    model_version = MODEL_VERSION

    def __init__(
        self, run: Run, *, progress: Progress | None = None, now: datetime | None = None
    ) -> None:
        # The caller hears of the three steps (loaded, segmented, stored), not of the start
        # and the end the base reports.
        steps = (
            None
            if progress is None
            else lambda done, total: 0 < done < total and progress(done, total)
        )
        super().__init__(run, progress=steps, now=now)
        self.stamped = now is not None
        self.clock = time.perf_counter()
        self.timings: dict[str, float] = {}

    def _lap(self, name: str) -> None:
        now_ = time.perf_counter()
        self.timings[name] = round(now_ - self.clock, 3)
        self.clock = now_

    def _start_time(self) -> datetime:
        return self.now

    def _finish_time(self) -> datetime:
        return self.now if self.stamped else timezone.now()

    def _load(self) -> dict[str, Any]:
        self.report(0, STEPS)
        attributes = need_attributes()
        specs = {a.pk: rollup.spec_of(a) for a in attributes}
        ids, answers = _organisation_needs(specs)
        organisations = Account.objects.filter(depth=1, deleted_at__isnull=True).count()
        self._lap("load_seconds")
        self.report(1)
        return {"specs": specs, "ids": ids, "answers": answers, "organisations": organisations}

    def _calculate(self, loaded: dict[str, Any]) -> dict[str, Any]:
        result = segment(list(loaded["specs"].values()), loaded["answers"])
        self._lap("model_seconds")
        self.report(2)
        return {**loaded, "result": result}

    def _store(self, calculated: dict[str, Any]) -> dict[str, Any]:
        result, ids, specs = calculated["result"], calculated["ids"], calculated["specs"]
        run = self.model_run
        placed = [i for i, label in enumerate(result.labels) if label >= 0]
        without = calculated["organisations"] - len(placed)
        lineages = _lineages(result, ids)  # read before the current rows become history
        # The previous run's rows stay as history, no longer current.
        SegmentMembership.objects.filter(is_current=True).update(is_current=False)
        NeedsSegment.objects.filter(is_current=True).update(is_current=False)
        segments = []
        for s in result.segments:
            lineage, continued = lineages[s.number]
            segments.append(
                NeedsSegment(
                    run=run,
                    number=s.number,
                    name=s.name[:200],
                    description=s.description[:1000],
                    distinctive_needs=s.distinctive,
                    centroid=s.centroid,
                    size=s.size,
                    is_current=True,
                    lineage=lineage,
                    continues_id=continued.previous if continued else None,
                    continued_share=round(continued.share, 4) if continued else None,
                )
            )
        stored = NeedsSegment.objects.bulk_create(segments)
        segment_ids = {s.number: s.pk for s in stored}
        _insert_memberships(
            (
                run.pk,
                segment_ids[int(result.labels[i]) + 1],
                ids[i],
                round(float(result.distances[i]), 6),
                int(result.needs_known[i]),
                True,
            )
            for i in placed
        )
        self._lap("store_seconds")
        self.report(3)
        note = (
            "No need facts recorded yet: nothing to segment."
            if not placed
            else f"{len(placed)} organisations in {result.k} segments; "
            f"{without} without a known need left out."
        )
        self.run.parameters = {
            **self.run.parameters,
            "organisations": len(placed),
            "without_needs": without,
            "k": result.k,
            "continued": sum(1 for _lineage, continued in lineages.values() if continued),
            "silhouette": result.silhouette,
            "silhouette_by_k": {str(k): v for k, v in result.scores.items()},
            "needs": [s.key for s in specs.values()],
            "note": note,
            **self.timings,
        }
        return {"organisations": len(placed), "segments": result.k}
