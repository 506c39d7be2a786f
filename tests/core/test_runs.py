"""The run framework: claiming, progress, failure, the lease and reruns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.core import runs
from rapport.core.models import Run, RunStatus
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


class Counting(runs.Runner):
    """A job that stores one account per loaded name, or fails while storing."""

    job = "test-counting"
    fail_in_store = False

    def _load(self):
        self.report(0, 2)
        return ["One", "Two"]

    def _calculate(self, names):
        self.report(1)
        return [f"Counted {name}" for name in names]

    def _store(self, names):
        admin = self.run.started_by
        for name in names:
            make_account(admin, name)
            if self.fail_in_store:
                raise RuntimeError("disk full")
        return {"accounts": len(names)}


def test_a_run_is_claimed_reports_progress_and_succeeds_with_its_summary():
    admin = make_user()
    run = Counting.queue(started_by=admin, size="small")
    heard = []

    Counting.carry_out(run, progress=lambda done, total: heard.append((done, total)))

    run.refresh_from_db()
    assert (run.status, run.done, run.total, run.result) == ("done", 2, 2, {"accounts": 2})
    assert run.parameters == {"options": {"size": "small"}}
    assert run.started_at <= run.finished_at
    assert run.heartbeat_at is not None
    assert heard == [(0, 2), (1, 2), (2, 2)]


def test_a_run_carried_out_twice_does_its_work_once():
    from rapport.accounts.models import Account

    admin = make_user()
    run = Counting.queue(started_by=admin)
    Counting.carry_out(run)

    Counting.carry_out(Run.objects.get(pk=run.pk))

    assert Account.objects.filter(name__startswith="Counted").count() == 2


def test_a_failure_while_storing_fails_the_run_and_writes_nothing():
    from rapport.accounts.models import Account

    admin = make_user()
    run = Counting.queue(started_by=admin)
    runner = Counting(run)
    runner.fail_in_store = True

    with pytest.raises(RuntimeError):
        runner.execute()

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "RuntimeError: disk full")
    assert not Account.objects.filter(name__startswith="Counted").exists()


def test_a_running_run_past_its_lease_is_failed_by_the_sweep_and_a_live_one_is_not(settings):
    settings.RAPPORT_RUN_LEASE_SECONDS = 60
    now = timezone.now()
    lost = Run.objects.create(
        job="test-counting", status=RunStatus.RUNNING, heartbeat_at=now - timedelta(seconds=61)
    )
    alive = Run.objects.create(
        job="test-counting", status=RunStatus.RUNNING, heartbeat_at=now - timedelta(seconds=30)
    )

    assert runs.sweep(now=now) == [lost.pk]

    lost.refresh_from_db()
    alive.refresh_from_db()
    assert (lost.status, lost.error, lost.finished_at) == ("failed", runs.WORKER_STOPPED, now)
    assert alive.status == "running"


def test_the_rerun_command_carries_out_a_failed_run_again(capsys):
    admin = make_user()
    run = Counting.queue(started_by=admin)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="boom")

    call_command("rerun", str(run.pk), "--now")

    again = Run.objects.get(rerun_of=run)
    assert (again.job, again.status, again.started_by) == ("test-counting", "done", admin)
    assert f"Run {again.pk} (test-counting): Done." in capsys.readouterr().out


def test_the_worker_command_sweeps_lost_runs_before_it_works(settings, monkeypatch):
    from django_tasks_db.management.commands import db_worker

    settings.RAPPORT_RUN_LEASE_SECONDS = 1
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    lost = Run.objects.create(
        job="value", status=RunStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    monkeypatch.setattr(db_worker.Command, "handle", lambda self, *args, **options: None)

    call_command("worker")

    lost.refresh_from_db()
    assert (lost.status, lost.error) == ("failed", runs.WORKER_STOPPED)
