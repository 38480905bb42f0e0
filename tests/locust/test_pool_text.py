"""``pool_text``: PoolSettings as the text the Locust processes parse back, TLS included."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from client.settings import PoolSettings, Timeouts
from locustfiles.options import parse_pool, pool_text


def test_plain_settings_round_trip() -> None:
    pool = PoolSettings(max_keepalive_connections=3, max_connections=7, transport="gevent")
    assert parse_pool(pool_text(pool)) == pool
    assert "ca_cert" not in pool_text(pool) and "verify" not in pool_text(pool)


def test_timeouts_round_trip() -> None:
    pool = PoolSettings(transport="gevent", timeouts=Timeouts(connect=2.0, pool=0.5))
    assert parse_pool(pool_text(pool)) == pool
    assert "read_timeout" not in pool_text(pool)


def test_tls_files_and_verify_round_trip_as_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text("-----BEGIN-----\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # relative paths: Locust runs from the project root
    pool = PoolSettings(
        transport="gevent",
        ca_cert="ca.pem",
        client_cert="client.pem",
        client_key="client.key",
        verify=False,
    )
    text = pool_text(pool)
    monkeypatch.chdir(Path(__file__).parent)
    assert parse_pool(text) == replace(
        pool,
        ca_cert=str((tmp_path / "ca.pem").resolve()),
        client_cert=str((tmp_path / "client.pem").resolve()),
        client_key=str((tmp_path / "client.key").resolve()),
    )


def test_a_path_with_a_comma_is_refused_not_misread(tmp_path: Path) -> None:
    odd = tmp_path / "a,b.pem"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="comma"):
        pool_text(PoolSettings(transport="gevent", ca_cert=str(odd)))
