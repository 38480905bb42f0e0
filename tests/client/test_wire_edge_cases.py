"""Wire cases well-behaved servers never produce, on both HTTP/1.1 engines (real sockets).

The lean (async) and gevent (sync) engines share ``client/transports/http11.py``;
each case runs on both.
"""

from __future__ import annotations

import orjson
import pytest

from client import AccountClient, AccountTransportError, PoolSettings, SyncAccountClient
from tests._raw_server import Answer, RawServer
from tests.client.scripted_app import PROFILE

BODY = orjson.dumps(PROFILE)
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)
ENGINES = ("lean", "gevent")


async def _profiles(engine: str, url: str, calls: int, **pool: int) -> list[object]:
    """``calls`` profile reads, one after the other, without retries; errors are returned."""
    settings = PoolSettings(transport=engine, **pool)  # type: ignore[arg-type]
    out: list[object] = []
    if engine == "gevent":
        with SyncAccountClient(url, max_retries=0, pool=settings) as client:
            for _ in range(calls):
                try:
                    out.append(client.get_account_profile("u1").user_id)
                except AccountTransportError as error:
                    out.append(error)
        return out
    async with AccountClient(url, max_retries=0, pool=settings) as client:
        for _ in range(calls):
            try:
                out.append((await client.get_account_profile("u1")).user_id)
            except AccountTransportError as error:
                out.append(error)
    return out


@pytest.mark.parametrize("engine", ENGINES)
async def test_an_answer_ended_by_the_close_is_complete(engine: str) -> None:
    unframed = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY
    with RawServer(Answer(unframed, close=True)) as server:
        assert await _profiles(engine, server.url, 2) == ["u1", "u1"]
        assert server.connections == 2  # the closed connection was not reused


@pytest.mark.parametrize("engine", ENGINES)
async def test_interim_answers_are_skipped(engine: str) -> None:
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    with RawServer(Answer(early + OK)) as server:
        assert await _profiles(engine, server.url, 3) == ["u1", "u1", "u1"]
        assert server.connections == 1  # each answer read whole: the connection stays in step


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_broken_answer_frees_its_connection_slot(engine: str) -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + BODY[:20]
    malformed = b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n"
    with RawServer(Answer(cut, close=True), Answer(malformed, close=True), Answer(OK)) as server:
        first, second, third = await _profiles(
            engine, server.url, 3, max_connections=1, max_keepalive_connections=1
        )
    assert isinstance(first, AccountTransportError) and "middle of an answer" in str(first)
    assert isinstance(second, AccountTransportError) and "malformed" in str(second)
    assert third == "u1"  # with one connection allowed, the slot came back both times
