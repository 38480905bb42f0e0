"""Pure logic: settings, retry arithmetic, histogram accuracy, tolerant parsing, host mapping."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import numpy as np
import orjson
import pytest

from client import (
    AccountNotFoundError,
    AccountProfile,
    AccountSummary,
    AccountValidationError,
    LatencyHistogram,
    PoolSettings,
    RetryPolicy,
    calls,
)
from client.config import ClientConfig
from client.retry import parse_retry_after


def test_pool_defaults_are_the_seeds() -> None:
    pool = PoolSettings()
    assert (pool.max_keepalive_connections, pool.max_connections, pool.keepalive_expiry) == (
        20,
        100,
        60.0,
    )
    limits = pool.to_httpx_limits()
    assert (limits.max_keepalive_connections, limits.max_connections) == (20, 100)
    assert PoolSettings(mode="no_keepalive").to_httpx_limits().max_keepalive_connections == 0


def test_pool_settings_parse_the_cli_form_and_name_bad_keys() -> None:
    pool = PoolSettings.parse(
        "max_keepalive=5,max_connections=10,keepalive_expiry=2.5,transport=httpx"
    )
    assert pool == PoolSettings(5, 10, 2.5, transport="httpx")
    with pytest.raises(ValueError, match="accepted keys: max_keepalive"):
        PoolSettings.parse("max_conns=3")
    with pytest.raises(ValueError, match="transport must be one of lean, aiohttp, httpx, gevent"):
        PoolSettings.parse("transport=curl")
    with pytest.raises(ValueError, match="takes a int"):
        PoolSettings.parse("max_connections=lots")
    with pytest.raises(ValueError, match="max_keepalive_connections"):
        PoolSettings(max_keepalive_connections=200, max_connections=100)


def test_pool_settings_from_httpx_limits() -> None:
    limits = httpx.Limits(max_keepalive_connections=7, max_connections=9, keepalive_expiry=3)
    assert PoolSettings.from_httpx_limits(limits) == PoolSettings(7, 9, 3.0)


def test_backoff_doubles_from_0_2_and_is_capped() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(n) for n in (1, 2, 3)] == pytest.approx([0.2, 0.4, 0.8])
    assert RetryPolicy(backoff_max=0.5).backoff(3) == 0.5
    assert policy.max_attempts == 4


def test_jitter_stays_within_its_fraction() -> None:
    policy = RetryPolicy(jitter=0.25)
    rng = random.Random(1)
    delays = [policy.backoff(2, rng) for _ in range(1000)]
    assert 0.3 <= min(delays) < 0.32 and 0.48 < max(delays) <= 0.5


def test_retry_after_seconds_dates_and_caps() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("garbage") is None and parse_retry_after(None) is None
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28 <= parse_retry_after(soon) <= 30
    assert RetryPolicy(retry_after_max=2).delay_for(1, "30") == 2
    assert RetryPolicy().delay_for(2, None) == pytest.approx(0.4)


def test_histogram_percentiles_are_within_0_1_percent_of_exact() -> None:
    rng = np.random.default_rng(3)
    values = (rng.lognormal(mean=16, sigma=0.8, size=50_000)).astype(np.int64)
    hist = LatencyHistogram()
    for v in values:
        hist.record(int(v))
    for q in (50, 90, 95, 99, 99.9):
        exact = float(np.percentile(values, q, method="inverted_cdf"))
        assert hist.percentile(q) == pytest.approx(exact, rel=1e-3)
    assert hist.count == 50_000 and hist.mean == pytest.approx(values.mean())


def test_histograms_merge_exactly() -> None:
    a, b, both = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    for i in range(1, 2000):
        (a if i % 3 else b).record(i * 1000)
        both.record(i * 1000)
    a.merge(LatencyHistogram.from_dict(b.to_dict()))
    assert a.to_dict() == both.to_dict()
    assert a.percentiles([50, 99]) == both.percentiles([50, 99])


def test_profile_parsing_ignores_unknown_fields_and_defaults_missing_ones() -> None:
    profile = AccountProfile.from_dict(
        {"user_id": "u1", "email": "u1@x.io", "shiny_new_field": [1, 2], "created_at": "bad"}
    )
    assert (profile.user_id, profile.name, profile.preferences, profile.created_at) == (
        "u1",
        "",
        {},
        None,
    )
    summary = AccountSummary.from_dict({"user_id": "u2", "created_at": "2026-01-02T03:04:05Z"})
    assert summary.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(KeyError):
        AccountProfile.from_dict({"email": "no id"})


def test_profile_parsing_survives_the_real_services_answers() -> None:
    real = AccountProfile.from_dict(
        {
            "user_id": "u1",
            "auth0_id": None,
            "email": "u1@x.io",
            "legacy_tier": 3,
            "created_at": "2026-01-02T03:04:05",
            "updated_at": "2026-01-02T03:04:05.5+02:00",
        }
    )
    assert real.auth0_id is None
    assert real.credits_remaining is None and real.credits_total is None  # unknown, not zero
    assert real.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert real.updated_at is not None and real.updated_at.utcoffset() == timedelta(hours=2)
    spent = AccountProfile.from_dict({"user_id": "u2", "credits_remaining": 0, "credits_total": 10})
    assert (spent.credits_remaining, spent.credits_total) == (0.0, 10.0)
    with pytest.raises(ValueError, match="lots"):
        AccountProfile.from_dict({"user_id": "u3", "credits_total": "lots"})


def test_ensure_sends_user_id_and_auth0_id_with_the_same_value() -> None:
    call = calls.ensure_account("auth0|9", "nine@x.io", "Nine")
    assert call.body is not None
    assert orjson.loads(call.body) == {
        "user_id": "auth0|9",
        "auth0_id": "auth0|9",
        "email": "nine@x.io",
        "name": "Nine",
        "subscription_plan": "free",
    }


def test_error_messages_keep_the_servers_detail() -> None:
    error = AccountNotFoundError(status=404, detail="Account not found: u1").with_context(
        operation="get_account_profile", attempts=1
    )
    assert str(error) == "get_account_profile: HTTP 404: Account not found: u1"
    invalid = AccountValidationError(
        status=422, detail=[{"loc": ["body", "email"], "msg": "value is not a valid email"}]
    )
    assert "email: value is not a valid email" in str(invalid)
    assert isinstance(invalid, ValueError)


def _resolve(base_url: str, hosts: dict[str, str]) -> ClientConfig:
    return ClientConfig.resolve(
        base_url, 10.0, 3, pool=None, limits=None, retry=None, token="t", headers=None, hosts=hosts
    )


def test_hosts_mapping_aims_a_name_at_another_address_and_keeps_the_host_header() -> None:
    config = _resolve("http://account-service:8202", {"account-service:8202": "127.0.0.1:9999"})
    assert config.base_url == "http://127.0.0.1:9999"
    assert dict(config.headers)["Host"] == "account-service:8202"
    assert dict(config.headers)["Authorization"] == "Bearer t"
    unmapped = _resolve("http://other:8202/", {"account-service:8202": "127.0.0.1:9999"})
    assert unmapped.base_url == "http://other:8202" and "Host" not in dict(unmapped.headers)
    by_name = _resolve("http://account-service:8202", {"account-service": "10.0.0.1"})
    assert by_name.base_url == "http://10.0.0.1:8202"


def test_sync_twin_has_every_async_method_with_the_same_signature() -> None:
    import inspect

    from client import AccountClient, SyncAccountClient

    public = {
        name: member
        for name, member in inspect.getmembers(AccountClient, inspect.isfunction)
        if not name.startswith("_") and name not in {"aclose"}
    }
    assert len(public) >= 13
    for name, method in public.items():
        twin = getattr(SyncAccountClient, name)
        assert inspect.signature(twin) == inspect.signature(method), name
        assert inspect.iscoroutinefunction(method) != inspect.iscoroutinefunction(twin) or (
            name == "get_metrics"
        )
