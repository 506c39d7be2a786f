"""`rapport serve`: the development server with its worker, or gunicorn with --production."""

import os
import socket
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.servers.basehttp import WSGIServer
from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as RunserverCommand,
)


class NoDelayWSGIServer(WSGIServer):
    """Django's development server with Nagle's algorithm off on every connection.

    wsgiref sends the status line, the headers and the body as separate writes; with
    Nagle on, the last small write of a response on a kept-alive connection waits for
    the client's delayed ACK, about 40 ms per request. gunicorn sets TCP_NODELAY itself.
    """

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class NoDelayRunserver(RunserverCommand):
    server_cls = NoDelayWSGIServer


def worker_command() -> list[str]:
    """The command line of the background worker the development server runs beside it."""
    return [sys.executable, "-m", "rapport.cli", "worker"]


def start_worker() -> subprocess.Popen[bytes]:
    """Start `rapport worker` as a child process, with this process's settings."""
    return subprocess.Popen(worker_command(), env=os.environ.copy())


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """End the child worker: politely first, then for good."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class Command(BaseCommand):
    help = (
        "Serve Rapport: Django's server and a background worker for development, "
        "gunicorn with --production (run `rapport worker` as its own process there)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--production", action="store_true", help="Run gunicorn")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Development only: do not start the background worker beside the server.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        address = f"{options['host']}:{options['port']}"
        if options["production"]:
            call_command("collectstatic", interactive=False, verbosity=0)
            os.execvp(
                sys.executable,
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "rapport.wsgi",
                    "--bind",
                    address,
                    "--workers",
                    str(options["workers"]),
                    "--access-logfile",
                    "-",
                ],
            )
        if options["no_worker"]:
            self.stdout.write(
                "No background worker: recomputes, duplicate searches and large imports "
                "wait until `rapport worker` runs."
            )
            call_command(NoDelayRunserver(), address, use_reloader=False)
            return
        # Without a worker, "Recompute" and "Find duplicates" would wait at 0 % for ever.
        worker = start_worker()
        self.stdout.write(
            f"Background worker started (pid {worker.pid}, `rapport worker`); "
            "it stops with the server."
        )
        try:
            call_command(NoDelayRunserver(), address, use_reloader=False)
        finally:
            stop_worker(worker)
