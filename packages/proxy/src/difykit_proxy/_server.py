"""Serving the proxy with uvicorn on a socket the caller can read the port of."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

__all__ = ["bind", "serve_in_thread", "server_for"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free one).

    Raises:
        OSError: The address is taken or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for sockets
    # that say they are TCP; without it, keep-alive answers written in two parts wait ~40 ms
    # for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def server_for(app: ASGIApp, *, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for ``app`` (lifespan on, no access log: requests are not logged)."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=5,
        backlog=2048,
    )
    return uvicorn.Server(config)


@contextmanager
def serve_in_thread(
    app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0
) -> Generator[str, None, None]:
    """Serve ``app`` in a background thread; yield its base URL (``http://host:port/v1``)."""
    sock = bind(host, port)
    server = server_for(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="difykit-proxy"
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"the proxy could not start on {host}:{port}")
        time.sleep(0.005)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
