"""The lean async engine: aiohttp's connection pool under the client's API.

Stock httpx spends most of a request's CPU in its own model layer (URL
parsing and merging, cookie extraction) and its pool degrades as concurrency
grows; aiohttp's C-accelerated parser and pool keep the client's cost small
enough that a benchmark measures the service. Phases come from aiohttp's
tracing signals.
"""

from __future__ import annotations

import ssl
import time
from types import SimpleNamespace
from typing import Any

import aiohttp
from yarl import URL

from client.errors import AccountTimeoutError, AccountTransportError
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings
from client.transports.tls import client_ssl_context, tls_failure

_JSON_HEADERS = {"Content-Type": "application/json"}


class _Marks:
    __slots__ = ("body_sent", "headers_sent", "new_connection")

    def __init__(self) -> None:
        self.headers_sent = 0
        self.body_sent = 0
        self.new_connection = False


async def _on_headers_sent(_s: Any, ctx: SimpleNamespace, _p: Any) -> None:
    ctx.trace_request_ctx.headers_sent = time.perf_counter_ns()


async def _on_chunk_sent(_s: Any, ctx: SimpleNamespace, _p: Any) -> None:
    ctx.trace_request_ctx.body_sent = time.perf_counter_ns()


async def _on_connection_created(_s: Any, ctx: SimpleNamespace, _p: Any) -> None:
    ctx.trace_request_ctx.new_connection = True


def _trace_config() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_request_headers_sent.append(_on_headers_sent)
    config.on_request_chunk_sent.append(_on_chunk_sent)
    config.on_connection_create_start.append(_on_connection_created)
    return config


class AiohttpTransport:
    def __init__(
        self,
        base_url: str,
        pool: PoolSettings,
        headers: dict[str, str],
        ssl_context: ssl.SSLContext | None = None,
        server_name: str | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._pool = pool
        self._headers = headers
        self._ssl = ssl_context or client_ssl_context(base_url, pool)
        self._server_name = server_name
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        pool = self._pool
        connector = aiohttp.TCPConnector(
            limit=pool.max_connections,
            limit_per_host=0,
            force_close=not pool.keepalive,
            keepalive_timeout=pool.keepalive_expiry if pool.keepalive else None,
            enable_cleanup_closed=False,
            ssl=self._ssl if self._ssl is not None else True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=self._headers,
            trace_configs=[_trace_config()],
            auto_decompress=True,
            raise_for_status=False,
        )
        return self._session

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            if len(self._timeouts) > 64:
                self._timeouts.clear()
            timeout = self._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds)
        return timeout

    async def send(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> RawResponse:
        session = self._session or self._open()
        marks = _Marks()
        start = time.perf_counter_ns()
        try:
            async with session.request(
                method,
                URL(self._base + target, encoded=True),
                data=body,
                headers=_JSON_HEADERS if body is not None else None,
                timeout=self._timeout(timeout),
                trace_request_ctx=marks,
                allow_redirects=False,
                server_hostname=self._server_name,
            ) as response:
                headers_done = time.perf_counter_ns()
                content = await response.read()
                end = time.perf_counter_ns()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError as exc:
            raise AccountTimeoutError(f"timed out after {timeout} s") from exc
        except aiohttp.ClientError as exc:
            raise (
                tls_failure(exc) or AccountTransportError(f"{type(exc).__name__}: {exc}")
            ) from exc
        sent = marks.headers_sent or start
        body_sent = max(marks.body_sent, sent)
        return RawResponse(
            status=status,
            body=content,
            retry_after=retry_after,
            phases=Phases(
                connect_ns=sent - start,
                send_ns=body_sent - sent,
                wait_ns=headers_done - body_sent,
                receive_ns=end - headers_done,
            ),
            bytes_sent=len(body) if body else 0,
            new_connection=marks.new_connection,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
