"""Stock httpx/httpcore, async and sync, with phases from httpcore's trace extension."""

from __future__ import annotations

import time
from typing import Any

import httpx

from client.errors import AccountTimeoutError, AccountTransportError
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings

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


def _client_kwargs(base_url: str, pool: PoolSettings, headers: dict[str, str]) -> dict[str, Any]:
    if not pool.keepalive:
        headers = {**headers, "Connection": "close"}
    return {
        "base_url": base_url,
        "limits": pool.to_httpx_limits(),
        "http2": pool.http2,
        "headers": headers,
        "timeout": None,
    }


def _failure(exc: httpx.HTTPError) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        error: Exception = AccountTimeoutError(f"timed out: {type(exc).__name__}")
    else:
        error = AccountTransportError(f"{type(exc).__name__}: {exc}")
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
    def __init__(self, base_url: str, pool: PoolSettings, headers: dict[str, str]) -> None:
        self.client = httpx.AsyncClient(**_client_kwargs(base_url, pool, headers))

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
                extensions={"trace": trace.acall},
            )
        except httpx.HTTPError as exc:
            raise _failure(exc) from exc
        return _raw(response, trace, len(body) if body else 0)

    async def aclose(self) -> None:
        await self.client.aclose()


class HttpxSyncTransport:
    def __init__(self, base_url: str, pool: PoolSettings, headers: dict[str, str]) -> None:
        self.client = httpx.Client(**_client_kwargs(base_url, pool, headers))

    def send(self, method: str, target: str, body: bytes | None, timeout: float) -> RawResponse:
        trace = PhaseTrace()
        try:
            response = self.client.request(
                method,
                target,
                content=body,
                headers={"Content-Type": JSON} if body is not None else None,
                timeout=timeout,
                extensions={"trace": trace},
            )
        except httpx.HTTPError as exc:
            raise _failure(exc) from exc
        return _raw(response, trace, len(body) if body else 0)

    def close(self) -> None:
        self.client.close()
