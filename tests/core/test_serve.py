"""`rapport serve`'s development server answers kept-alive connections without a Nagle stall."""

from __future__ import annotations

import socket

from django.core.servers.basehttp import WSGIRequestHandler

from rapport.core.management.commands.serve import NoDelayRunserver, NoDelayWSGIServer


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
