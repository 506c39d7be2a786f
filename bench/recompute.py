"""Time the full recompute (value, tiers, needs segments) alone in its own process.

Runs on the database in DATABASE_URL, which must already hold the data set (measure.py
loads it). Reports the wall time of each stage and of the whole, and the process's peak
memory: the RSS high-water mark (`getrusage(RUSAGE_SELF).ru_maxrss`), beside the RSS
after Django, numpy, scipy and scikit-learn are imported, so the recompute's own share
shows. Goal at large size: under 60 s and 2 GB.

    DATABASE_URL=... python bench/recompute.py --out var/bench-recompute.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")


def rss_mb() -> float:
    """This program's peak resident set so far, in MB.

    VmHWM from /proc: ru_maxrss would also count the parent's size at fork (Linux keeps
    the high-water mark across fork and exec), and measure.py is big by then.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def database_cpu_seconds() -> float | None:
    """CPU time of the PostgreSQL backend serving this connection (same machine only)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """User plus system CPU time of this process (not the database server's)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import django

    django.setup()
    from rapport.valuation import runners

    runners.segments_runner()  # import the needs models' dependencies before the baseline
    baseline = rss_mb()
    stages = []
    started, cpu_started, db_started = time.perf_counter(), cpu_seconds(), database_cpu_seconds()
    for only in runners.ANALYSES:
        t0, c0, d0 = time.perf_counter(), cpu_seconds(), database_cpu_seconds()
        runs = runners.recompute(only=only)
        seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        d1 = database_cpu_seconds()
        db_cpu = d1 - d0 if d0 is not None and d1 is not None else None
        stages.append(
            {
                "stage": only,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "database_cpu_seconds": db_cpu,
                "runs": [
                    {"model": r.model_name, "status": r.status, "processed": r.processed}
                    for r in runs
                ],
                "peak_rss_mb": rss_mb(),
            }
        )
        print(
            f"  recompute {only}: {seconds:.1f} s ({cpu:.1f} s CPU, database {db_cpu or 0:.1f} s"
            f" CPU), peak RSS {rss_mb():.0f} MB",
            flush=True,
        )
    total, cpu_total = time.perf_counter() - started, cpu_seconds() - cpu_started
    db_end = database_cpu_seconds()
    db_total = db_end - db_started if db_started is not None and db_end is not None else None
    result = {
        "seconds": total,
        "cpu_seconds": cpu_total,
        "database_cpu_seconds": db_total,
        "peak_rss_mb": rss_mb(),
        "rss_after_imports_mb": baseline,
        "stages": stages,
    }
    print(
        f"  recompute (value, tiers, segments): {total:.1f} s ({cpu_total:.1f} s CPU, database "
        f"{db_total or 0:.1f} s CPU), peak RSS {result['peak_rss_mb']:.0f} MB "
        f"({baseline:.0f} MB after imports)",
        flush=True,
    )
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
