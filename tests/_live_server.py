"""A real uvicorn server on 127.0.0.1 and an ephemeral port, for tests.

The server runs in a background thread with its own event loop, so tests
talk to it over real sockets exactly as a remote client would.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass(frozen=True)
class LiveServer:
    host: str
    port: int
    app: Any
    tls: ssl.SSLContext | None = None  # the server's context when it serves https

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@contextmanager
def serve(app: Any, *, loop: str = "uvloop", **config: Any) -> Iterator[LiveServer]:
    """Serve an ASGI ``app`` until the block exits; yields its address.

    uvloop by default, as the mock runs in production; ``loop="asyncio"`` works too.
    uvicorn's ``ssl_*`` options serve https (see ``tests/_tls.py``).
    """
    # IPPROTO_TCP: asyncio only sets TCP_NODELAY on sockets created with it
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="auto", loop=loop, **config)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(host, port, app, server.config.ssl)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
