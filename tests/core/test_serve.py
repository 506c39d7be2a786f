"""`rapport serve`: a worker beside the development server, and no Nagle stall on keep-alive."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.servers.basehttp import WSGIRequestHandler

from rapport.core.management.commands import serve
from rapport.core.management.commands.serve import NoDelayRunserver, NoDelayWSGIServer


class FakeProcess:
    """A child process that records how it was ended."""

    pid = 4242

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        self.args = args
        self.ended: list[str] = []
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.ended.append("terminate")
        self.returncode = -15

    def kill(self) -> None:
        self.ended.append("kill")

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode or 0


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {"processes": [], "commands": []}

    def popen(args: list[str], **kwargs: Any) -> FakeProcess:
        process = FakeProcess(args, **kwargs)
        seen["processes"].append(process)
        return process

    def fake_call_command(name: str, *args: Any, **kwargs: Any) -> None:
        # The worker is already running when the server starts.
        label = name if isinstance(name, str) else type(name).__name__
        seen["commands"].append((label, args, len(seen["processes"])))

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(serve, "call_command", fake_call_command)
    return seen


def test_serve_starts_the_worker_before_the_server_and_stops_it_after(started):
    out = io.StringIO()

    call_command("serve", "--port", "8123", stdout=out)

    [worker] = started["processes"]
    assert worker.args == [sys.executable, "-m", "rapport.cli", "worker"]
    assert started["commands"] == [("NoDelayRunserver", ("127.0.0.1:8123",), 1)]
    assert worker.ended == ["terminate"]
    assert "Background worker started (pid 4242" in out.getvalue()


def test_the_worker_stops_when_the_server_fails(started, monkeypatch):
    def crash(name: str, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "call_command", crash)

    with pytest.raises(KeyboardInterrupt):
        call_command("serve", stdout=io.StringIO())

    assert started["processes"][0].ended == ["terminate"]


def test_no_worker_runs_the_server_alone_and_says_so(started):
    out = io.StringIO()

    call_command("serve", "--no-worker", stdout=out)

    assert started["processes"] == []
    assert started["commands"] == [("NoDelayRunserver", ("127.0.0.1:8000",), 0)]
    assert "No background worker" in out.getvalue()


def test_the_worker_command_line_is_the_rapport_worker():
    assert serve.worker_command()[-2:] == ["rapport.cli", "worker"]


def test_every_accepted_connection_has_nagle_off():
    server = NoDelayWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    client = socket.create_connection(server.server_address[:2])
    try:
        connection, _ = server.get_request()
        assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        connection.close()
    finally:
        client.close()
        server.server_close()


def test_serve_runs_the_no_delay_server_with_whitenoise_static():
    from whitenoise.runserver_nostatic.management.commands.runserver import (
        Command as WhitenoiseRunserver,
    )

    assert issubclass(NoDelayRunserver, WhitenoiseRunserver)
    assert NoDelayRunserver.server_cls is NoDelayWSGIServer
