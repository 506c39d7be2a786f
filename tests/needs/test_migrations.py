"""Segments stored before lineages existed each get a lineage of their own, in order made."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from rapport.needs.models import NeedsSegment
from tests.factories import make_model_run

BEFORE = [("needs", "0003_portfolio_picture")]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_existing_segments_get_a_lineage_each_and_continue_nothing() -> None:
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = _migrate(BEFORE)
    try:
        # given two runs' segments stored before lineages, the older run current no more
        old = executor.loader.project_state(BEFORE).apps.get_model("needs", "NeedsSegment")
        older, newer = make_model_run("segments"), make_model_run("segments")
        made = [
            old.objects.create(run_id=run.pk, number=n, name=f"{n}", description="", is_current=c)
            for run, c in ((older, False), (newer, True))
            for n in (1, 2)
        ]

        # when the migration is applied
        _migrate(latest)
    finally:
        _migrate(latest)

    # then each has its own lineage, numbered in the order they were made, and no continuation
    segments = NeedsSegment.objects.order_by("pk")
    assert [(s.pk, s.lineage, s.continues_id, s.continued_share) for s in segments] == [
        (m.pk, i, None, None) for i, m in enumerate(made, start=1)
    ]
