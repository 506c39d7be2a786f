"""`rapport serve`: the development server, or gunicorn with --production."""

import os
import socket
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


class Command(BaseCommand):
    help = "Serve Rapport: Django's server for development, gunicorn with --production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--production", action="store_true", help="Run gunicorn")
        parser.add_argument("--workers", type=int, default=2)

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
        call_command(NoDelayRunserver(), address, use_reloader=False)
