"""Stock httpx/httpcore, async and sync, with phases from httpcore's trace extension.

httpcore's pool is not first come, first served in effect: it assigns a
released connection to the oldest queued request without reserving it, so the
releasing task's next request (or a newcomer) takes it first and the woken
one queues again (the conformance suite measured waits of 3-11x the queueing
bound). Both clients therefore acquire through a FIFO gate of
``max_connections`` first (:class:`~client.transports.pool.AsyncGate`,
:class:`~client.transports.pool.ThreadGate`: the lean pool's rules), so
httpcore never has to queue.

Time limits: the pool's :class:`~client.settings.Timeouts` are httpx's own
per-phase ones. The attempt's deadline is one ``asyncio.timeout`` around the
async request; the sync client cannot be interrupted, so each of its phases
is capped at the deadline and an answer that completes after the deadline
is a ``total`` timeout all the same; its answer is read as a stream, so
the deadline is checked as each piece arrives.

Re-send: httpcore re-sends nothing; here a request whose reused connection
died before the answer's head (disconnected, reset) goes once more when
:func:`~client.transports.http11.may_resend` allows (idempotent methods:
httpx cannot tell that no byte left), on whatever connection httpcore picks.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

import httpx

from client.errors import AccountTransportError, TimeoutPhase
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings, Timeouts
from client.transports.deadline import Deadline, timed_out
from client.transports.http11 import may_resend
from client.transports.pool import AsyncGate, ThreadGate
from client.transports.tls import client_ssl_context, tls_failure

JSON = "application/json"


class PhaseTrace:
    """Collects httpcore trace events for one request and turns them into phases."""

    __slots__ = ("body_sent", "headers_done", "new_connection", "send_start", "start")

    def __init__(self) -> None:
        self.start = time.perf_counter_ns()
        self.send_start = 0
        self.body_sent = 0
        self.headers_done = 0
        self.new_connection = False

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith("send_request_headers.started"):
            self.send_start = time.perf_counter_ns()
        elif event.endswith("send_request_body.complete"):
            self.body_sent = time.perf_counter_ns()
        elif event.endswith("receive_response_headers.complete"):
            self.headers_done = time.perf_counter_ns()
        elif event == "connection.connect_tcp.started":
            self.new_connection = True

    async def acall(self, event: str, info: dict[str, Any]) -> None:
        self(event, info)

    def stale(self, exc: httpx.HTTPError) -> bool:
        """A reused connection died before the answer's head: the one case worth a re-send."""
        return isinstance(exc, _DROPPED) and not self.new_connection and not self.headers_done

    def phases(self, end_ns: int) -> Phases:
        send_start = self.send_start or self.start
        body_sent = self.body_sent or send_start
        headers_done = self.headers_done or end_ns
        return Phases(
            connect_ns=send_start - self.start,
            send_ns=body_sent - send_start,
            wait_ns=headers_done - body_sent,
            receive_ns=end_ns - headers_done,
        )


def _client_kwargs(
    base_url: str, pool: PoolSettings, headers: dict[str, str], ssl_context: ssl.SSLContext | None
) -> dict[str, Any]:
    if not pool.keepalive:
        headers = {**headers, "Connection": "close"}
    kwargs: dict[str, Any] = {
        "base_url": base_url,
        "limits": pool.to_httpx_limits(),
        "http2": pool.http2,
        "headers": headers,
        "timeout": None,
    }
    context = ssl_context or client_ssl_context(base_url, pool)
    if context is not None:
        kwargs["verify"] = context
    return kwargs


def _extensions(trace: Any, server_name: str | None) -> dict[str, Any]:
    if server_name is None:
        return {"trace": trace}
    return {"trace": trace, "sni_hostname": server_name}


_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)

_PHASES: tuple[tuple[type[httpx.TimeoutException], TimeoutPhase], ...] = (
    (httpx.PoolTimeout, "pool"),
    (httpx.ConnectTimeout, "connect"),
    (httpx.WriteTimeout, "write"),
    (httpx.ReadTimeout, "read"),
)


