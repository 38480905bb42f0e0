"""https on every engine, against real uvicorn servers with a throwaway CA (trustme).

One suite runs on every client kind: the async engines (lean, aiohttp, httpx)
and the sync ones (gevent, httpx). Async clients are driven on their own
event loop, so each test body reads the same for all of them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import gevent.ssl
import pytest

from client import (
    AccountClient,
    AccountTLSError,
    AccountTransportError,
    PoolSettings,
    SyncAccountClient,
)
from client.metrics import RequestRecord
from client.transports import tls
from mock_service import create_app
from tests._live_server import LiveServer
from tests._rounds import every_operation
from tests._tls import session_pki, tls_options  # noqa: F401  (session_pki: ``pki``)

KINDS = ("async-lean", "async-aiohttp", "async-httpx", "sync-gevent", "sync-httpx")


class Blocking:
    """Any client as blocking calls: sync clients as they are, async ones on their own loop."""

    def __init__(self, kind: str, url: str, pool: PoolSettings, **kwargs: Any) -> None:
        mode, engine = kind.split("-")
        pool = dataclasses.replace(pool, transport=engine)
        self._runner = asyncio.Runner() if mode == "async" else None
        cls = AccountClient if self._runner else SyncAccountClient
        self.client: Any = cls(url, pool=pool, **kwargs)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)
        if self._runner is None or not inspect.iscoroutinefunction(method):
            return method
        runner = self._runner
        return lambda *args, **kwargs: runner.run(method(*args, **kwargs))

    def close(self) -> None:
        if self._runner is None:
            self.client.close()
            return
        self._runner.run(self.client.aclose())
        self._runner.close()


@pytest.fixture(params=KINDS)
def connect(
    request: pytest.FixtureRequest, live_server: Callable[..., LiveServer]
) -> Iterator[Callable[..., Blocking]]:
    """``connect(url, pool=..., **client_kwargs)``: a client of each kind, closed after the test.

    Clients close before the servers stop (hence ``live_server``): an idle
    client's loop is not running to answer a TLS server's goodbye.
    """
    opened: list[Blocking] = []

    def make(url: str, pool: PoolSettings | None = None, **kwargs: Any) -> Blocking:
        opened.append(Blocking(request.param, url, pool or PoolSettings(), **kwargs))
        return opened[-1]

    yield make
    for client in opened:
        client.close()


@pytest.fixture(autouse=True)
def no_ambient_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test gives is trusted: no CA from the environment, no host mapping."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "ACCOUNT_CLIENT_HOSTS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def https_mock(live_server: Callable[..., LiveServer], pki) -> LiveServer:
    """The mock account service (fast profile) over https, certificate from the test CA."""
    return live_server(create_app("fast"), **tls_options(pki))


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def _records(client: Blocking) -> list[RequestRecord]:
    records: list[RequestRecord] = []
    client.metrics.subscribe(records.append)
    return records


# -- every engine ------------------------------------------------------------------


def test_every_operation_over_tls_with_ca_cert(connect, https_mock, pki) -> None:
    assert https_mock.url.startswith("https://127.0.0.1:")
    client = connect(https_mock.url, PoolSettings(ca_cert=pki.ca_cert))
    every_operation(client, "tee")


def test_first_request_opens_the_tls_connection_and_the_next_reuse_it(
    connect, https_mock, pki
) -> None:
    client = connect(https_mock.url, PoolSettings(ca_cert=pki.ca_cert))
    records = _records(client)
    for _ in range(4):
        client.health_check()
    first, *reused = records
    assert first.new_connection is True
    assert [r.new_connection for r in reused] == [False, False, False]
    # the handshake is part of the connect phase, so only the first request pays it
    assert first.phases.connect_ns > 3 * min(r.phases.connect_ns for r in reused)


def test_ssl_cert_file_is_honoured_without_ca_cert(
    connect, https_mock, pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", pki.ca_cert)
    client = connect(https_mock.url)
    assert client.health_check()["status"] == "healthy"


def test_an_untrusted_certificate_fails_with_a_tls_error_and_a_hint(connect, https_mock) -> None:
    client = connect(https_mock.url, max_retries=0)
    with pytest.raises(AccountTLSError) as caught:
        client.health_check()
    error = caught.value
    assert isinstance(error, AccountTransportError)
    assert "could not be verified" in str(error) and "--ca-cert FILE" in str(error)
    assert any(isinstance(e, ssl.SSLCertVerificationError) for e in _causes(error))


def test_an_untrusted_certificate_is_not_retried(connect, https_mock) -> None:
    client = connect(https_mock.url, max_retries=3)
    with pytest.raises(AccountTLSError) as caught:
        client.health_check()
    assert caught.value.attempts == 1


def test_verify_false_connects_without_the_ca(connect, https_mock) -> None:
    client = connect(https_mock.url, PoolSettings(verify=False))
    assert client.health_check()["status"] == "healthy"


def test_a_certificate_for_another_name_fails(connect, https_mock, pki) -> None:
    # wrong.test is mapped to 127.0.0.1, an address the certificate does carry:
    # the check must use the name the caller asked for, not where it was sent
    client = connect(
        f"https://wrong.test:{https_mock.port}",
        PoolSettings(ca_cert=pki.ca_cert),
        hosts={"wrong.test": "127.0.0.1"},
        max_retries=0,
    )
    with pytest.raises(AccountTLSError, match="could not be verified"):
        client.health_check()


def test_a_mapped_host_sends_and_checks_its_own_name(connect, https_mock, pki) -> None:
    seen: list[str | None] = []
    assert https_mock.tls is not None
    https_mock.tls.sni_callback = lambda _obj, name, _ctx: seen.append(name)
    client = connect(
        f"https://account.test:{https_mock.port}",
        PoolSettings(ca_cert=pki.ca_cert),
        hosts={"account.test": "127.0.0.1"},
    )
    assert client.health_check()["status"] == "healthy"
    assert client.health_check()["status"] == "healthy"
    assert seen == ["account.test"]  # SNI, on the one (kept-alive) connection


def test_mutual_tls(connect, live_server, pki) -> None:
    server = live_server(create_app("fast"), **tls_options(pki, require_client_cert=True))
    trusted = PoolSettings(ca_cert=pki.ca_cert)
    with_pair = dataclasses.replace(trusted, client_cert=pki.client_cert, client_key=pki.client_key)
    assert connect(server.url, with_pair).health_check()["status"] == "healthy"
    in_one_file = dataclasses.replace(trusted, client_cert=pki.client_cert_and_key)
    assert connect(server.url, in_one_file).health_check()["status"] == "healthy"
    # TLS 1.3: the server refuses after the client's side of the handshake is done,
    # so the refusal arrives as a dropped connection
    with pytest.raises(AccountTransportError):
        connect(server.url, trusted, max_retries=0).health_check()


@pytest.mark.parametrize("mode", ["pooled", "client_per_request"])
def test_one_tls_context_per_client(
    connect, https_mock, pki, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[ssl.SSLContext | None] = []
    real = tls.client_ssl_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext | None:
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(tls, "client_ssl_context", counting)
    client = connect(https_mock.url, PoolSettings(ca_cert=pki.ca_cert, mode=mode))
    records = _records(client)
    for _ in range(3):
        client.health_check()
    assert len(built) == 1 and built[0] is not None
    expected_new = [True] * 3 if mode == "client_per_request" else [True, False, False]
    assert [r.new_connection for r in records] == expected_new


# -- the context itself --------------------------------------------------------------


def test_the_context_offers_http11_by_alpn_and_h2_only_when_asked(https_mock, pki) -> None:
    assert https_mock.tls is not None
    https_mock.tls.set_alpn_protocols(["h2", "http/1.1"])
    for pool, expected in (
        (PoolSettings(ca_cert=pki.ca_cert), "http/1.1"),
        (PoolSettings(ca_cert=pki.ca_cert, transport="httpx", http2=True), "h2"),
    ):
        context = tls.client_ssl_context(https_mock.url, pool)
        assert context is not None
        address = (https_mock.host, https_mock.port)
        with (
            socket.create_connection(address, timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="account.test") as conn,
        ):
            assert conn.selected_alpn_protocol() == expected


def test_context_settings(pki) -> None:
    assert tls.client_ssl_context("http://127.0.0.1:8202", PoolSettings()) is None
    strict = tls.client_ssl_context("https://h", PoolSettings())
    assert strict is not None
    assert (strict.verify_mode, strict.check_hostname) == (ssl.CERT_REQUIRED, True)
    loose = tls.client_ssl_context("https://h", PoolSettings(verify=False))
    assert loose is not None
    assert (loose.verify_mode, loose.check_hostname) == (ssl.CERT_NONE, False)
    green = tls.client_ssl_context("https://h", PoolSettings(), gevent.ssl.SSLContext)
    assert isinstance(green, gevent.ssl.SSLContext)
    with pytest.raises(ssl.SSLError):  # a CA file that holds no certificate
        tls.client_ssl_context("https://h", PoolSettings(ca_cert=pki.client_key))


def test_failures_that_are_not_tls_stay_transport_errors() -> None:
    assert tls.tls_failure(ConnectionResetError()) is None
    assert tls.tls_failure(ssl.SSLEOFError()) is None  # a dropped connection
    wrapped = RuntimeError("engine error")
    wrapped.__cause__ = ssl.SSLError(1, "alert")
    assert isinstance(tls.tls_failure(wrapped), AccountTLSError)


# -- settings --------------------------------------------------------------------------


def test_pool_settings_parse_tls_fields_and_keep_the_label(pki) -> None:
    pool = PoolSettings.parse(f"ca_cert={pki.ca_cert},verify=false,transport=aiohttp")
    assert (pool.ca_cert, pool.verify, pool.client_cert) == (pki.ca_cert, False, None)
    assert pool.label() == PoolSettings(transport="aiohttp").label()
    pair = PoolSettings.parse(f"client_cert={pki.client_cert},client_key={pki.client_key}")
    assert (pair.client_cert, pair.client_key) == (pki.client_cert, pki.client_key)
    assert PoolSettings.parse("ca_cert=").ca_cert is None


def test_pool_settings_reject_missing_files_and_a_key_without_cert(pki, tmp_path) -> None:
    missing = str(tmp_path / "nope.pem")
    for name in ("ca_cert", "client_cert"):
        with pytest.raises(ValueError, match=f"{name}: no such file: {missing}"):
            PoolSettings(**{name: missing})
    with pytest.raises(ValueError, match="client_key needs client_cert"):
        PoolSettings(client_key=pki.client_key)
    with pytest.raises(ValueError, match="client_key: no such file"):
        PoolSettings(client_cert=pki.client_cert, client_key=missing)
