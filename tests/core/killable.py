"""A worker that can be killed mid-run, and what the killing test asks of its database.

Run as `python tests/core/killable.py STEP` with DATABASE_URL naming a database of its
own (not the test run's): `seed`, `queue-value`, `queue-import FILE`, `queue-ingestion
FILE`, `queue-cadence`, `worker` (carries
out the queued tasks; once a store has written its first rows it says so in the file
$KILLABLE_SIGNAL and waits to be killed), `inspect` (the runs, as JSON, after the lazy
sweep), `rerun RUN_ID`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import django

sys.path[:0] = [
    str(Path(__file__).resolve().parents[2]),
    str(Path(__file__).resolve().parents[2] / "src"),
]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from rapport.core import runs  # noqa: E402
from rapport.core.models import Role, Run, User  # noqa: E402


def _manager() -> User:
    return User.objects.get(email="manager@example.com")


def seed() -> None:
    from tests.factories import make_account, make_contact, make_user

    admin = make_user(Role.ADMIN, email="admin@example.com")
    make_user(Role.MANAGER, email="manager@example.com")
    for n in range(5):
        account = make_account(admin, f"Organisation {n}")
    make_contact(admin, account, email="buyer@example.org")


def queue_value() -> None:
    from rapport.valuation import runners

    print(runners.run_request(actor=_manager(), kind="value").run_id)


def queue_import(path: str) -> None:
    from rapport.transfer import services

    content = Path(path).read_bytes()
    run = services.import_upload(
        actor=_manager(), kind="accounts", filename=Path(path).name, content=content
    )
    run = services.import_check(actor=_manager(), run=run, background=False)
    run = services.import_confirm(actor=_manager(), run=run, mode="all", background=True)
    print(run.run_id)


def queue_ingestion(path: str) -> None:
    from rapport.transfer import services

    run = services.ingestion_start(
        actor=_manager(), filename=Path(path).name, content=Path(path).read_bytes(), format="csv"
    )
    print(run.run_id)


def queue_cadence() -> None:
    from rapport.interactions import cadence

    print(cadence.cadence_queue(started_by=_manager()).pk)


def _pause_after_first_write() -> None:
    """Once a store has written part of its rows (uncommitted), say so and wait for the kill."""
    from rapport.transfer import importers
    from rapport.valuation import runners as value_runners

    signal = Path(os.environ["KILLABLE_SIGNAL"])

    def wait_for_the_kill() -> None:
        signal.write_text("writing")
        time.sleep(600)

    insert = value_runners._insert

    def insert_then_wait(model: Any, columns: list[str], rows: Any) -> int:
        written = insert(model, columns, rows)
        wait_for_the_kill()
        return written

    value_runners._insert = insert_then_wait  # type: ignore[assignment]
    write = importers.AccountImporter.write

    def write_then_wait(self: Any, **kwargs: Any) -> Any:
        counts = write(self, **kwargs)
        wait_for_the_kill()
        return counts

    importers.AccountImporter.write = write_then_wait  # type: ignore[method-assign]

    from rapport.interactions.cadence import CadenceRunner
    from rapport.transfer.runners import IngestionRunner

    for runner in (CadenceRunner, IngestionRunner):

        def store_then_wait(self: Any, calculated: Any, store: Any = runner._store) -> Any:
            summary = store(self, calculated)  # written, not committed: the kill comes first
            wait_for_the_kill()
            return summary

        runner._store = store_then_wait  # type: ignore[method-assign]


def worker() -> None:
    _pause_after_first_write()
    call_command("worker", batch=True, interval=0.1, startup_delay=False)


def inspect() -> None:
    from rapport.accounts.models import Account
    from rapport.interactions.models import AccountCadence, Interaction
    from rapport.transfer.models import IngestionRun
    from rapport.valuation.models import AccountValue

    runs.sweep()
    out = [
        {
            "id": run.pk,
            "job": run.job,
            "status": run.status,
            "error": run.error,
            "rerun_of": run.rerun_of_id,
            "values": AccountValue.objects.filter(run__run=run).count(),
        }
        for run in Run.objects.order_by("pk")
    ]
    ingestions = {
        i.run_id: {"status": i.status, "errors": i.errors, "created": i.created}
        for i in IngestionRun.objects.select_related("run")
    }
    for entry in out:
        entry["ingestion"] = ingestions.get(entry["id"])
    print(
        json.dumps(
            {
                "runs": out,
                "accounts": Account.objects.count(),
                "interactions": Interaction.objects.count(),
                "cadences": AccountCadence.objects.count(),
            }
        )
    )


def rerun(run_id: str) -> None:
    call_command("rerun", run_id, now=True)


if __name__ == "__main__":
    step, *rest = sys.argv[1:]
    {
        "seed": seed,
        "queue-value": queue_value,
        "queue-import": queue_import,
        "queue-ingestion": queue_ingestion,
        "queue-cadence": queue_cadence,
        "worker": worker,
        "inspect": inspect,
        "rerun": rerun,
    }[step](*rest)
