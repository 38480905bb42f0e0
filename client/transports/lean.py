"""The lean async engine: HTTP/1.1 over asyncio protocols (``http11``: httptools).

The account service speaks small JSON over keep-alive HTTP/1.1; a client
that does only that (no cookies, redirects, proxies or URL objects) costs a
fraction of a general one per request. The pool is a deque of idle
connections and a cap on open ones; the phases come straight from the
protocol callbacks (write, first byte, last byte), with no tracing layer.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from urllib.parse import urlsplit

from client.errors import AccountTimeoutError, AccountTransportError
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings
from client.transports.http11 import RequestWriter, ResponseReader
from client.transports.tls import client_ssl_context, tls_failure


class _StaleConnection(Exception):
    """A reused connection was closed by the server before it answered."""


class _Connection(asyncio.Protocol):
    __slots__ = (
        "_reader",
        "_waiter",
        "closed",
        "first_byte_ns",
        "got_bytes",
        "last_used",
        "transport",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._reader = ResponseReader()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.got_bytes = False
        self.first_byte_ns = 0
        self.last_used = time.monotonic()

    @property
    def keep_alive(self) -> bool:
        return self._reader.keep_alive

    # -- asyncio.Protocol --------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self.got_bytes:
            self.got_bytes = True
            self.first_byte_ns = time.perf_counter_ns()
        try:
            done = self._reader.feed(data)
        except AccountTransportError as error:
            self._fail(error)
            return
        if done and self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            if exc is not None and tls_failure(exc) is not None:
                self._fail(exc)  # e.g. the server refused our (missing) client certificate
            elif not self.got_bytes:
                self._fail(_StaleConnection())
            elif self._reader.close():  # an answer delimited by the close itself
                self._waiter.set_result(None)
            else:
                self._fail(AccountTransportError("connection closed in the middle of an answer"))

    # -- use ---------------------------------------------------------------------
    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
        if self.transport is not None:
            self.transport.close()
        self.closed = True

    async def exchange(self, payload: bytes) -> tuple[int, bytes, str | None]:
        self._waiter = asyncio.get_running_loop().create_future()
        reader = self._reader
        reader.start()
        self.got_bytes = False
        assert self.transport is not None
        self.transport.write(payload)
        try:
            await self._waiter
        finally:
            self._waiter = None
        return reader.status, reader.body, reader.retry_after

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class LeanTransport:
    """A bounded pool of keep-alive HTTP/1.1 connections to one origin, over TLS for https.

    ``ssl_context`` is the client's (built from ``pool`` when not given);
    ``server_name`` the name TLS sends and checks, when the URL names a
    mapped address.
    """

    def __init__(
        self,
        base_url: str,
        pool: PoolSettings,
        headers: dict[str, str],
        ssl_context: ssl.SSLContext | None = None,
        server_name: str | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the lean transport needs an http(s) URL, not {base_url!r}")
        https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if https else 80)
        self._ssl = (ssl_context or client_ssl_context(base_url, pool)) if https else None
        self._tls_name = (server_name or self._host) if https else None
        self._pool = pool
        self._keepalive = pool.keepalive
        self._writer = RequestWriter(parts, headers, pool.keepalive)
        self._idle: collections.deque[_Connection] = collections.deque()
        self._open = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed = False

    async def send(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> RawResponse:
        start = time.perf_counter_ns()
        payload = self._writer.request(method, target, body)
        try:
            async with asyncio.timeout(timeout):
                for _ in range(2):  # a stale keep-alive connection gets one fresh retry
                    conn, new = await self._acquire()
                    sent = time.perf_counter_ns()
                    try:
                        status, content, retry_after = await conn.exchange(payload)
                    except _StaleConnection:
                        self._discard(conn)
                        if new:
                            raise AccountTransportError(
                                "connection closed before any answer"
                            ) from None
                        continue
                    except BaseException:
                        self._discard(conn)
                        raise
                    break
                else:
                    raise AccountTransportError("connection closed before any answer")
        except TimeoutError as error:
            raise AccountTimeoutError(f"timed out after {timeout} s") from error
        except OSError as error:
            raise (
                tls_failure(error) or AccountTransportError(f"{type(error).__name__}: {error}")
            ) from error
        end = time.perf_counter_ns()
        first = conn.first_byte_ns or end
        self._release(conn)
        return RawResponse(
            status=status,
            body=content,
            retry_after=retry_after,
            phases=Phases(
                connect_ns=sent - start, send_ns=0, wait_ns=first - sent, receive_ns=end - first
            ),
            bytes_sent=len(body) if body else 0,
            new_connection=new,
        )

    async def _acquire(self) -> tuple[_Connection, bool]:
        expiry = self._pool.keepalive_expiry
        while True:
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed and time.monotonic() - conn.last_used < expiry:
                    return conn, False
                self._discard(conn)
            if self._open < self._pool.max_connections:
                self._open += 1
                try:
                    _, conn = await asyncio.get_running_loop().create_connection(
                        _Connection,
                        self._host,
                        self._port,
                        ssl=self._ssl,
                        server_hostname=self._tls_name,
                    )
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
                return conn, True
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()

    def _release(self, conn: _Connection) -> None:
        reusable = (
            self._keepalive
            and conn.keep_alive
            and not conn.closed
            and not self._closed
            and len(self._idle) < self._pool.max_keepalive_connections
        )
        if reusable:
            conn.last_used = time.monotonic()
            self._idle.append(conn)
            self._wake()
        else:
            self._discard(conn)

    def _discard(self, conn: _Connection) -> None:
        conn.close()
        self._open -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
            self._open -= 1
