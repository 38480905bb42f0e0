from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from client import AccountClient, PoolSettings, SyncAccountClient
from mock_service import create_app
from tests._live_server import LiveServer

TRANSPORTS = ("aiohttp", "httpx")


@pytest.fixture
def mock_url(live_server: Callable[..., LiveServer]) -> str:
    """A fresh mock account service (fast profile, empty store) on a real socket."""
    return live_server(create_app("fast")).url


@pytest.fixture
def seeded_url(live_server: Callable[..., LiveServer]) -> str:
    """The mock with 200 deterministic synthetic accounts."""
    return live_server(create_app("fast", accounts=200, seed=7)).url


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


class ThreadedSync:
    """Awaitable facade over :class:`SyncAccountClient`, so one test body covers both twins."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.metrics = client.metrics

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if name in {"get_metrics"} or not callable(method):
            return method

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


CLIENT_KINDS = ("async-lean", "async-aiohttp", "async-httpx", "sync-httpx")


@pytest.fixture(params=CLIENT_KINDS)
async def make_client(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    """``make_client(url, **kwargs)``: an open client of each kind, closed after the test."""
    opened: list[Any] = []
    kind, engine = request.param.split("-")

    def make(url: str, **kwargs: Any) -> Any:
        pool = dataclasses.replace(kwargs.pop("pool", None) or PoolSettings(), transport=engine)
        if kind == "sync":
            client: Any = SyncAccountClient(url, pool=pool, **kwargs)
            opened.append(client)
            return ThreadedSync(client)
        client = AccountClient(url, pool=pool, **kwargs)
        opened.append(client)
        return client

    yield make
    for client in opened:
        if isinstance(client, SyncAccountClient):
            client.close()
        else:
            await client.aclose()