def _failure(
    exc: httpx.HTTPError, limits: Timeouts | None, total: float, deadline_passed: bool
) -> Exception:
    """The client's error for httpx's; a phase timeout is ``total`` when the deadline did it."""
    if isinstance(exc, httpx.TimeoutException):
        phase: TimeoutPhase = next((p for kind, p in _PHASES if isinstance(exc, kind)), "total")
        own = getattr(limits, phase, None) if phase != "total" else None
        error: Exception = (
            timed_out("total", total) if deadline_passed or own is None else timed_out(phase, own)
        )
    else:
        error = tls_failure(exc) or AccountTransportError(f"{type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _raw(
    response: httpx.Response, trace: PhaseTrace, sent: int, body: bytes | None = None
) -> RawResponse:
    return RawResponse(
        status=response.status_code,
        body=response.content if body is None else body,
        retry_after=response.headers.get("retry-after"),
        phases=trace.phases(time.perf_counter_ns()),
        bytes_sent=sent,
        new_connection=trace.new_connection,
    )


class HttpxAsyncTransport:
    def __init__(
        self,
        base_url: str,
        pool: PoolSettings,
        headers: dict[str, str],
        ssl_context: ssl.SSLContext | None = None,
        server_name: str | None = None,
    ) -> None:
        self.client = httpx.AsyncClient(**_client_kwargs(base_url, pool, headers, ssl_context))
        self._server_name = server_name
        self._limits = pool.timeouts
        self._timeout = (pool.timeouts or Timeouts()).to_httpx()  # the deadline is ours
        self._gate = AsyncGate(pool.max_connections)
        self._pool_timeout = pool.timeouts.pool if pool.timeouts is not None else None

    async def send(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> RawResponse:
        trace = PhaseTrace()
        try:
            async with asyncio.timeout(timeout):
                await self._gate.acquire(self._pool_timeout)
                try:
                    response = await self._request(method, target, body, trace)
                finally:
                    self._gate.release()
        except httpx.HTTPError as exc:
            raise _failure(exc, self._limits, timeout, deadline_passed=False) from exc
        except TimeoutError as exc:
            raise timed_out("total", timeout) from exc
        return _raw(response, trace, len(body) if body else 0)

    async def _request(
        self, method: str, target: str, body: bytes | None, trace: PhaseTrace
    ) -> httpx.Response:
        for resend in (False, True):
            try:
                return await self.client.request(
                    method,
                    target,
                    content=body,
                    headers={"Content-Type": JSON} if body is not None else None,
                    timeout=self._timeout,
                    extensions=_extensions(trace.acall, self._server_name),
                )
            except httpx.HTTPError as exc:
                if resend or not trace.stale(exc) or not may_resend(method, unprocessed=False):
                    raise
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self.client.aclose()


class HttpxSyncTransport:
    def __init__(
        self,
        base_url: str,
        pool: PoolSettings,
        headers: dict[str, str],
        ssl_context: ssl.SSLContext | None = None,
        server_name: str | None = None,
    ) -> None:
        self.client = httpx.Client(**_client_kwargs(base_url, pool, headers, ssl_context))
        self._server_name = server_name
        self._limits = pool.timeouts
        self._timeouts: dict[float, httpx.Timeout] = {}
        self._gate = ThreadGate(pool.max_connections)

    def _timeout(self, total: float) -> httpx.Timeout:
        """Each phase capped at the deadline (httpx's sync calls cannot be cut short)."""
        timeout = self._timeouts.get(total)
        if timeout is None:
            if len(self._timeouts) > 64:
                self._timeouts.clear()
            limits = self._limits or Timeouts()
            timeout = self._timeouts[total] = limits.to_httpx(total)
        return timeout

    def send(self, method: str, target: str, body: bytes | None, timeout: float) -> RawResponse:
        trace = PhaseTrace()
        deadline = Deadline(timeout, self._limits)
        self._gate.acquire(*deadline.limit("pool"))
        try:
            for resend in (False, True):
                try:
                    return self._send(method, target, body, deadline, trace)
                except httpx.HTTPError as exc:
                    if resend or not trace.stale(exc) or not may_resend(method, unprocessed=False):
                        raise _failure(exc, self._limits, timeout, deadline.passed) from exc
            raise AssertionError("unreachable")
        finally:
            self._gate.release()

    def _send(
        self, method: str, target: str, body: bytes | None, deadline: Deadline, trace: PhaseTrace
    ) -> RawResponse:
        with self.client.stream(
            method,
            target,
            content=body,
            headers={"Content-Type": JSON} if body is not None else None,
            timeout=self._timeout(deadline.total),
            extensions=_extensions(trace, self._server_name),
        ) as response:
            parts = []
            for part in response.iter_bytes():
                parts.append(part)
                if deadline.passed:
                    break
            if deadline.passed:  # each read kept its limit, but together they overran
                raise timed_out("total", deadline.total)
        return _raw(response, trace, len(body) if body else 0, b"".join(parts))

    def close(self) -> None:
        self.client.close()
