"""Reruns of recompute runs through the API, and a run that lost its worker shown as failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.core import runs
from rapport.core.errors import Conflict
from rapport.core.models import Run, RunStatus
from rapport.valuation import runners
from rapport.valuation.models import AccountValue, ModelRun
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def test_a_run_that_lost_its_worker_reads_as_failed_on_the_runs_page_and_reruns(world, api_as):
    make_account(world.admin, "Valued Ltd")
    run = runners.run_queue(kind="value", triggered_by=world.manager)
    Run.objects.filter(pk=run.run_id).update(
        status=RunStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    client = api_as(world.manager)

    shown = client.get(f"/runs/{run.pk}").json()
    assert (shown["status"], shown["error"]) == ("failed", runs.WORKER_STOPPED)

    response = client.post(f"/runs/{run.pk}/rerun")
    assert response.status_code == 202, response.json()
    again = ModelRun.objects.get(pk=response.json()["id"])
    assert (again.kind, again.status, again.run.rerun_of_id) == ("value", "done", run.run_id)
    assert AccountValue.objects.filter(run=again, is_current=True).exists()


def test_a_rep_may_not_rerun_and_a_running_run_is_not_rerun(world, api_as):
    run = runners.run_queue(kind="tiers", triggered_by=world.manager)
    Run.objects.filter(pk=run.run_id).update(status=RunStatus.RUNNING, heartbeat_at=timezone.now())

    assert api_as(world.rep).post(f"/runs/{run.pk}/rerun").status_code == 403
    assert api_as(world.manager).post(f"/runs/{run.pk}/rerun").status_code == 409
    with pytest.raises(Conflict):
        runs.run_rerun(run=run.run)
    assert ModelRun.objects.count() == 1
