"""`make bench`: build the data set at scale on SQLite and PostgreSQL, then measure.

For each database it runs bench/measure.py in a subprocess (settings are per process),
which loads the demo generator's data if the database does not hold it yet, and times
the pages after warm-up. Prints one table and writes bench/results/<scale>-<stamp>.json.

    python bench/run.py --scale medium              # both databases
    python bench/run.py --scale large --databases postgres
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def database_url(database: str, scale: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{ROOT / 'var' / f'bench-{scale}.sqlite3'}"
    return f"{PG_ADMIN_URL}/rapport_bench_{scale}"


def ensure_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="medium")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--ingest", type=int, default=5000, help="e-mails to import; 0 skips")
    parser.add_argument(
        "--btyd",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="BG/NBD on 1M simulated customers beside lifetimes (bench/btyd.py)",
    )
    parser.add_argument(
        "--linkage",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="batch record linkage on FEBRL dataset3 beside splink defaults (bench/linkage.py)",
    )
    parser.add_argument(
        "--dedupe",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="rapport dedupe on 300,000 CRM-shaped contacts: time, peak memory, F1 on planted"
        " duplicates (bench/dedupe.py; builds var/bench-dedupe-300000.sqlite3 the first time)",
    )
    parser.add_argument(
        "--online-check",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="duplicate check on entry at 20,000 accounts / 300,000 contacts (bench/online_check.py;"
        " builds var/bench-online.sqlite3 the first time)",
    )
    parser.add_argument(
        "--import-speed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="accounts and contacts of a CRM export into an empty database through the import "
        "runner, rows per second (bench/import_speed.py)",
    )
    parser.add_argument(
        "--pages",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="where the account, contact and Differentiate pages' time goes: queries, SQL ms,"
        " CPU ms per request (bench/pages.py)",
    )
    parser.add_argument(
        "--load",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="50 users for --load-seconds on gunicorn (3 workers) over PostgreSQL: account page,"
        " timeline API, contact API; requests/s, p50/p95, errors (bench/load.py)",
    )
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument(
        "--offers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Customize: validate a 60-option product, price a 100-line order, the replenishment"
        " list, the account page's In use card (bench/offers.py)",
    )
    parser.add_argument(
        "--import-contacts",
        type=int,
        help="contacts in the import-speed file (default by scale: 10,000 / 30,000 / 100,000; "
        "the design target is 300,000)",
    )
    args = parser.parse_args()

    results = []
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        if database == "postgres":
            ensure_pg_database(f"rapport_bench_{args.scale}")
        env = dict(
            os.environ, DATABASE_URL=database_url(database, args.scale), OPENBLAS_NUM_THREADS="1"
        )
        out = ROOT / "var" / f"bench-{args.scale}-{database}.json"
        command = [
            sys.executable,
            str(HERE / "measure.py"),
            "--scale",
            args.scale,
            "--seed",
            str(args.seed),
            "--repeat",
            str(args.repeat),
            "--out",
            str(out),
            "--database",
            database,
            "--ingest",
            str(args.ingest),
        ]
        print(f"\n## {database}: {' '.join(command[1:])}", flush=True)
        subprocess.run(command, env=env, check=True, cwd=ROOT)
        results.append(json.loads(out.read_text()))

    print_table(results)
    report: dict = {"scale": args.scale, "runs": results}
    if args.pages:
        report["pages"] = []
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            env = dict(
                os.environ,
                DATABASE_URL=database_url(database, args.scale),
                OPENBLAS_NUM_THREADS="1",
            )
            pages_out = ROOT / "var" / f"bench-pages-{args.scale}-{database}.json"
            print(f"\n## page costs ({database}): bench/pages.py", flush=True)
            subprocess.run(
                [sys.executable, str(HERE / "pages.py"), "--out", str(pages_out)],
                env=env, check=True, cwd=ROOT,
            )  # fmt: skip
            report["pages"].append({"database": database, **json.loads(pages_out.read_text())})
    if args.load and "postgres" in args.databases:
        env = dict(os.environ, DATABASE_URL=database_url("postgres", args.scale))
        load_out = ROOT / "var" / f"bench-load-{args.scale}.json"
        print(f"\n## load test: bench/load.py --seconds {args.load_seconds}", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "load.py"), "--seconds", str(args.load_seconds),
             "--out", str(load_out)],
            env=env, check=True, cwd=ROOT,
        )  # fmt: skip
        report["load"] = json.loads(load_out.read_text())
    if args.offers:
        report["offers"] = []
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            env = dict(os.environ, DATABASE_URL=database_url(database, args.scale))
            offers_out = ROOT / "var" / f"bench-offers-{args.scale}-{database}.json"
            print(f"\n## customize ({database}): bench/offers.py", flush=True)
            subprocess.run(
                [sys.executable, str(HERE / "offers.py"), "--out", str(offers_out)],
                env=env, check=True, cwd=ROOT,
            )  # fmt: skip
            report["offers"].append({"database": database, **json.loads(offers_out.read_text())})
    if args.btyd:
        btyd_out = ROOT / "var" / "bench-btyd.json"
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        print("\n## btyd: bench/btyd.py", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "btyd.py"), "--out", str(btyd_out)], env=env, check=True
        )
        report["btyd"] = json.loads(btyd_out.read_text())
    if args.linkage:
        linkage_out = ROOT / "var" / "bench-linkage.json"
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        print("\n## linkage: bench/linkage.py", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "linkage.py"), "--out", str(linkage_out)],
            env=env,
            check=True,
        )
        report["linkage"] = json.loads(linkage_out.read_text())["linkage"]
    if args.dedupe:
        dedupe_out = ROOT / "var" / "bench-dedupe.json"
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        print("\n## dedupe 300k: bench/dedupe.py", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "dedupe.py"), "--out", str(dedupe_out)],
            env=env,
            check=True,
            cwd=ROOT,
        )
        report["dedupe"] = json.loads(dedupe_out.read_text())
    if args.online_check:
        report["online_check"] = []
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            if database == "postgres":
                ensure_pg_database("rapport_bench_online")
                url = f"{PG_ADMIN_URL}/rapport_bench_online"
            else:
                url = f"sqlite:///{ROOT / 'var' / 'bench-online.sqlite3'}"
            env = dict(os.environ, OPENBLAS_NUM_THREADS="1", DATABASE_URL=url)
            print(f"\n## online check ({database}): bench/online_check.py", flush=True)
            done = subprocess.run(
                [sys.executable, str(HERE / "online_check.py")],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            print(done.stdout, flush=True)
            report["online_check"].append(json.loads(done.stdout[done.stdout.index("{") :]))
        print_online_table(report["online_check"])
    if args.import_speed:
        accounts, contacts = IMPORT_SIZES[args.scale]
        contacts = args.import_contacts or contacts
        import_out = ROOT / "var" / "bench-import-speed.json"
        print(f"\n## import speed: {accounts} accounts, {contacts} contacts", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "import_speed.py"), "--accounts", str(accounts),
             "--contacts", str(contacts), "--databases", args.databases, "--out",
             str(import_out)],
            check=True, cwd=ROOT,
        )  # fmt: skip
        report["import_speed"] = json.loads(import_out.read_text())
        print_import_speed(report["import_speed"])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = HERE / "results" / f"{args.scale}-{stamp}.json"
    target.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {target.relative_to(ROOT)}")
    return 0


# Accounts and contacts in the import-speed files, by scale (large: the design target's
# 20,000 accounts; 100,000 of its 300,000 contacts unless --import-contacts says more).
IMPORT_SIZES = {"small": (2000, 10000), "medium": (5000, 30000), "large": (20000, 100000)}


def print_import_speed(speed: dict) -> None:
    header = f"{'database':<9} {'import (rows)':<24} {'dry run rows/s':>14} {'import rows/s':>13}"
    print("\n" + header)
    print("-" * len(header))
    for database, kinds in speed.items():
        for kind, m in kinds.items():
            name = f"{kind} ({m['rows']:,})"
            print(
                f"{database:<9} {name:<24} {m['dry_run_rows_per_second']:>14,}"
                f" {m['import_rows_per_second']:>13,}"
            )


def print_table(results: list[dict]) -> None:
    header = f"{'database':<9} {'measurement':<36} {'median ms':>9} {'p95 ms':>8} {'queries':>7}"
    print("\n" + header)
    print("-" * len(header))
    for run in results:
        for m in run["measurements"]:
            print(
                f"{run['database']:<9} {m['name']:<36} {m['median_ms']:>9.1f} {m['p95_ms']:>8.1f} {m['queries']:>7}"
            )
        ingestion = run.get("ingestion")
        if ingestion:
            print(
                f"{run['database']:<9} {ingestion['name']:<36} {ingestion['messages_per_second']:>9.0f}"
                f" {'msg/s':>8} {ingestion['queries']:>7}"
            )
        recompute = run.get("recompute")
        if recompute:
            print(
                f"{run['database']:<9} {'full recompute (s, peak RSS MB)':<36} "
                f"{recompute['seconds']:>9.1f} {recompute['peak_rss_mb']:>8.0f}"
            )
            for stage in recompute["stages"]:
                name = f"  recompute {stage['stage']} (s)"
                print(f"{run['database']:<9} {name:<36} {stage['seconds']:>9.1f}")
        load = run.get("load_seconds")
        if load is not None:
            print(f"{run['database']:<9} {'data load (s)':<36} {load:>9.1f}")
        print(f"{run['database']:<9} counts: {run['counts']}")


def print_online_table(results: list[dict]) -> None:
    """The duplicate check on entry: top-1 of typed variants (overall, per kind) and speed."""
    header = f"{'database':<9} {'online check':<36} {'top-1':>9} {'p50 ms':>8} {'p95 ms':>8}"
    print("\n" + header)
    print("-" * len(header))
    for run in results:
        check = run["contact_check"]
        db = run["database"]
        label = f"contact, {check['cases']} typed variants"
        print(
            f"{db:<9} {label:<36} {check['top1']:>9.1%} {check['p50_ms']:>8.1f} {check['p95_ms']:>8.1f}"
        )
        for kind, row in check["kinds"].items():
            name = f"  {kind} ({row['cases']})"
            print(f"{db:<9} {name:<36} {row['top1']:>9.1%}")
        account = run["account_check"]
        print(
            f"{db:<9} {'account, typo in the name':<36} {'':>9} {account['p50_ms']:>8.1f} {account['p95_ms']:>8.1f}"
        )
        print(f"{db:<9} size: {run['accounts']} accounts, {run['contacts']} contacts")


if __name__ == "__main__":
    sys.exit(main())
