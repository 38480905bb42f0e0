"""The sync engine for Locust: HTTP/1.1 on gevent sockets.

Under Locust every user is a greenlet; stock httpx spends most of a request
in pure-Python parsing and pool bookkeeping, so a locustfile on it reaches
about a quarter of ``FastHttpUser``'s rate. This transport keeps the client's
API and speaks the lean engine's dialect (``http11``: pre-encoded request
heads, httptools' C parser) on cooperative gevent sockets, with a small pool
of its own so that every :class:`~client.settings.PoolSettings` limit keeps
its meaning, and the phases of each request timed where they happen.
"""

from __future__ import annotations

import errno
import select
import time
from urllib.parse import urlsplit

import gevent.lock
import gevent.socket
from gevent.ssl import SSLContext

from client.errors import AccountTimeoutError, AccountTransportError
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings
from client.transports.http11 import RequestWriter, ResponseReader
from client.transports.tls import client_ssl_context, tls_failure

BLOCK = 16 * 1024
#: RFC 9110 9.2.2: only these may be re-sent after the connection died under them
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: a pooled socket idle for longer than this is checked for a close before reuse
CHECK_IDLE_AFTER = 1.0
_DROPPED = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})


class _Stale(Exception):
    """A reused connection was closed by the server before any byte of the answer."""


class _Pool:
    """Keep-alive sockets to one origin, bounded as ``PoolSettings`` says.

    ``max_connections`` sockets at most (callers wait for a slot, up to their
    timeout), at most ``max_keepalive_connections`` kept idle, none kept past
    ``keepalive_expiry``. A socket goes back with ``return_socket`` after a
    complete keep-alive answer, else ``release_socket`` closes it.
    """

    def __init__(
        self,
        host: str,
        port: int,
        pool: PoolSettings,
        tls: SSLContext | None,
        server_name: str,
    ) -> None:
        self._address = (host, port)
        self._server_hostname = server_name
        self._slots = gevent.lock.BoundedSemaphore(pool.max_connections)
        self._idle: list[tuple[gevent.socket.socket, float]] = []  # LIFO: warmest first
        self._max_idle = pool.max_keepalive_connections if pool.keepalive else 0
        self._expiry = pool.keepalive_expiry
        self._tls = tls
        self._closed = False

    def acquire(self, timeout: float) -> tuple[gevent.socket.socket, bool]:
        """A connected socket and whether it is new; raises on timeout or failure."""
        if not self._slots.acquire(timeout=timeout):
            raise AccountTimeoutError(f"no pooled connection free within {timeout} s")
        try:
            now = time.monotonic()
            while self._idle:
                sock, since = self._idle.pop()
                idle = now - since
                if idle < self._expiry and (idle < CHECK_IDLE_AFTER or _still_open(sock)):
                    return sock, False
                sock.close()
            return self._connect(timeout), True
        except BaseException:
            self._slots.release()
            raise

    def _connect(self, timeout: float) -> gevent.socket.socket:
        sock = gevent.socket.create_connection(self._address, timeout=timeout)
        sock.setsockopt(gevent.socket.IPPROTO_TCP, gevent.socket.TCP_NODELAY, 1)
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=self._server_hostname)
            except BaseException:
                sock.close()
                raise
        return sock

    def return_socket(self, sock: gevent.socket.socket) -> None:
        if self._closed or len(self._idle) >= self._max_idle:
            sock.close()
        else:
            self._idle.append((sock, time.monotonic()))
        self._slots.release()

    def release_socket(self, sock: gevent.socket.socket) -> None:
        sock.close()
        self._slots.release()

    def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for sock, _ in idle:
            sock.close()


def _still_open(sock: gevent.socket.socket) -> bool:
    """An idle keep-alive socket must not be readable: readable means closed (or junk)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0.0)
    except (OSError, ValueError):
        return False
    return not readable


class GeventTransport:
    """One origin, one pool; ``send`` blocks only the calling greenlet.

    ``ssl_context`` (a gevent :class:`SSLContext`) is the client's, built from
    ``pool`` when not given; ``server_name`` is the name TLS sends and checks
    when the URL names a mapped address.
    """

    def __init__(
        self,
        base_url: str,
        pool: PoolSettings,
        headers: dict[str, str],
        ssl_context: SSLContext | None = None,
        server_name: str | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the gevent transport needs an http(s) URL, not {base_url!r}")
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        tls = (ssl_context or client_ssl_context(base_url, pool, SSLContext)) if https else None
        self._writer = RequestWriter(parts, headers, pool.keepalive)
        self._pool = _Pool(parts.hostname, port, pool, tls, server_name or parts.hostname)

    def send(self, method: str, target: str, body: bytes | None, timeout: float) -> RawResponse:
        """One request; re-sent once on a fresh connection if a reused one was dead."""
        request = self._writer.request(method, target, body)
        try:
            try:
                return self._exchange(method, request, timeout, len(body) if body else 0)
            except _Stale:
                if method not in IDEMPOTENT:
                    raise AccountTransportError(
                        "connection closed before an answer (not re-sent: not idempotent)"
                    ) from None
                return self._exchange(method, request, timeout, len(body) if body else 0)
        except _Stale:
            raise AccountTransportError("connection closed before an answer") from None
        except TimeoutError as exc:
            raise AccountTimeoutError(f"timed out: {type(exc).__name__}") from exc
        except OSError as exc:
            raise (
                tls_failure(exc) or AccountTransportError(f"{type(exc).__name__}: {exc}")
            ) from exc

    def _exchange(self, method: str, request: bytes, timeout: float, sent: int) -> RawResponse:
        start = time.perf_counter_ns()
        sock, new = self._pool.acquire(timeout)
        acquired = time.perf_counter_ns()
        try:
            sock.settimeout(timeout)
            sock.sendall(request)
            written = time.perf_counter_ns()
            first = sock.recv(BLOCK)
        except OSError as exc:
            self._pool.release_socket(sock)
            if not new and exc.errno in _DROPPED:
                raise _Stale from exc
            raise
        except BaseException:
            self._pool.release_socket(sock)
            raise
        if not first:
            self._pool.release_socket(sock)
            if not new:
                raise _Stale
            raise AccountTransportError("connection closed before an answer")
        first_byte = time.perf_counter_ns()
        reader = ResponseReader()
        try:
            data = first
            while not reader.feed(data):
                data = sock.recv(BLOCK)
                if not data:
                    if reader.close():  # an answer delimited by the close itself
                        break
                    raise AccountTransportError("connection closed in the middle of an answer")
        except BaseException:
            self._pool.release_socket(sock)
            raise
        end = time.perf_counter_ns()
        if reader.keep_alive:
            self._pool.return_socket(sock)
        else:
            self._pool.release_socket(sock)
        return RawResponse(
            status=reader.status,
            body=reader.body,
            retry_after=reader.retry_after,
            phases=Phases(
                connect_ns=acquired - start,
                send_ns=written - acquired,
                wait_ns=first_byte - written,
                receive_ns=end - first_byte,
            ),
            bytes_sent=sent,
            new_connection=new,
        )

    def close(self) -> None:
        self._pool.close()
