"""Import speed: accounts and contacts from another CRM's export, through the import runner.

Each database gets a fresh schema of its own (SQLite file var/bench-import.sqlite3, or the
PostgreSQL database rapport_bench_import), so the numbers are those of a first load of a
CRM export into an empty Rapport: the accounts file (organisations, a fifth of them with a
unit naming its parent by external id), then the contacts file (personal e-mails, team
mailboxes and switchboard numbers shared at a site, mobiles, mailing addresses). Both go
through `transfer.services` upload → dry run → import, the code path of `rapport import`;
each step's rows per second is reported.

    python bench/import_speed.py --accounts 20000 --contacts 100000 --databases sqlite,postgres
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "rapport_bench_import"

FIRST = ["Anna", "Ben", "Carla", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Klara", "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Uwe", "Vera", "Wim", "Xenia", "Yusuf", "Zoe"]  # fmt: skip
LAST = ["Adler", "Berg", "Cole", "Diaz", "Eder", "Fink", "Graf", "Hahn", "Igel", "Jung", "Kern", "Lang", "Moser", "Nagel", "Ost", "Pohl", "Quast", "Roth", "Sauer", "Thiel", "Ulm", "Vogt", "Weber", "Yilmaz", "Zander"]  # fmt: skip
CITIES = (("Hamburg", "Hamburg", "DE", "20095"), ("Berlin", "Berlin", "DE", "10115"),
          ("Vienna", "Wien", "AT", "1010"), ("Zurich", "ZH", "CH", "8001"),
          ("Leeds", "West Yorkshire", "GB", "LS1 4AP"), ("Austin", "TX", "US", "73301"))  # fmt: skip
TITLES = ("Buyer", "CTO", "Head of Purchasing", "Engineer", "Plant Manager", "CFO", "")


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def crm_export(accounts: int, contacts: int, seed: int) -> tuple[bytes, bytes]:
    """An accounts file and a contacts file shaped like another CRM's export (seeded)."""
    rng = random.Random(seed)
    account_rows = []
    roots = accounts - accounts // 5
    for n in range(accounts):
        city, region, country, postcode = rng.choice(CITIES)
        parent = "" if n < roots else f"A-{rng.randrange(roots):06d}"
        name = f"{rng.choice(LAST)} {rng.choice(['Industries', 'Logistics', 'Foods', 'Labs'])} {n}"
        account_rows.append(
            [f"A-{n:06d}", name if not parent else f"{name} site", parent, "Manufacturing",
             f"www.firm{n}.example", f"{n % 200 + 1} Main Street", city, postcode, region,
             country]
        )  # fmt: skip
    account_file = _csv(
        ["Account ID", "Account Name", "Parent Account ID", "Industry", "Website",
         "Billing Street", "Billing City", "Billing Zip/Postal Code", "Billing State/Province",
         "Billing Country"],
        account_rows,
    )  # fmt: skip
    contact_rows = []
    for n in range(contacts):
        a = rng.randrange(accounts)
        city, region, country, postcode = CITIES[a % len(CITIES)]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        # One in ten writes from the site's team mailbox; everyone gives the switchboard.
        email = f"info@firm{a}.example" if n % 10 == 0 else f"{first}.{last}.{n}@firm{a}.example"
        switchboard = f"+49 40 {a:07d}"
        mobile = f"+49 170 {n:07d}" if n % 3 == 0 else ""
        contact_rows.append(
            [f"C-{n:07d}", first, last, f"A-{a:06d}", rng.choice(TITLES), email.lower(),
             switchboard, mobile, f"{a % 200 + 1} Main Street", city, postcode, region, country]
        )  # fmt: skip
    contact_file = _csv(
        ["Contact ID", "First Name", "Last Name", "Account ID", "Title", "Email", "Phone",
         "Mobile Phone", "Mailing Street", "Mailing City", "Mailing Zip/Postal Code",
         "Mailing State/Province", "Mailing Country"],
        contact_rows,
    )  # fmt: skip
    return account_file, contact_file


def measure(accounts: int, contacts: int, seed: int) -> dict:
    """In a fresh database (this process's DATABASE_URL): import both files, time each step."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from rapport.core.services import user_create
    from rapport.transfer import services

    call_command("migrate", verbosity=0)
    actor = user_create(email="bench@rapport.example", full_name="Bench", role="admin")
    account_file, contact_file = crm_export(accounts, contacts, seed)
    result: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        settings.VAR_DIR = Path(folder)
        for kind, content, rows in (
            ("accounts", account_file, accounts),
            ("contacts", contact_file, contacts),
        ):
            started = time.perf_counter()
            run = services.import_upload(
                actor=actor, kind=kind, filename=f"{kind}.csv", content=content
            )
            uploaded = time.perf_counter()
            run = services.import_check(actor=actor, run=run, background=False)
            checked = time.perf_counter()
            cpu = time.process_time()
            run = services.import_confirm(actor=actor, run=run, mode="all", background=False)
            done = time.perf_counter()
            cpu = time.process_time() - cpu
            if run.status != "done":
                raise SystemExit(f"{kind} import failed: {run.errors[:3]}")
            result[kind] = {
                "rows": rows,
                "upload_seconds": round(uploaded - started, 2),
                "dry_run_seconds": round(checked - uploaded, 2),
                "import_seconds": round(done - checked, 2),
                "dry_run_rows_per_second": round(rows / (checked - uploaded)),
                "import_rows_per_second": round(rows / (done - checked)),
                # This process's CPU time: on a shared machine the wall clock also counts
                # the time other processes held the cores (the load is recorded too).
                "import_cpu_seconds": round(cpu, 2),
                "load_average": os.getloadavg()[0],
                "created": run.created,
                "flagged": run.flagged,
                "bad_rows": run.failed,
            }
            print(
                f"  import {rows} {kind}: dry run {result[kind]['dry_run_rows_per_second']} rows/s, "
                f"import {result[kind]['import_rows_per_second']} rows/s "
                f"({result[kind]['import_seconds']} s, {cpu:.1f} s CPU, load "
                f"{os.getloadavg()[0]:.1f}), created {run.created}, "
                f"flagged {run.flagged}, bad {run.failed}",
                flush=True,
            )
    return result


def fresh_database(database: str) -> str:
    """The DATABASE_URL of an empty database for this measurement."""
    if database == "sqlite":
        path = ROOT / "var" / "bench-import.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
        conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    return f"{PG_ADMIN_URL}/{PG_NAME}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--contacts", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--out", help="write the results here as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.accounts, args.contacts, args.seed)))
        return 0
    results = {}
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        print(f"## import speed on {database}", flush=True)
        env = dict(os.environ, DATABASE_URL=fresh_database(database), OPENBLAS_NUM_THREADS="1")
        done = subprocess.run(
            [sys.executable, __file__, "--worker", "--accounts", str(args.accounts),
             "--contacts", str(args.contacts), "--seed", str(args.seed)],
            env=env, check=True, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        lines = done.stdout.strip().splitlines()
        print("\n".join(lines[:-1]), flush=True)
        results[database] = json.loads(lines[-1])
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
