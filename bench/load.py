"""Load test: N concurrent users on gunicorn, for a bounded time, on loopback.

Starts gunicorn itself (sync workers, as docs/operations.md deploys it) on the database in
DATABASE_URL, signs the demo user in once (a session row, as a sign-in makes), and lets
--users threads each loop over the mix (the account page of the largest organisation,
its timeline through the API, and a contact through the API) until --seconds are up.
Reports requests per second, p50 and p95 latency, errors, and the CPU the gunicorn
workers and the PostgreSQL backends spent per request, beside the load average.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pages_bench \\
        python bench/load.py --users 50 --seconds 30 --out var/load.json

--src serves another checkout's code with the same virtualenv (e.g. a `git archive` of
the commit before a change), so before and after are measured in the same minute.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of one process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def postgres_backends(database: str) -> list[int]:
    """Process ids of this machine's PostgreSQL backends serving `database` (their CPU is
    the database's share of a request; other databases' work is not counted)."""
    marker = f" {database} ".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres: ") and marker in cmdline:
            pids.append(int(entry.name))
    return pids


MIX = ("account page", "API timeline", "API contact")


def prepare(database_url: str, mix: tuple[str, ...] = MIX) -> tuple[str, list[tuple[str, str]]]:
    """A signed-in session's cookie for the demo user, and the mix of (name, path) to ask."""
    code = f"""
import json, os, sys
sys.path.insert(0, {str(ROOT / "bench")!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rapport.core.models import User
import pages
user = User.objects.get(email="demo@rapport.example")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
t = pages.targets()
mix = [(n, t[n]) for n in {list(mix)!r}]
print(json.dumps({{"cookie": f"{{settings.SESSION_COOKIE_NAME}}={{session.session_key}}", "mix": mix}}))
"""
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["cookie"], [tuple(pair) for pair in answer["mix"]]


def free_port() -> int:
    """A port nobody listens on now (the machine is shared: a fixed one may be taken)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(server: subprocess.Popen, port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on port {port} within {seconds} s")


def run(args: argparse.Namespace) -> dict:
    database_url = os.environ["DATABASE_URL"]
    cookie, mix = prepare(database_url, tuple(n.strip() for n in args.mix.split(",")))
    src = Path(args.src).resolve() if args.src else ROOT / "src"
    args.port = args.port or free_port()
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=str(src))
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "rapport.wsgi:application",
         "--workers", str(args.workers), "--bind", f"127.0.0.1:{args.port}",
         "--backlog", "2048", "--timeout", "60", "--log-level", "warning"],
        env=env, cwd=src.parent, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_up(server, args.port)
        # Warm every worker: templates compiled, connections open.
        for _ in range(args.workers * 4):
            for _name, path in mix:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                conn.request("GET", path, headers={"Cookie": cookie})
                conn.getresponse().read()
        workers = children(server.pid)
        backends = postgres_backends(database_url.rsplit("/", 1)[-1])
        cpu_before = sum(process_cpu_seconds(p) for p in workers)
        db_before = sum(process_cpu_seconds(p) for p in backends)
        load_before = [round(x, 2) for x in os.getloadavg()]
        results: list[tuple[str, float, int]] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def user(number: int) -> None:
            mine: list[tuple[str, float, int]] = []
            step = number
            while time.monotonic() < stop_at:
                name, path = mix[step % len(mix)]
                step += 1
                started = time.perf_counter()
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                    conn.request("GET", path, headers={"Cookie": cookie})
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    conn.close()
                except OSError:
                    status = 0
                mine.append((name, time.perf_counter() - started, status))
            with lock:
                results.extend(mine)

        threads = [threading.Thread(target=user, args=(n,)) for n in range(args.users)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        cpu = sum(process_cpu_seconds(p) for p in workers) - cpu_before
        db_cpu = sum(process_cpu_seconds(p) for p in backends) - db_before
        load_after = [round(x, 2) for x in os.getloadavg()]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    def summary(rows: list[tuple[str, float, int]]) -> dict:
        ms = [r[1] * 1000 for r in rows]
        return {
            "requests": len(rows),
            "errors": sum(1 for r in rows if r[2] != 200),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(percentile(ms, 0.95), 1) if ms else None,
        }

    total = summary(results)
    report = {
        "src": str(src),
        "users": args.users,
        "workers": args.workers,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(len(results) / elapsed, 1),
        **total,
        "app_cpu_ms_per_request": round(cpu * 1000 / max(1, len(results)), 1),
        "db_cpu_ms_per_request": round(db_cpu * 1000 / max(1, len(results)), 1),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "by_page": {name: summary([r for r in results if r[0] == name]) for name, _ in mix},
    }
    return report


def print_report(report: dict) -> None:
    print(
        f"load test ({report['users']} users, {report['workers']} workers, {report['seconds']} s,"
        f" {report['src']}): {report['requests_per_second']} requests/s, p50"
        f" {report['p50_ms']} ms, p95 {report['p95_ms']} ms, {report['errors']} errors of"
        f" {report['requests']}; CPU per request: app {report['app_cpu_ms_per_request']} ms,"
        f" database {report['db_cpu_ms_per_request']} ms; load average"
        f" {report['load_average_before']} -> {report['load_average_after']}"
    )
    for name, row in report["by_page"].items():
        print(
            f"  {name:<14} {row['requests']:>6} requests, p50 {row['p50_ms']} ms,"
            f" p95 {row['p95_ms']} ms, {row['errors']} errors"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30, help="how long the users loop")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--src", help="serve this src directory instead of the checkout's")
    parser.add_argument(
        "--mix",
        default=",".join(MIX),
        help="pages each user loops over, by bench/pages.py's names (default: %(default)s)",
    )
    parser.add_argument("--out")
    args = parser.parse_args()
    report = run(args)
    print_report(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
