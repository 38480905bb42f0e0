"""A tiny ASGI app that answers from a script, for retry, timing and pool tests.

Each request takes the next step of the script (the last step repeats):
a status with optional headers and delay, or ``"drop"`` to close the
connection without answering. It records every arrival, so tests can check
attempts and the gaps between them as the server saw them.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from mock_service.connections import transport_of


@dataclass
class Step:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    raw: bytes | None = None


@dataclass
class Arrival:
    at: float
    method: str
    path: str
    raw_path: bytes
    headers: dict[str, str]
    client: tuple[str, int] | None
    body: bytes


PROFILE = {
    "user_id": "u1",
    "auth0_id": "u1",
    "email": "u1@example.com",
    "name": "U One",
    "subscription_status": "free",
    "credits_remaining": 1000.0,
    "credits_total": 1000.0,
    "is_active": True,
    "preferences": {},
    "created_at": "2026-01-01T00:00:00+00:00",
    "updated_at": "2026-01-01T00:00:00+00:00",
}


class ScriptedApp:
    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps) or [Step(body=PROFILE)]
        self.arrivals: list[Arrival] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def script(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.arrivals.clear()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        index = min(len(self.arrivals), len(self.steps) - 1)
        step = self.steps[index]
        self.arrivals.append(
            Arrival(
                at=time.monotonic(),
                method=scope["method"],
                path=scope["path"],
                raw_path=scope.get("raw_path", b""),
                headers={k.decode(): v.decode() for k, v in scope["headers"]},
                client=scope.get("client"),
                body=body,
            )
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if step.delay:
                await asyncio.sleep(step.delay)
            if step.drop:
                transport_of(receive).abort()
                for _ in range(20):  # let uvicorn see the loss before the app returns
                    await asyncio.sleep(0)
                return
            payload = step.raw if step.raw is not None else orjson.dumps(step.body or {})
            headers = [(b"content-type", b"application/json")]
            headers += [(k.encode(), v.encode()) for k, v in step.headers.items()]
            await send({"type": "http.response.start", "status": step.status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
        finally:
            self.in_flight -= 1

    def gaps(self) -> list[float]:
        times = [a.at for a in self.arrivals]
        return [b - a for a, b in itertools.pairwise(times)]
