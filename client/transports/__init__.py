"""Transports: the only code that differs between engines and between async and sync.

Each transport sends one request (method, encoded target, body) and returns
a :class:`~client.execution.RawResponse`, raising
:class:`~client.errors.AccountTimeoutError` or
:class:`~client.errors.AccountTransportError` when no answer came.
"""

from __future__ import annotations

from typing import Protocol

from client.execution import RawResponse
from client.settings import PoolSettings


class AsyncTransport(Protocol):
    async def send(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> RawResponse: ...

    async def aclose(self) -> None: ...


class SyncTransport(Protocol):
    def send(self, method: str, target: str, body: bytes | None, timeout: float) -> RawResponse: ...

    def close(self) -> None: ...


def open_async(
    base_url: str,
    pool: PoolSettings,
    headers: dict[str, str],
    *,
    server_name: str | None = None,
) -> AsyncTransport:
    """The async transport that ``pool`` asks for.

    ``server_name`` is the host name TLS sends (SNI) and checks the
    certificate against, when ``base_url`` names a mapped address instead.
    """
    from client.transports import aiohttp_async, httpx_transport, lean, per_request, tls

    if pool.transport == "gevent":
        raise ValueError("the gevent transport is for SyncAccountClient; use aiohttp or httpx")
    context = tls.client_ssl_context(base_url, pool)  # once per client, shared by every engine

    def factory() -> AsyncTransport:
        if pool.transport == "lean":
            return lean.LeanTransport(base_url, pool, headers, context, server_name)
        if pool.transport == "aiohttp":
            return aiohttp_async.AiohttpTransport(base_url, pool, headers, context, server_name)
        return httpx_transport.HttpxAsyncTransport(base_url, pool, headers, context, server_name)

    if pool.mode == "client_per_request":
        return per_request.AsyncPerRequest(factory)
    return factory()


def open_sync(
    base_url: str,
    pool: PoolSettings,
    headers: dict[str, str],
    *,
    server_name: str | None = None,
) -> SyncTransport:
    """The sync transport: gevent sockets when asked, else httpx (also for ``aiohttp``)."""
    from client.transports import httpx_transport, per_request, tls

    if pool.transport == "gevent":
        from client.transports import gevent_sync

        context = tls.client_ssl_context(base_url, pool, gevent_sync.SSLContext)

        def factory() -> SyncTransport:
            return gevent_sync.GeventTransport(base_url, pool, headers, context, server_name)

    else:
        context = tls.client_ssl_context(base_url, pool)

        def factory() -> SyncTransport:
            return httpx_transport.HttpxSyncTransport(base_url, pool, headers, context, server_name)

    if pool.mode == "client_per_request":
        return per_request.SyncPerRequest(factory)
    return factory()
