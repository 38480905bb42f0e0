"""One pure ASGI middleware applying the profile, auth, body limits and stats.

Runs before FastAPI routing (a single layer, not BaseHTTPMiddleware) so the
``fast`` profile costs a few dict operations per request. Only API paths
(``/api/...``) get faults, service time, capacity, auth and stats; health,
docs and ``/_mock/`` are left alone except for the new-connection cost,
which applies to the first request on any connection outside ``/_mock/``.
Every body, ``/_mock/`` included, is read whole first and refused when it
is too large (413) or nested too deeply to parse safely (422, see ``nesting``).
"""

from __future__ import annotations

import asyncio
import hmac
import time
from typing import Any

import orjson

from mock_service import fast_lane, nesting
from mock_service.connections import transport_of
from mock_service.endpoints import classify
from mock_service.faults import Fault
from mock_service.state import MockState

Scope = dict[str, Any]
_JSON = (b"content-type", b"application/json")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_TOO_DEEP = [
    {
        "type": "json_too_deep",
        "loc": ["body"],
        "msg": f"JSON body nested deeper than {nesting.MAX_DEPTH} levels",
    }
]


class DroppedConnection(Exception):
    """Raised only when the server offers no transport to abort (not uvicorn)."""


async def _respond(send: Any, status: int, payload: Any, headers: tuple = ()) -> None:
    body = orjson.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [_JSON, (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drop(receive: Any) -> None:
    """Abort the TCP connection without a response (the client sees a reset)."""
    transport = transport_of(receive)
    if transport is None:
        raise DroppedConnection
    transport.abort()
    cycle = receive.__self__
    for _ in range(20):  # let connection_lost run so uvicorn does not answer 500
        await asyncio.sleep(0)
        if getattr(cycle, "disconnected", True):
            break


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


class ProfileMiddleware:
    def __init__(self, app: Any, state: MockState) -> None:
        self.app = app
        self.state = state

    def _authorized(self, scope: Scope) -> bool:
        token = self.state.require_token
        if token is None:
            return True
        value = _header(scope, b"authorization")
        if value is None:
            return False
        scheme, _, given = value.decode("latin-1").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )

    async def _buffered(self, scope: Scope, receive: Any) -> tuple[Any, int | None]:
        """(receive replaying the whole body, None) or (None, 413/422/0): too large/deep/gone."""
        limit = self.state.body_limit
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    return None, 413
            except ValueError:
                return None, 413
        if scope["method"] not in _BODY_METHODS:
            return receive, None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None, 0
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                return None, 413
            chunks.append(body)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if nesting.too_deep(body):
            return None, 422
        replay: dict[str, Any] | None = {"type": "http.request", "body": body, "more_body": False}

        async def replaying() -> dict[str, Any]:
            nonlocal replay
            if replay is not None:
                message, replay = replay, None
                return message
            return await receive()

        return replaying, None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/_mock/"):
            app_receive, refusal = await self._buffered(scope, receive)
            if app_receive is None:
                await self._refuse(refusal, send)
                return
            await self.app(scope, app_receive, send)
            return
        state = self.state
        stats = state.stats
        profile = state.profile
        new_connection = state.connections.is_new(scope, receive)
        connect_ms = profile.new_connection_ms if new_connection else 0.0
        if new_connection:
            stats.connections_opened += 1
        endpoint = classify(scope["method"], path)
        if endpoint is None:
            if connect_ms:
                await asyncio.sleep(connect_ms / 1000)
            await self.app(scope, receive, send)
            return

        es = stats.endpoint(endpoint)
        es.requests += 1
        status_counts = es.status

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                code = str(message["status"])
                status_counts[code] = status_counts.get(code, 0) + 1
            await send(message)

        if connect_ms:
            es.connect.add(connect_ms)
            await asyncio.sleep(connect_ms / 1000)
        if not self._authorized(scope):
            await _respond(
                counting_send,
                401,
                {"detail": "Not authenticated: missing or invalid bearer token"},
                ((b"www-authenticate", b"Bearer"),),
            )
            return
        app_receive, refusal = await self._buffered(scope, receive)
        if app_receive is None:
            await self._refuse(refusal, counting_send)
            return

        injector = state.injector
        fault = injector.fault()
        if fault is not Fault.NONE and fault is not Fault.SLOW:
            await self._fault(fault, es, receive, counting_send)
            return
        service_ms = injector.slow_ms if fault is Fault.SLOW else injector.service_ms(endpoint)
        semaphore = state.semaphore
        if semaphore is None:
            await self._service(scope, app_receive, counting_send, endpoint, es, service_ms)
            return
        loop = asyncio.get_running_loop()
        queued = loop.time()
        async with semaphore:
            es.queue.add((loop.time() - queued) * 1000)
            await self._service(scope, app_receive, counting_send, endpoint, es, service_ms)

    async def _refuse(self, refusal: int | None, send: Any) -> None:
        """Answer a body ``_buffered`` turned down (nothing to say when the client is gone)."""
        if refusal == 413:
            detail = f"Request body too large (limit {self.state.body_limit} bytes)"
            await _respond(send, 413, {"detail": detail}, ((b"connection", b"close"),))
        elif refusal == 422:
            await _respond(send, 422, {"detail": _TOO_DEEP})

    async def _service(
        self, scope: Scope, receive: Any, send: Any, endpoint: str, es: Any, service_ms: float
    ) -> None:
        """The injected service time, stretched by contention, then the answer.

        The statistics keep both the time drawn from the profile
        (``injected_ms``) and the time actually slept (``slept_ms``): timers
        wake late (a millisecond, or more on a busy server), and ground truth
        for a client's measurement is what it could have seen.
        """
        state = self.state
        if service_ms and (state.profile.contention or state.profile.coherency):
            service_ms *= state.profile.slowdown(state.in_service + 1)
        es.injected.add(service_ms)
        state.in_service += 1
        try:
            if service_ms:
                started = time.perf_counter()
                await asyncio.sleep(service_ms / 1000)
                es.slept.add((time.perf_counter() - started) * 1000)
            else:
                es.slept.add(0.0)
            await self._serve(scope, receive, send, endpoint)
        finally:
            state.in_service -= 1

    async def _serve(self, scope: Scope, receive: Any, send: Any, endpoint: str) -> None:
        """The fast lane for hot reads, FastAPI for everything else."""
        state = self.state
        if state.fast_lane:
            answer = fast_lane.answer(state.store, endpoint, scope["path"])
            if answer is not None:
                status, body = answer
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(b"content-length", str(len(body)).encode()), _JSON],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _fault(self, fault: Fault, es: Any, receive: Any, send: Any) -> None:
        if fault is Fault.DROP:
            es.status["dropped"] = es.status.get("dropped", 0) + 1
            await _drop(receive)
            return
        retry = str(self.state.profile.faults.retry_after_s).encode()
        if fault is Fault.ERROR_503:
            payload = {"detail": "Service temporarily unavailable (injected)"}
            await _respond(send, 503, payload, ((b"retry-after", retry),))
        else:
            payload = {"detail": "Too many requests (injected)"}
            await _respond(send, 429, payload, ((b"retry-after", retry),))
