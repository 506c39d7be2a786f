"""The one run framework: every long job is a `Run` carried out by a `Runner` subclass.

A runner loads what it needs (`_load`), computes over a pure function of
`rapport.analytics` (`_calculate`) and writes the result (`_store`). The base owns the
rest, once for every job: claiming a queued run so two workers never carry out the same
one, progress, the heartbeat, timings, and the outcome. `_store` runs in one transaction
with the run's "succeeded", so a run that fails, or whose process dies, leaves nothing
half-written. A running run whose heartbeat is older than the lease
(`RAPPORT_RUN_LEASE_SECONDS`, default 120) lost its process: `sweep` marks it failed
("worker stopped"), lazily wherever runs are read and in the worker. Any finished run can
be rerun: a new run of the same job and settings, linked to the old one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rapport.core.errors import Conflict, NotFound
from rapport.core.models import Run, RunStatus, User

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
WORKER_STOPPED = "Worker stopped: the process carrying out this run ended before it finished."
# A beat at most this often, whatever the progress reports: one UPDATE, not one per row.
BEAT_EVERY = timedelta(seconds=5)

RUNNERS: dict[str, type[Runner]] = {}


def lease() -> timedelta:
    """How long a running run may go without a heartbeat before it counts as lost."""
    return timedelta(seconds=float(getattr(settings, "RAPPORT_RUN_LEASE_SECONDS", 120)))


class Runner:
    """One job's load → calculate → store; subclasses name their `job` and implement the three."""

    job: ClassVar[str] = ""
    model_name: ClassVar[str] = ""
    model_version: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.job:
            RUNNERS[cls.job] = cls

    def __init__(self, run: Run, *, progress: Progress | None = None) -> None:
        self.run = run
        self.progress = progress
        self._beat_at: datetime | None = None

    # --- what a job implements ------------------------------------------------------------

    def _load(self) -> Any:
        """Read what the calculation needs, in bulk."""
        raise NotImplementedError

    def _calculate(self, loaded: Any) -> Any:
        """Compute the result over a pure function of `rapport.analytics`."""
        raise NotImplementedError

    def _store(self, calculated: Any) -> dict[str, Any]:
        """Write the result (inside the run's transaction); a summary for `Run.result`."""
        raise NotImplementedError

    @classmethod
    def _prepare(cls, run: Run, **options: Any) -> None:
        """Make the job's own detail rows of a new run (called in the queuing transaction)."""

    @classmethod
    def _options_of(cls, run: Run) -> dict[str, Any]:
        """The options a rerun of `run` is queued with."""
        return dict(run.parameters.get("options", {}))

    @classmethod
    def _lost(cls, run: Run) -> None:
        """Bring the job's own rows in line with a run whose process died."""

    def _start_time(self) -> datetime:
        """When the run counts as started (a run stamped with a given time may say so)."""
        return timezone.now()

    def _finish_time(self) -> datetime:
        """When the run counts as finished (a run stamped with a given time may say so)."""
        return timezone.now()

    def _after(self) -> list[Run]:
        """Runs that follow a successful one (tiers after value, …), carried out at once."""
        return []

    # --- what the base owns ---------------------------------------------------------------

    @classmethod
    def queue(
        cls, *, started_by: User | None = None, rerun_of: Run | None = None, **options: Any
    ) -> Run:
        """A new queued run of this job, with its detail rows."""
        with transaction.atomic():
            run = Run.objects.create(
                job=cls.job,
                model_name=cls.model_name,
                model_version=cls.model_version,
                started_by=started_by,
                rerun_of=rerun_of,
                parameters={"options": options} if options else {},
            )
            cls._prepare(run, **options)
        return run

    @classmethod
    def carry_out(cls, run: Run, *, progress: Progress | None = None) -> Run:
        """Carry out a queued run here and now; a failure is stored on the run and re-raised."""
        return cls(run, progress=progress).execute()

    def execute(self) -> Run:
        """Claim, load, calculate, store; the run as it ended."""
        if not self._claim():
            return self.run
        run = self.run
        try:
            loaded = self._load()
            self.beat(force=True)
            calculated = self._calculate(loaded)
            self.beat(force=True)
            with transaction.atomic():
                summary = self._store(calculated)
                run.status, run.finished_at = RunStatus.DONE, self._finish_time()
                run.done = run.total
                run.result = summary or {}
                run.heartbeat_at = timezone.now()
                run.save()
        except Exception as exc:
            logger.exception("%s run %s failed", run.job, run.pk)
            self._fail(f"{type(exc).__name__}: {exc}")
            raise
        if self.progress is not None:
            self.progress(run.total, run.total)
        return run

    def _claim(self) -> bool:
        run, now = self.run, self._start_time()
        claimed = Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, done=0, error=""
        )
        if not claimed:
            return False  # a task delivered twice, or a run another worker took
        run.status, run.started_at, run.heartbeat_at, run.done, run.error = (
            RunStatus.RUNNING,
            now,
            now,
            0,
            "",
        )
        self._beat_at = now
        return True

    def report(self, done: int, total: int | None = None) -> None:
        """Record how far the run is where other processes see it, and beat."""
        run = self.run
        run.done = done
        if total is not None:
            run.total = total
        now = timezone.now()
        Run.objects.filter(pk=run.pk).update(done=run.done, total=run.total, heartbeat_at=now)
        self._beat_at = run.heartbeat_at = now
        if self.progress is not None:
            self.progress(run.done, run.total)

    def beat(self, *, force: bool = False) -> None:
        """Say the process is alive (at most every few seconds unless forced)."""
        now = timezone.now()
        if not force and self._beat_at is not None and now - self._beat_at < BEAT_EVERY:
            return
        Run.objects.filter(pk=self.run.pk, status=RunStatus.RUNNING).update(heartbeat_at=now)
        self._beat_at = self.run.heartbeat_at = now

    def _fail(self, error: str) -> None:
        run = self.run
        run.status, run.finished_at, run.error = RunStatus.FAILED, timezone.now(), error[:4000]
        Run.objects.filter(pk=run.pk).update(
            status=run.status, finished_at=run.finished_at, error=run.error
        )
        type(self)._lost(run)


