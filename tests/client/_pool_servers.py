"""Servers for the pool conformance suite: each one provokes one pool or timeout rule.

All listen on 127.0.0.1 and an ephemeral port. The ASGI apps run under the
``live_server`` fixture (real uvicorn); the socket servers are for what a
well-behaved HTTP server never does: never accept, never read, close a
kept-alive connection without a word.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import orjson

from tests._raw_server import Answer, RawServer
from tests.client.scripted_app import PROFILE

PROFILE_BODY = orjson.dumps(PROFILE)
#: a complete keep-alive answer to a profile request, as raw bytes
PROFILE_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    % (len(PROFILE_BODY), PROFILE_BODY)
)
#: the most any test waits on a server before giving up (a hang becomes a failure, not a stall)
HOLD_LIMIT = 10.0


class ServiceApp:
    """A service with a constant service time, counting connections and requests.

    While ``gate`` is closed (``hold()``), requests wait inside the server for
    ``open_gate()`` (never longer than :data:`HOLD_LIMIT`), so a test decides
    when connections come back.
    """

    def __init__(self, service_time: float = 0.0) -> None:
        self.service_time = service_time
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.clients: list[tuple[str, int]] = []  # the client address of each request
        self._gate = threading.Event()
        self._gate.set()

    @property
    def connections(self) -> int:
        """How many connections the requests so far came over."""
        return len(set(self.clients))

    def hold(self) -> None:
        self._gate.clear()

    def open_gate(self) -> None:
        self._gate.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        self.requests += 1
        self.clients.append(tuple(scope["client"]))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.service_time:
                await asyncio.sleep(self.service_time)
            if not self._gate.is_set():
                await asyncio.to_thread(self._gate.wait, HOLD_LIMIT)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"%d" % len(PROFILE_BODY)),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": PROFILE_BODY})
        finally:
            self.in_flight -= 1


class TrickleApp:
    """Answers with ``Content-Length: length`` and then one byte every ``interval``.

    Each read is quick, the whole answer is slow: only a deadline on the
    attempt as a whole stops it.
    """

    def __init__(self, length: int = 100, interval: float = 0.1) -> None:
        self.length = length
        self.interval = interval

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        gone = asyncio.Event()

        async def watch() -> None:  # stop trickling once the client has given up
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % self.length)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        try:
            for _ in range(self.length - 1):
                await send({"type": "http.response.body", "body": b" ", "more_body": True})
                await asyncio.sleep(self.interval)
                if gone.is_set():
                    return
            await send({"type": "http.response.body", "body": b" "})
        finally:
            watcher.cancel()


class ClosingRawServer(RawServer):
    """A :class:`RawServer` that also counts the connections it has closed."""

    def __init__(self, *answers: Answer) -> None:
        super().__init__(*answers)
        self.closed = 0

    def _serve(self, conn: socket.socket) -> None:
        try:
            super()._serve(conn)
        finally:
            self.closed += 1


def drops_the_second_request() -> ClosingRawServer:
    """Answers one request with keep-alive, then closes without a word when the next arrives.

    The second request has been read in full: the server may have acted on it.
    Every later request (on a new connection) is answered.
    """
    return ClosingRawServer(Answer(PROFILE_ANSWER), Answer(b"", close=True), Answer(PROFILE_ANSWER))


def closes_after_answering() -> ClosingRawServer:
    """Says keep-alive, then closes the idle connection right after its answer."""
    return ClosingRawServer(Answer(PROFILE_ANSWER, close=True))


def cuts_the_body() -> ClosingRawServer:
    """Promises 100 bytes, sends 10 and closes; the next request (new connection) is answered."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    return ClosingRawServer(Answer(head + PROFILE_BODY[:10], close=True), Answer(PROFILE_ANSWER))


def stalls_after_the_head() -> ClosingRawServer:
    """Sends the head of a 100-byte answer, then nothing: only a read timeout ends the wait."""
    return ClosingRawServer(
        Answer(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
    )


class SilentServer:
    """Accepts connections and never reads from them nor answers.

    A request larger than the socket buffers can never be written in full:
    the way to make a write time out on loopback.
    """

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self._held:
            conn.close()
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            self._held.append(conn)


class FullBacklog:
    """A listening socket that never accepts, its one-slot backlog already taken.

    On Linux a SYN to a listener whose accept queue is full is dropped (the
    client would retransmit after a second): a connect that cannot finish,
    on loopback, without routing tricks.
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(0)
        self._fillers: list[socket.socket] = []
        address = self._sock.getsockname()
        self.url = f"http://127.0.0.1:{address[1]}"
        for _ in range(8):  # the queue holds backlog + 1 (Linux); stop at the first that hangs
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.2)
            try:
                filler.connect(address)
            except TimeoutError:
                filler.close()
                return
            self._fillers.append(filler)
        raise RuntimeError("the listen backlog never filled: connect timeouts cannot be provoked")

    def __enter__(self) -> FullBacklog:
        return self

    def __exit__(self, *_: object) -> None:
        for filler in self._fillers:
            filler.close()
        self._sock.close()
