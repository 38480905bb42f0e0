"""Which requests are the first on their TCP connection.

A connection is identified by its ASGI ``scope["client"]`` (host, port) and,
under uvicorn, by the transport object behind ``receive`` so that a new
connection reusing a closed one's port still counts as new. The map is
bounded: the oldest entries are forgotten first.
"""

from __future__ import annotations

from typing import Any

LIMIT = 16_384


def transport_of(receive: Any) -> Any:
    """uvicorn's transport for this request (``receive`` is a bound method of its cycle)."""
    return getattr(getattr(receive, "__self__", None), "transport", None)


class ConnectionTracker:
    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._seen: dict[Any, Any] = {}

    def clear(self) -> None:
        self._seen.clear()

    def is_new(self, scope: dict[str, Any], receive: Any) -> bool:
        client = scope.get("client")
        if client is None:
            return False
        key = tuple(client)
        transport = transport_of(receive)
        marker = transport if transport is not None else True
        previous = self._seen.get(key)
        if previous is marker:
            return False
        if previous is not None:
            del self._seen[key]  # re-insert at the end: newest
        elif len(self._seen) >= self._limit:
            del self._seen[next(iter(self._seen))]
        self._seen[key] = marker
        return True
