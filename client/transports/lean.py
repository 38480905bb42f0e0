"""The lean async engine: HTTP/1.1 over asyncio protocols (``http11``: httptools).

The account service speaks small JSON over keep-alive HTTP/1.1; a client
that does only that (no cookies, redirects, proxies or URL objects) costs a
fraction of a general one per request. The pool is the shared one
(``pool``: first come first served, httpx's limits); the phases come straight
from the protocol callbacks (write, first byte, last byte), with no tracing
layer. Time limits (``deadline``): the attempt's deadline is one
``asyncio.timeout`` around everything; the pool wait and the connect have
their own; read and write limits are watched by one timer per request, armed
only when they are set, so the default path pays nothing for them.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from urllib.parse import urlsplit

from client.errors import AccountTransportError
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings
from client.transports.deadline import timed_out
from client.transports.http11 import RequestWriter, ResponseReader, may_resend, not_resent
from client.transports.pool import OPEN, AsyncPool
from client.transports.tls import client_ssl_context, tls_failure


class _StaleConnection(Exception):
    """A reused connection was closed by the server before any byte of its answer.

    ``unprocessed``: it was found closed before the request was written.
    """

    def __init__(self, unprocessed: bool = False) -> None:
        super().__init__()
        self.unprocessed = unprocessed


class _Connection(asyncio.Protocol):
    __slots__ = (
        "_activity",
        "_loop",
        "_read_timeout",
        "_reader",
        "_timer",
        "_waiter",
        "_write_started",
        "_write_timeout",
        "_writing",
        "closed",
        "first_byte_ns",
        "got_bytes",
        "transport",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._reader = ResponseReader()
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False
        self.got_bytes = False
        self.first_byte_ns = 0

    @property
    def keep_alive(self) -> bool:
        return self._reader.keep_alive

    # -- asyncio.Protocol --------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._timer is not None:
            self._activity = time.monotonic()
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

    async def exchange(
        self, payload: bytes, read_timeout: float | None, write_timeout: float | None
    ) -> tuple[int, bytes, str | None]:
        if self.closed:
            raise _StaleConnection(unprocessed=True)
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        reader = self._reader
        reader.start()
        self.got_bytes = False
        assert self.transport is not None
        self.transport.write(payload)
        if read_timeout is not None or write_timeout is not None:
            self._watch(loop, read_timeout, write_timeout)
        try:
            await self._waiter
        finally:
            self._waiter = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        return reader.status, reader.body, reader.retry_after

    def _watch(
        self, loop: asyncio.AbstractEventLoop, read: float | None, write: float | None
    ) -> None:
        """Watch this request's write and read limits (``time.monotonic``: the loop's clock)."""
        self._loop = loop
        self._read_timeout, self._write_timeout = read, write
        self._write_started = self._activity = time.monotonic()
        self._writing = False
        self._check()

    def _check(self) -> None:
        """Fail the request if a limit ran out, else check again when the next one could.

        Writing: the request is still in the transport's buffer. Reading: the
        time since the last byte (or since the request left) counts. A limit
        may be noticed late by one check, never early.
        """
        self._timer = None
        if self._waiter is None or self._waiter.done() or self.transport is None:
            return
        now = time.monotonic()
        read, write = self._read_timeout, self._write_timeout
        if self.transport.get_write_buffer_size():
            self._writing = True
            due = now + read if read is not None else float("inf")
            if write is not None:
                if now - self._write_started >= write:
                    self._fail(timed_out("write", write))
                    return
                due = min(due, self._write_started + write)
        else:
            if self._writing:  # it left since the last check: the wait for an answer starts
                self._writing = False
                self._activity = max(self._activity, now)
            if read is None:
                return
            due = self._activity + read
            if now >= due:
                self._fail(timed_out("read", read))
                return
        self._timer = self._loop.call_at(due, self._check)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _usable(conn: _Connection, _idle: float) -> bool:
    return not conn.closed


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
        self._keepalive = pool.keepalive
        self._writer = RequestWriter(parts, headers, pool.keepalive)
        self._pool: AsyncPool[_Connection] = AsyncPool(
            max_connections=pool.max_connections,
            max_keepalive=pool.max_keepalive_connections if pool.keepalive else 0,
            keepalive_expiry=pool.keepalive_expiry,
            usable=_usable,
            close=_Connection.close,
        )
        limits = pool.timeouts
        self._pool_timeout = limits.pool if limits else None
        self._connect_timeout = limits.connect if limits else None
        self._read_timeout = limits.read if limits else None
        self._write_timeout = limits.write if limits else None

    async def send(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> RawResponse:
        start = time.perf_counter_ns()
        payload = self._writer.request(method, target, body)
        pool = self._pool
        try:
            async with asyncio.timeout(timeout):
                grant = await pool.acquire(self._pool_timeout)
                new = grant is OPEN
                conn = await self._connect() if new else grant
                sent = time.perf_counter_ns()
                while True:
                    try:
                        status, content, retry_after = await conn.exchange(
                            payload, self._read_timeout, self._write_timeout
                        )
                        break
                    except _StaleConnection as stale:
                        if new or not may_resend(method, unprocessed=stale.unprocessed):
                            pool.discard(conn)
                            raise not_resent(method, new=new) from None
                        conn.close()  # its slot is ours: re-send once on a fresh connection
                        conn, new = await self._connect(), True
                    except BaseException:
                        pool.discard(conn)
                        raise
        except TimeoutError as error:
            raise timed_out("total", timeout) from error
        except OSError as error:
            raise (
                tls_failure(error) or AccountTransportError(f"{type(error).__name__}: {error}")
            ) from error
        end = time.perf_counter_ns()
        first = conn.first_byte_ns or end
        pool.checkin(conn, self._keepalive and conn.keep_alive and not conn.closed)
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

    async def _connect(self) -> _Connection:
        """Open a connection in a slot the pool granted; the slot goes back if that fails."""
        try:
            if self._connect_timeout is None:
                return await self._open_connection()
            try:
                async with asyncio.timeout(self._connect_timeout):
                    return await self._open_connection()
            except TimeoutError:
                raise timed_out("connect", self._connect_timeout) from None
        except BaseException:
            self._pool.discard(None)
            raise

    async def _open_connection(self) -> _Connection:
        _, conn = await asyncio.get_running_loop().create_connection(
            _Connection, self._host, self._port, ssl=self._ssl, server_hostname=self._tls_name
        )
        return conn

    async def aclose(self) -> None:
        self._pool.close()
