"""Stock httpx/httpcore, async and sync, with phases from httpcore's trace extension."""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpx

from client.errors import AccountTimeoutError, AccountTransportError
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings
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


def _failure(exc: httpx.HTTPError) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        error: Exception = AccountTimeoutError(f"timed out: {type(exc).__name__}")
    else:
        error = tls_failure(exc) or AccountTransportError(f"{type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _raw(response: httpx.Response, trace: PhaseTrace, sent: int) -> RawResponse:
    return RawResponse(
        status=response.status_code,
        body=response.content,
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

    async def send(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> RawResponse:
        trace = PhaseTrace()
        try:
            response = await self.client.request(
                method,
                target,
                content=body,
                headers={"Content-Type": JSON} if body is not None else None,
                timeout=timeout,
                extensions=_extensions(trace.acall, self._server_name),
            )
        except httpx.HTTPError as exc:
            raise _failure(exc) from exc
        return _raw(response, trace, len(body) if body else 0)

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

    def send(self, method: str, target: str, body: bytes | None, timeout: float) -> RawResponse:
        trace = PhaseTrace()
        try:
            response = self.client.request(
                method,
                target,
                content=body,
                headers={"Content-Type": JSON} if body is not None else None,
                timeout=timeout,
                extensions=_extensions(trace, self._server_name),
            )
        except httpx.HTTPError as exc:
            raise _failure(exc) from exc
        return _raw(response, trace, len(body) if body else 0)

    def close(self) -> None:
        self.client.close()
