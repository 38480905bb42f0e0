"""The lean async engine: aiohttp's connection pool under the client's API.

Stock httpx spends most of a request's CPU in its own model layer (URL
parsing and merging, cookie extraction) and its pool degrades as concurrency
grows; aiohttp's C-accelerated parser and pool keep the client's cost small
enough that a benchmark measures the service. Phases come from aiohttp's
tracing signals.

aiohttp's connector does not queue first come, first served (a task that
releases a connection can take it straight back), so requests pass a FIFO
gate of ``max_connections`` (``pool.AsyncGate``, the lean pool's rules)
before aiohttp sees them: the connector never has to queue, and switching
engines changes cost, not queueing. The attempt's deadline is one
``asyncio.timeout`` around gate and request; connect and read limits are
aiohttp's ``sock_connect`` and ``sock_read``.
"""

from __future__ import annotations

import asyncio
import math
import ssl
import time
from types import SimpleNamespace
from typing import Any

import aiohttp
from yarl import URL

from client.errors import AccountTransportError
from client.execution import RawResponse
from client.metrics import Phases
from client.settings import PoolSettings
from client.transports.deadline import timed_out
from client.transports.pool import AsyncGate
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
        self._gate = AsyncGate(pool.max_connections)
        limits = pool.timeouts
        self._pool_timeout = limits.pool if limits else None
        self._connect_timeout = limits.connect if limits else None
        self._read_timeout = limits.read if limits else None
        self._timeout = aiohttp.ClientTimeout(  # the deadline is ours: no total here
            total=None,
            sock_connect=self._connect_timeout,
            sock_read=self._read_timeout,
            ceil_threshold=math.inf,  # never round a limit up to whole seconds
        )

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

    async def send(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> RawResponse:
        session = self._session or self._open()
        marks = _Marks()
        start = time.perf_counter_ns()
        gate = self._gate
        try:
            async with asyncio.timeout(timeout):
                await gate.acquire(self._pool_timeout)
                try:
                    async with session.request(
                        method,
                        URL(self._base + target, encoded=True),
                        data=body,
                        headers=_JSON_HEADERS if body is not None else None,
                        timeout=self._timeout,
                        trace_request_ctx=marks,
                        allow_redirects=False,
                        server_hostname=self._server_name,
                    ) as response:
                        headers_done = time.perf_counter_ns()
                        content = await response.read()
                        end = time.perf_counter_ns()
                        status = response.status
                        retry_after = response.headers.get("Retry-After")
                finally:
                    gate.release()
        except aiohttp.ConnectionTimeoutError as exc:
            raise timed_out("connect", self._connect_timeout or timeout) from exc
        except aiohttp.ServerTimeoutError as exc:
            raise timed_out("read", self._read_timeout or timeout) from exc
        except TimeoutError as exc:
            raise timed_out("total", timeout) from exc
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
