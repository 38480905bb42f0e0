"""The sync engine for Locust: HTTP/1.1 on gevent sockets.

Under Locust every user is a greenlet; stock httpx spends most of a request
in pure-Python parsing and pool bookkeeping, so a locustfile on it reaches
about a quarter of ``FastHttpUser``'s rate. This transport keeps the client's
API and speaks the lean engine's dialect (``http11``: pre-encoded request
heads, httptools' C parser) on cooperative gevent sockets, with the lean
engine's pool (``pool``: first come first served, httpx's limits) so that
every :class:`~client.settings.PoolSettings` limit keeps its meaning, and the
phases of each request timed where they happen. Every blocking step gets the
limit :class:`~client.transports.deadline.Deadline` gives it: its phase's
timeout, cut to what is left of the attempt's deadline.
"""

from __future__ import annotations

import errno
import select
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import gevent.socket
from gevent.ssl import SSLContext as SSLContext

from client.errors import AccountTransportError
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings
from client.transports.deadline import Deadline
from client.transports.http11 import RequestWriter, ResponseReader, may_resend, not_resent
from client.transports.pool import OPEN, GeventPool
from client.transports.tls import client_ssl_context, tls_failure

BLOCK = 16 * 1024
_DROPPED = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})

if TYPE_CHECKING:  # gevent ships no types; its socket has the standard one's methods
    from socket import socket as Socket
else:
    Socket = gevent.socket.socket


class _Stale(Exception):
    """A reused connection was closed by the server before any byte of the answer.

    ``unprocessed``: its first write was refused, so no byte of the request left.
    """

    def __init__(self, unprocessed: bool = False) -> None:
        super().__init__()
        self.unprocessed = unprocessed


def _usable(sock: Socket, _idle: float) -> bool:
    """An idle keep-alive socket must not be readable: readable means closed (or junk).

    Checked on every reuse (one non-blocking select): a POST written to a
    socket the server already closed could not be re-sent.
    """
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
        self._address = (parts.hostname, parts.port or (443 if https else 80))
        self._tls = (
            (ssl_context or client_ssl_context(base_url, pool, SSLContext)) if https else None
        )
        self._server_name = server_name or parts.hostname
        self._writer = RequestWriter(parts, headers, pool.keepalive)
        self._keepalive = pool.keepalive
        self._timeouts = pool.timeouts
        self._pool: GeventPool[Socket] = GeventPool(
            max_connections=pool.max_connections,
            max_keepalive=pool.max_keepalive_connections if pool.keepalive else 0,
            keepalive_expiry=pool.keepalive_expiry,
            usable=_usable,
            close=Socket.close,
        )

    def send(self, method: str, target: str, body: bytes | None, timeout: float) -> RawResponse:
        """One request; re-sent once on a fresh connection if a reused one was dead."""
        request = self._writer.request(method, target, body)
        deadline = Deadline(timeout, self._timeouts)
        try:
            return self._exchange(method, request, deadline, len(body) if body else 0)
        except OSError as exc:
            raise (
                tls_failure(exc) or AccountTransportError(f"{type(exc).__name__}: {exc}")
            ) from exc

    def _exchange(self, method: str, request: bytes, deadline: Deadline, sent: int) -> RawResponse:
        start = time.perf_counter_ns()
        pool = self._pool
        grant = pool.acquire(*deadline.limit("pool"))
        new = grant is OPEN
        sock = self._connect(deadline) if new else grant
        acquired = time.perf_counter_ns()
        while True:
            try:
                written, first = self._send_request(sock, request, deadline, new)
                break
            except _Stale as stale:
                if new or not may_resend(method, unprocessed=stale.unprocessed):
                    pool.discard(sock)
                    raise not_resent(method, new=new) from None
                sock.close()  # its slot is ours: re-send once on a fresh connection
                sock, new = self._connect(deadline), True
            except BaseException:
                pool.discard(sock)
                raise
        first_byte = time.perf_counter_ns()
        reader = ResponseReader()
        try:
            data = first
            while not reader.feed(data):
                data = self._recv(sock, deadline)
                if not data:
                    if reader.close():  # an answer delimited by the close itself
                        break
                    raise AccountTransportError("connection closed in the middle of an answer")
        except BaseException:
            pool.discard(sock)
            raise
        end = time.perf_counter_ns()
        pool.checkin(sock, self._keepalive and reader.keep_alive)
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

    def _connect(self, deadline: Deadline) -> Socket:
        """Open a socket in a slot the pool granted; the slot goes back on failure.

        TCP connect and TLS handshake each get the connect limit, as in httpx.
        """
        try:
            limit, phase = deadline.limit("connect")
            try:
                sock = gevent.socket.create_connection(self._address, timeout=limit)
            except TimeoutError:
                raise deadline.expired(phase) from None
            sock.setsockopt(gevent.socket.IPPROTO_TCP, gevent.socket.TCP_NODELAY, 1)
            if self._tls is None:
                return sock
            try:
                limit, phase = deadline.limit("connect")
                sock.settimeout(limit)
                return self._tls.wrap_socket(sock, server_hostname=self._server_name)
            except TimeoutError:
                sock.close()
                raise deadline.expired(phase) from None
            except BaseException:
                sock.close()
                raise
        except BaseException:
            self._pool.discard(None)
            raise

    def _send_request(
        self, sock: Socket, request: bytes, deadline: Deadline, new: bool
    ) -> tuple[int, bytes]:
        """Write the request and wait for the first bytes of the answer: (written_ns, bytes)."""
        limit, phase = deadline.limit("write")
        sock.settimeout(limit)
        try:
            try:
                done = sock.send(request)
            except OSError as exc:
                if not new and exc.errno in _DROPPED:
                    raise _Stale(unprocessed=True) from exc  # refused before any byte left
                raise
            if done < len(request):
                sock.sendall(memoryview(request)[done:])
        except TimeoutError:
            raise deadline.expired(phase) from None
        except OSError as exc:
            if not new and exc.errno in _DROPPED:
                raise _Stale from exc
            raise
        written = time.perf_counter_ns()
        try:
            first = self._recv(sock, deadline)
        except OSError as exc:
            if not new and exc.errno in _DROPPED:
                raise _Stale from exc
            raise
        if not first:
            if not new:
                raise _Stale
            raise AccountTransportError("connection closed before an answer")
        return written, first

    @staticmethod
    def _recv(sock: Socket, deadline: Deadline) -> bytes:
        limit, phase = deadline.limit("read")
        sock.settimeout(limit)
        try:
            return sock.recv(BLOCK)
        except TimeoutError:
            raise deadline.expired(phase) from None

    def close(self) -> None:
        self._pool.close()
