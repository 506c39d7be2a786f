"""A worker killed (SIGKILL) mid-run: the run ends failed, nothing is half-written, a rerun works.

Each test drives real processes (`tests/core/killable.py`) on a database of their own —
a SQLite file, or a PostgreSQL database when DATABASE_URL names one — because a killed
process must leave its transaction behind in a real database, not in the test's.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rapport.core.runs import WORKER_STOPPED

HELPER = Path(__file__).with_name("killable.py")
ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _admin_url(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _create_database(name: str, template: str | None = None) -> None:
    import psycopg

    with psycopg.connect(_admin_url(os.environ["DATABASE_URL"], "postgres"), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(os.environ["DATABASE_URL"], "postgres"), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Processes:
    """Runs the helper's steps against one database."""

    def __init__(self, url: str, folder: Path) -> None:
        self.folder = folder
        self.signal = folder / "writing"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "RAPPORT_VAR_DIR": str(folder / "var"),
            "RAPPORT_RUN_LEASE_SECONDS": str(LEASE_SECONDS),
            "KILLABLE_SIGNAL": str(self.signal),
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        }

    def step(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(HELPER), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def kill_worker_while_it_writes(self) -> int:
        """Start the worker, wait until its store has written part of its rows, SIGKILL it."""
        worker = subprocess.Popen(
            [sys.executable, str(HELPER), "worker"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 240
        while not self.signal.exists():
            assert worker.poll() is None, (
                worker.stderr.read().decode()[-3000:] if worker.stderr else ""
            )
            assert time.monotonic() < deadline, "the worker never reached its store"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        if worker.stderr:
            worker.stderr.close()
        # Past the lease, the run has no live worker any more.
        time.sleep(LEASE_SECONDS + 0.5)
        return worker.returncode

    def inspect(self) -> dict[str, Any]:
        return json.loads(self.step("inspect"))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, seeded database to copy for each test (migrating takes half a minute)."""
    folder = tmp_path_factory.mktemp("killed")
    if POSTGRES:
        name = f"runs_killed_template_{uuid.uuid4().hex[:8]}"
        _create_database(name)
        url = _admin_url(os.environ["DATABASE_URL"], name)
    else:
        url = f"sqlite:///{folder / 'template.sqlite3'}"
    processes = Processes(url, folder)
    subprocess.run(
        [sys.executable, "-m", "rapport.cli", "migrate", "-v0"],
        env=processes.env,
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    processes.step("seed")
    yield url
    if POSTGRES:
        _drop_database(name)


@pytest.fixture
def processes(migrated: str, tmp_path: Path) -> Iterator[Processes]:
    if POSTGRES:
        name = f"runs_killed_{uuid.uuid4().hex[:8]}"
        _create_database(name, template=migrated.rsplit("/", 1)[1])
        yield Processes(_admin_url(os.environ["DATABASE_URL"], name), tmp_path)
        _drop_database(name)
    else:
        copy = tmp_path / "killed.sqlite3"
        shutil.copy(migrated.removeprefix("sqlite:///"), copy)
        yield Processes(f"sqlite:///{copy}", tmp_path)


def test_a_recompute_whose_worker_is_killed_fails_writes_nothing_and_reruns(processes):
    run_id = int(processes.step("queue-value"))

    assert processes.kill_worker_while_it_writes() == -signal.SIGKILL

    [killed] = processes.inspect()["runs"]
    assert (killed["id"], killed["job"], killed["status"]) == (run_id, "value", "failed")
    assert killed["error"] == WORKER_STOPPED
    assert killed["values"] == 0  # the rows written before the kill were never committed

    processes.step("rerun", str(run_id))

    after = processes.inspect()["runs"]
    [again] = [run for run in after if run["rerun_of"] == run_id]
    assert (again["job"], again["status"], again["values"]) == ("value", "done", 5)
    assert [run["status"] for run in after if run["id"] == run_id] == ["failed"]


def test_an_import_whose_worker_is_killed_fails_writes_nothing_and_reruns(processes):
    upload = processes.folder / "accounts.csv"
    upload.write_text("name,industry\n" + "".join(f"Imported {n},Retail\n" for n in range(3)))
    before = processes.inspect()["accounts"]
    run_id = int(processes.step("queue-import", str(upload)))

    assert processes.kill_worker_while_it_writes() == -signal.SIGKILL

    seen = processes.inspect()
    [killed] = [run for run in seen["runs"] if run["id"] == run_id]
    assert (killed["job"], killed["status"], killed["error"]) == (
        "import",
        "failed",
        WORKER_STOPPED,
    )
    assert seen["accounts"] == before  # no account of the killed import was committed

    processes.step("rerun", str(run_id))

    seen = processes.inspect()
    [again] = [run for run in seen["runs"] if run["rerun_of"] == run_id]
    assert (again["job"], again["status"]) == ("import", "done")
    assert seen["accounts"] == before + 3


def test_an_ingestion_whose_worker_is_killed_fails_writes_nothing_and_reruns(processes):
    upload = processes.folder / "log.csv"
    upload.write_text(
        "occurred_at,channel,direction,subject,summary,from,to,external_id\n"
        + "".join(
            f"2026-03-0{n + 1} 10:00,call,outbound,Call {n},,manager@example.com,"
            f"buyer@example.org,crm-{n}\n"
            for n in range(3)
        )
    )
    before = processes.inspect()["interactions"]
    run_id = int(processes.step("queue-ingestion", str(upload)))

    assert processes.kill_worker_while_it_writes() == -signal.SIGKILL

    seen = processes.inspect()
    [killed] = [run for run in seen["runs"] if run["id"] == run_id]
    assert (killed["job"], killed["status"], killed["error"]) == (
        "ingestion",
        "failed",
        WORKER_STOPPED,
    )
    assert killed["ingestion"]["status"] == "failed"
    assert killed["ingestion"]["errors"][0]["message"] == f"The import stopped: {WORKER_STOPPED}"
    assert seen["interactions"] == before  # nothing of the killed ingestion was committed

    processes.step("rerun", str(run_id))

    seen = processes.inspect()
    [again] = [run for run in seen["runs"] if run["rerun_of"] == run_id]
    assert (again["job"], again["status"]) == ("ingestion", "done")
    assert (again["ingestion"]["created"], again["ingestion"]["errors"]) == (3, [])
    assert seen["interactions"] == before + 3


def test_a_cadence_recompute_whose_worker_is_killed_fails_and_reruns(processes):
    run_id = int(processes.step("queue-cadence"))

    assert processes.kill_worker_while_it_writes() == -signal.SIGKILL

    [killed] = [run for run in processes.inspect()["runs"] if run["id"] == run_id]
    assert (killed["job"], killed["status"], killed["error"]) == (
        "cadence",
        "failed",
        WORKER_STOPPED,
    )

    processes.step("rerun", str(run_id))

    [again] = [run for run in processes.inspect()["runs"] if run["rerun_of"] == run_id]
    assert (again["job"], again["status"]) == ("cadence", "done")
