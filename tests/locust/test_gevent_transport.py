"""The gevent transport under the sync client, against real uvicorn servers on loopback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable

import gevent
import pytest

from client import (
    AccountTimeoutError,
    AccountTransportError,
    PoolSettings,
    SyncAccountClient,
)
from client.metrics import RequestRecord
from mock_service import create_app
from tests._live_server import LiveServer, free_port
from tests._rounds import every_operation
from tests.client.scripted_app import PROFILE, ScriptedApp, Step

GEVENT = PoolSettings(transport="gevent")


def _client(url: str, pool: PoolSettings = GEVENT, **kw: object) -> SyncAccountClient:
    return SyncAccountClient(url, pool=pool, **kw)  # type: ignore[arg-type]


def test_every_operation_through_the_mock(live_server: Callable[..., LiveServer]) -> None:
    url = live_server(create_app("fast", accounts=50)).url
    with _client(url) as client:
        every_operation(client, "gee")


def test_phases_and_connection_reuse(scripted: Callable[..., tuple[ScriptedApp, str]]) -> None:
    app, url = scripted(Step(body=PROFILE, delay=0.05))
    records: list[RequestRecord] = []
    with _client(url) as client:
        client.metrics.subscribe(records.append)
        client.get_account_profile("u1")
        client.get_account_profile("u1")
    first, second = records
    assert first.new_connection is True and second.new_connection is False
    assert first.phases.wait_ns >= 45_000_000  # the server's 50 ms is time to first byte
    assert first.phases.connect_ns > 0 and first.phases.receive_ns >= 0
    assert second.phases.connect_ns < first.phases.wait_ns
    assert len({a.client for a in app.arrivals}) == 1  # one keep-alive connection
    assert app.arrivals[0].headers["host"].startswith("127.0.0.1:")


def test_a_large_chunked_answer_arrives_whole(
    scripted: Callable[..., tuple[ScriptedApp, str]],
) -> None:
    big = {**PROFILE, "name": "n" * 600_000}  # many recv() calls, many chunks
    app, url = scripted(Step(body=big), Step(body=PROFILE))
    with _client(url) as client:
        assert client.get_account_profile("u1").name == big["name"]
        assert client.get_account_profile("u1").name == PROFILE["name"]
    assert len({a.client for a in app.arrivals}) == 1


def test_no_keepalive_opens_a_connection_per_request(
    scripted: Callable[..., tuple[ScriptedApp, str]],
) -> None:
    app, url = scripted(Step(body=PROFILE))
    with _client(url, PoolSettings(transport="gevent", mode="no_keepalive")) as client:
        for _ in range(3):
            client.get_account_profile("u1")
    assert len({a.client for a in app.arrivals}) == 3
    assert all(a.headers.get("connection") == "close" for a in app.arrivals)


def test_max_connections_bounds_concurrency(
    scripted: Callable[..., tuple[ScriptedApp, str]],
) -> None:
    app, url = scripted(Step(body=PROFILE, delay=0.1))
    records: list[RequestRecord] = []
    pool = PoolSettings(transport="gevent", max_connections=2, max_keepalive_connections=2)
    with _client(url, pool) as client:
        client.metrics.subscribe(records.append)
        gevent.joinall([gevent.spawn(client.get_account_profile, "u1") for _ in range(4)])
    assert app.max_in_flight == 2
    waited = sorted(r.phases.connect_ns for r in records)
    assert waited[-1] >= 80_000_000  # the last two waited for a free connection


def test_timeout_is_an_account_timeout(scripted: Callable[..., tuple[ScriptedApp, str]]) -> None:
    _, url = scripted(Step(body=PROFILE, delay=1.0))
    with _client(url, timeout=0.2, max_retries=0) as client, pytest.raises(AccountTimeoutError):
        client.get_account_profile("u1")


def test_refused_and_dropped_are_transport_errors(
    scripted: Callable[..., tuple[ScriptedApp, str]],
) -> None:
    with (
        _client(f"http://127.0.0.1:{free_port()}", max_retries=0) as client,
        pytest.raises(AccountTransportError),
    ):
        client.get_account_profile("u1")
    _, url = scripted(Step(drop=True), Step(body=PROFILE))
    with _client(url, max_retries=1) as client:
        assert client.get_account_profile("u1").user_id == "u1"  # the client's retry
        assert client.get_metrics()["total_retries"] == 1


def test_sync_path_under_locust_imports_no_aiohttp(live_server: Callable[..., LiveServer]) -> None:
    """Locust monkey-patches at import; the sync client must work there without aiohttp."""
    url = live_server(create_app("fast", accounts=5)).url
    code = textwrap.dedent(
        f"""
        import sys
        import locust  # patches the standard library, as under `locust -f`
        from client import SyncAccountClient, PoolSettings
        for transport in ("gevent", "httpx"):
            with SyncAccountClient({url!r}, pool=PoolSettings(transport=transport)) as c:
                assert c.health_check()["status"] == "healthy"
        assert "aiohttp" not in sys.modules, "the sync path imported aiohttp"
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
