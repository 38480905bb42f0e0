"""The seed's anti-pattern, on purpose: a whole new HTTP client for every request.

It exists so that benchmarks can show what it really costs (a new client
builds its connection pool, then connects, and shakes hands for TLS, from
scratch). The TLS context is the owning client's single one: built per
request it would add milliseconds that no careful caller pays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from client.execution import RawResponse

if TYPE_CHECKING:
    from client.transports import AsyncTransport, SyncTransport


class AsyncPerRequest:
    def __init__(self, factory: Callable[[], AsyncTransport]) -> None:
        self._factory = factory

    async def send(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> RawResponse:
        transport = self._factory()
        try:
            return await transport.send(method, target, body, timeout)
        finally:
            await transport.aclose()

    async def aclose(self) -> None:
        return None


class SyncPerRequest:
    def __init__(self, factory: Callable[[], SyncTransport]) -> None:
        self._factory = factory

    def send(self, method: str, target: str, body: bytes | None, timeout: float) -> RawResponse:
        transport = self._factory()
        try:
            return transport.send(method, target, body, timeout)
        finally:
            transport.close()

    def close(self) -> None:
        return None
