"""Batch dedupe of CRM-shaped contacts at scale: `rapport dedupe` time, peak memory, F1.

    python bench/dedupe.py                      # 300,000 contacts
    python bench/dedupe.py --contacts 50000 --out var/bench-dedupe.json

Builds var/bench-dedupe-<N>.sqlite3 the first time: `tests.datasets.crm_people` writes a
CRM export (accounts and contacts CSV, ~12% planted duplicates of ten kinds), and
`tests.datasets.crm_bulk` loads it as the product stores it. Then `rapport dedupe --kind
contacts` runs in a child process; its wall time and peak resident memory (the child's
ru_maxrss) are measured, and the pairs it stores are scored against the planted ones:
precision, recall and F1 over all pairs and recall per kind.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 7


def _setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    import django

    django.setup()


def build(contacts: int, database: Path) -> float:
    """Generate and load the contacts unless the database holds them; seconds taken."""
    from django.core.management import call_command
    from tests.datasets.crm_bulk import load_accounts, load_contacts
    from tests.datasets.crm_people import ACCOUNT_COLUMNS, CONTACT_COLUMNS, generate, write_csv
    from tests.factories import make_user

    from rapport.accounts.models import Contact

    call_command("migrate", verbosity=0)
    if Contact.all_objects.exists():
        return 0.0
    start = time.perf_counter()
    make_user()
    people = generate(contacts, seed=SEED)
    with tempfile.TemporaryDirectory() as folder:
        accounts = write_csv(people.accounts, ACCOUNT_COLUMNS, Path(folder) / "accounts.csv")
        rows = write_csv(people.contacts, CONTACT_COLUMNS, Path(folder) / "contacts.csv")
        load_contacts(rows, load_accounts(accounts))
    return time.perf_counter() - start


def dedupe(database: Path) -> tuple[float, float]:
    """`rapport dedupe --kind contacts` in a child process: seconds, peak RSS in MB."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "django", "dedupe", "--kind", "contacts"],
        env={**env, "DJANGO_SETTINGS_MODULE": "rapport.settings"},
        check=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def score(contacts: int) -> dict[str, Any]:
    from tests.datasets.crm_people import generate, recall_by_kind
    from tests.resolution.crm_dedupe import found_pairs

    from rapport.analytics.linkage import score_pairs

    people = generate(contacts, seed=SEED)
    found, unsure = found_pairs()
    overall = score_pairs(found, people.true_pairs())
    return {
        "true_pairs": len(people.true_pairs()),
        "precision": round(overall.precision, 4),
        "recall": round(overall.recall, 4),
        "f1": round(overall.f1, 4),
        "not_sure_pairs": len(unsure),
        "recall_by_kind": {
            kind: round(s.recall, 4) for kind, s in recall_by_kind(people, found).items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    database = ROOT / "var" / f"bench-dedupe-{args.contacts}.sqlite3"
    database.parent.mkdir(exist_ok=True)
    _setup(database)
    load = build(args.contacts, database)
    from rapport.resolution.models import DedupeRun, DuplicatePair

    DuplicatePair.objects.all().delete()
    DedupeRun.objects.all().delete()
    seconds, peak_mb = dedupe(database)
    run = DedupeRun.objects.order_by("-pk").first()
    result = {
        "name": f"dedupe {args.contacts:,} contacts",
        "contacts": run.records if run else None,
        "load_seconds": round(load, 1),
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_mb),
        "candidate_pairs": run.parameters.get("candidate_pairs") if run else None,
        **score(args.contacts),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
