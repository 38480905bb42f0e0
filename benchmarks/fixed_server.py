"""A raw ASGI server that answers every request with one ~300-byte profile.

It is the "same server" for client benchmarks: so cheap that the client,
not the server, is what gets measured. Run:
``python -m benchmarks.fixed_server PORT [CPU [CERT KEY]]`` (with CERT and KEY: https).
"""

from __future__ import annotations

import os
import sys

import orjson
import uvicorn

PROFILE = orjson.dumps(
    {
        "user_id": "auth0|bench_000001",
        "auth0_id": "auth0|bench_000001",
        "email": "bench.user.000001@example.com",
        "name": "Bench User",
        "subscription_status": "premium",
        "credits_remaining": 1000.0,
        "credits_total": 1000.0,
        "is_active": True,
        "preferences": {"theme": "dark", "language": "en"},
        "created_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:00:00+00:00",
    }
)
HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(PROFILE))]


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": PROFILE})


def main() -> None:
    port = int(sys.argv[1])
    if len(sys.argv) > 2:
        os.sched_setaffinity(0, {int(sys.argv[2])})
    tls = {"ssl_certfile": sys.argv[3], "ssl_keyfile": sys.argv[4]} if len(sys.argv) > 4 else {}
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        **tls,
    )


if __name__ == "__main__":
    main()