def sweep(*, now: datetime | None = None) -> list[int]:
    """Mark failed every running run whose heartbeat is older than the lease; their ids."""
    now = now or timezone.now()
    stale = Run.objects.filter(status=RunStatus.RUNNING).filter(
        Q(heartbeat_at__lt=now - lease())
        | Q(heartbeat_at__isnull=True, started_at__lt=now - lease())
        # A run carried over from before the framework, with neither, has no process either.
        | Q(heartbeat_at__isnull=True, started_at__isnull=True)
    )
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return []
    Run.objects.filter(pk__in=ids, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, finished_at=now, error=WORKER_STOPPED
    )
    for run in Run.objects.filter(pk__in=ids):
        runner = RUNNERS.get(run.job)
        if runner is not None:
            runner._lost(run)
    logger.warning("Marked %d run(s) failed: their worker stopped (%s)", len(ids), ids)
    return ids


def runner_of(run: Run) -> type[Runner]:
    """The runner class that carries out runs of this run's job."""
    try:
        return RUNNERS[run.job]
    except KeyError:
        raise NotFound(f"No runner carries out {run.job!r} runs.") from None


def run_rerun(*, run: Run, started_by: User | None = None) -> Run:
    """Queue a new run of a finished run's job with the same options; the new run."""
    sweep()
    run.refresh_from_db()
    if run.status not in (RunStatus.DONE, RunStatus.FAILED):
        raise Conflict("This run has not finished yet; wait for it or for its lease to end.")
    runner = runner_of(run)
    return runner.queue(
        started_by=started_by or run.started_by, rerun_of=run, **runner._options_of(run)
    )


def run_enqueue(run: Run) -> None:
    """Leave a queued run to the worker (call it once the run is committed)."""
    from rapport.core.tasks import run_execute

    run_execute.enqueue(run.pk)
    run.refresh_from_db()


def run_execute_now(run_id: int, *, progress: Progress | None = None) -> list[Run]:
    """Carry out one queued run by id and the runs that follow it; every run it made."""
    run = Run.objects.filter(pk=run_id).select_related("started_by").first()
    if run is None or run.status != RunStatus.QUEUED:
        return []
    runner = runner_of(run)(run, progress=progress)
    done = runner.execute()
    return [done, *(runner._after() if done.status == RunStatus.DONE else [])]
