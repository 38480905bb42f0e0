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


def open_async(base_url: str, pool: PoolSettings, headers: dict[str, str]) -> AsyncTransport:
    """The async transport that ``pool`` asks for."""
    from client.transports import aiohttp_async, httpx_transport, lean, per_request

    if pool.transport == "gevent":
        raise ValueError("the gevent transport is for SyncAccountClient; use aiohttp or httpx")

    def factory() -> AsyncTransport:
        if pool.transport == "lean":
            return lean.LeanTransport(base_url, pool, headers)
        if pool.transport == "aiohttp":
            return aiohttp_async.AiohttpTransport(base_url, pool, headers)
        return httpx_transport.HttpxAsyncTransport(base_url, pool, headers)

    if pool.mode == "client_per_request":
        return per_request.AsyncPerRequest(factory)
    return factory()


def open_sync(base_url: str, pool: PoolSettings, headers: dict[str, str]) -> SyncTransport:
    """The sync transport: gevent sockets when asked, else httpx (also for ``aiohttp``)."""
    from client.transports import httpx_transport, per_request

    def factory() -> SyncTransport:
        if pool.transport == "gevent":
            from client.transports import gevent_sync

            return gevent_sync.GeventTransport(base_url, pool, headers)
        return httpx_transport.HttpxSyncTransport(base_url, pool, headers)

    if pool.mode == "client_per_request":
        return per_request.SyncPerRequest(factory)
    return factory()
