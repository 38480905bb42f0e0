"""Pool limits, connection reuse and the per-call records, over real sockets."""

from __future__ import annotations

import asyncio

import pytest

from client import PoolSettings, RequestRecord
from tests.client.scripted_app import PROFILE, Step


async def test_third_request_waits_for_one_of_two_connections(make_client, scripted) -> None:
    app, url = scripted(Step(body=PROFILE, delay=0.3))
    client = make_client(url, pool=PoolSettings(max_connections=2, max_keepalive_connections=2))
    records: list[RequestRecord] = []
    client.metrics.subscribe(records.append)
    await asyncio.gather(*(client.get_account_profile("u1") for _ in range(3)))
    assert app.max_in_flight == 2
    waits = sorted(r.phases.connect_ns / 1e9 for r in records)
    assert waits[2] >= 0.25, waits  # waited for a connection the whole first answer...
    assert waits[1] < waits[2] / 2, waits  # ...the first two did not wait for one
    assert waits[2] < 2 * 0.3, waits  # one answer, not two: the freed connection went to it
    slowest = max(records, key=lambda r: r.latency_ns)
    assert slowest.latency_ns / 1e9 >= 0.55


async def test_pooled_client_reuses_one_connection(make_client, scripted) -> None:
    app, url = scripted(Step(body=PROFILE))
    client = make_client(url)
    records: list[RequestRecord] = []
    client.metrics.subscribe(records.append)
    for _ in range(5):
        await client.get_account_profile("u1")
    assert len({a.client for a in app.arrivals}) == 1
    assert [r.new_connection for r in records] == [True, False, False, False, False]


async def test_a_large_chunked_answer_arrives_whole(make_client, scripted) -> None:
    """Many reads and chunks for one answer (the scripted app sends chunked); then reuse."""
    big = {**PROFILE, "name": "n" * 600_000}
    app, url = scripted(Step(body=big), Step(body=PROFILE))
    client = make_client(url)
    assert (await client.get_account_profile("u1")).name == big["name"]
    assert (await client.get_account_profile("u1")).name == PROFILE["name"]
    assert len({a.client for a in app.arrivals}) == 1


@pytest.mark.parametrize("mode", ["no_keepalive", "client_per_request"])
async def test_anti_patterns_open_a_connection_per_request(make_client, scripted, mode) -> None:
    app, url = scripted(Step(body=PROFILE))
    client = make_client(url, pool=PoolSettings(mode=mode))
    records: list[RequestRecord] = []
    client.metrics.subscribe(records.append)
    for _ in range(4):
        assert (await client.get_account_profile("u1")).user_id == "u1"
    assert len({a.client for a in app.arrivals}) == 4
    assert all(r.new_connection for r in records)


async def test_every_call_produces_one_complete_record(make_client, scripted) -> None:
    busy = Step(status=503, body={"detail": "busy"}, headers={"Retry-After": "0"})
    _app, url = scripted(busy, Step(body=PROFILE, delay=0.05))
    client = make_client(url)
    records: list[RequestRecord] = []
    unsubscribe = client.metrics.subscribe(records.append)
    await client.update_account_profile("u1", name="New Name")
    [record] = records
    assert record.operation == "update_account_profile"
    assert (record.attempts, record.status, record.error) == (2, 200, None)
    assert record.bytes_sent == len(b'{"name":"New Name"}')
    assert record.bytes_received > 200
    phases = record.phases
    assert phases.wait_ns >= 45_000_000  # the server's 50 ms think time is time-to-first-byte
    assert min(phases.connect_ns, phases.send_ns, phases.wait_ns, phases.receive_ns) >= 0
    assert sum((phases.connect_ns, phases.send_ns, phases.wait_ns, phases.receive_ns)) <= (
        record.latency_ns
    )
    assert record.started_at > 1.7e9
    unsubscribe()
    await client.get_account_profile("u1")
    assert len(records) == 1


async def test_metrics_summary_counts_calls_not_attempts(make_client, scripted) -> None:
    busy = Step(status=503, body={"detail": "busy"}, headers={"Retry-After": "0"})
    missing = Step(status=404, body={"detail": "Account not found: x"})
    app, url = scripted(busy, busy, Step(body=PROFILE), missing)
    client = make_client(url)
    await client.get_account_profile("u1")
    with pytest.raises(Exception, match="not found"):
        await client.get_account_profile("x")
    metrics = client.get_metrics()
    assert (metrics["total_requests"], metrics["total_errors"], metrics["total_retries"]) == (
        2,
        1,
        2,
    )
    assert metrics["error_rate"] == 0.5
    op = metrics["operations"]["get_account_profile"]
    assert op["count"] == 2 and op["errors"] == 1
    assert 0 < op["p50_ms"] <= op["p95_ms"] <= op["p99_ms"]
    assert len(app.arrivals) == 4


async def test_http2_setting_works_against_an_http1_server(scripted) -> None:
    from client import AccountClient

    app, url = scripted(Step(body=PROFILE))
    pool = PoolSettings(http2=True, transport="httpx")
    async with AccountClient(url, pool=pool) as client:
        assert (await client.get_account_profile("u1")).user_id == "u1"
    assert len(app.arrivals) == 1  # plain http: HTTP/2 is offered only over TLS; 1.1 is used
    with pytest.raises(ValueError, match="http2 needs transport='httpx'"):
        PoolSettings(http2=True)
