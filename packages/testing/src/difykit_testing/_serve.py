"""Serving the emulator on a real loopback port with uvicorn, in a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

__all__ = ["serve_app"]


@contextmanager
def serve_app(
    app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0
) -> Generator[str, None, None]:
    """Serve ``app`` with uvicorn; yield its base URL (``http://127.0.0.1:<port>/v1``)."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="difykit-emulator")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the emulator could not listen on {host}:{port}")
        time.sleep(0.005)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
