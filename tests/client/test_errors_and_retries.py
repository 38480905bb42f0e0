"""Error classes, retry decisions and their timings, over real sockets."""

from __future__ import annotations

import time

import pytest

from client import (
    AccountAuthError,
    AccountClient,
    AccountClientError,
    AccountProtocolError,
    AccountRateLimitedError,
    AccountServerError,
    AccountServiceError,
    AccountServiceUnavailable,
    AccountTimeoutError,
    AccountTransportError,
    RetryPolicy,
)
from mock_service import create_app
from tests._live_server import free_port
from tests.client.scripted_app import PROFILE, Step

FAST_RETRY = RetryPolicy(max_retries=3, backoff_base=0.01)

#: how much later than planned a retry may arrive on two busy cores (timers are never early):
#: the slack of every upper bound on a wait below
LATE = 0.25


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, "AccountValidationError"),
        (401, "AccountAuthError"),
        (403, "AccountAuthError"),
        (404, "AccountNotFoundError"),
        (409, "AccountConflictError"),
        (410, "AccountClientError"),
        (422, "AccountValidationError"),
        (500, "AccountServerError"),
    ],
)
async def test_final_statuses_map_to_their_class_after_one_attempt(
    make_client, scripted, status, error_class
) -> None:
    app, url = scripted(Step(status=status, body={"detail": f"server says {status}"}))
    client = make_client(url, retry=FAST_RETRY)
    with pytest.raises(AccountServiceError) as caught:
        await client.get_account_profile("u1")
    error = caught.value
    assert type(error).__name__ == error_class
    assert (error.status, error.detail, error.attempts) == (status, f"server says {status}", 1)
    assert error.operation == "get_account_profile"
    assert len(app.arrivals) == 1


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (429, AccountRateLimitedError),
        (502, AccountServerError),
        (503, AccountServerError),
        (504, AccountServerError),
    ],
)
async def test_transient_statuses_are_retried_then_raise_unavailable(
    make_client, scripted, status, error_class
) -> None:
    app, url = scripted(Step(status=status, body={"detail": "busy"}))
    client = make_client(url, retry=FAST_RETRY)
    with pytest.raises(error_class) as caught:
        await client.get_account_profile("u1")
    assert isinstance(caught.value, AccountServiceUnavailable)
    assert caught.value.attempts == 4 and len(app.arrivals) == 4
    metrics = client.get_metrics()
    assert (metrics["total_requests"], metrics["total_errors"], metrics["total_retries"]) == (
        1,
        1,
        3,
    )


async def test_backoff_waits_0_2_then_0_4_then_0_8_seconds(make_client, scripted) -> None:
    busy = Step(status=503, body={"detail": "busy"})
    app, url = scripted(busy, busy, busy, Step(body=PROFILE))
    client = make_client(url)
    profile = await client.get_account_profile("u1")
    assert profile.user_id == "u1"
    gaps = app.gaps()
    assert len(gaps) == 3
    for gap, expected in zip(gaps, (0.2, 0.4, 0.8), strict=True):
        assert expected - 0.01 <= gap < expected + LATE, gaps
    record = client.get_metrics()["operations"]["get_account_profile"]
    assert (record["count"], record["retries"], record["errors"]) == (1, 3, 0)


async def test_retry_after_replaces_the_backoff_and_is_capped(make_client, scripted) -> None:
    """Retry-After 1 s against a 2 s backoff: 1 s replaces it (3 s would add, 2 s ignore)."""
    limited = Step(status=429, headers={"Retry-After": "1"}, body={"detail": "slow down"})
    app, url = scripted(limited, Step(body=PROFILE))
    client = make_client(url, retry=RetryPolicy(backoff_base=2.0))
    await client.get_account_profile("u1")
    assert 0.95 <= app.gaps()[0] < 1.0 + LATE

    app.script(limited, Step(body=PROFILE))
    capped = make_client(url, retry=RetryPolicy(backoff_base=2.0, retry_after_max=0.3))
    await capped.get_account_profile("u1")
    assert 0.28 <= app.gaps()[0] < 0.3 + LATE


async def test_jitter_spreads_the_delay_within_its_bounds(make_client, scripted) -> None:
    busy = Step(status=503, body={"detail": "busy"})
    app, url = scripted(busy, busy, busy, Step(body=PROFILE))
    client = make_client(url, retry=RetryPolicy(backoff_base=0.2, jitter=0.5))
    await client.get_account_profile("u1")
    for gap, base in zip(app.gaps(), (0.2, 0.4, 0.8), strict=True):
        assert base * 0.5 - 0.01 <= gap < base * 1.5 + LATE


async def test_deadline_stops_retries_before_it_passes(make_client, scripted) -> None:
    app, url = scripted(Step(status=503, body={"detail": "busy"}))
    client = make_client(url, retry=RetryPolicy(deadline=0.5))
    start = time.monotonic()
    with pytest.raises(AccountServerError) as caught:
        await client.get_account_profile("u1")
    elapsed = time.monotonic() - start
    # attempts at 0 and 0.2 s; the next (0.6 s) would pass the deadline
    assert caught.value.attempts == 2 and len(app.arrivals) == 2
    assert elapsed < 0.5  # the bound is the behaviour: it gave up instead of sleeping past it


async def test_deadline_cuts_a_slow_attempt_short(make_client, scripted) -> None:
    _app, url = scripted(Step(body=PROFILE, delay=3.0))
    client = make_client(url, timeout=10.0, retry=RetryPolicy(deadline=0.4))
    start = time.monotonic()
    with pytest.raises(AccountTimeoutError) as caught:
        await client.get_account_profile("u1")
    assert 0.35 <= time.monotonic() - start < 2.0  # at the deadline, not at the 3 s answer
    assert "deadline" in str(caught.value)


async def test_timeouts_are_retried(make_client, scripted) -> None:
    app, url = scripted(Step(body=PROFILE, delay=1.0), Step(body=PROFILE))
    client = make_client(url, timeout=0.25, retry=FAST_RETRY)
    profile = await client.get_account_profile("u1")
    assert profile.user_id == "u1" and len(app.arrivals) == 2
    [record] = [r for r in [client.get_metrics()["operations"]["get_account_profile"]]]
    assert record["retries"] == 1


async def test_timeout_everywhere_raises_timeout_error(make_client, scripted) -> None:
    _app, url = scripted(Step(body=PROFILE, delay=1.0))
    client = make_client(url, timeout=0.15, retry=RetryPolicy(max_retries=1, backoff_base=0.01))
    with pytest.raises(AccountTimeoutError) as caught:
        await client.get_account_profile("u1")
    assert caught.value.attempts == 2 and caught.value.status is None


async def test_dropped_connection_is_a_transport_error_and_is_retried(
    make_client, scripted
) -> None:
    app, url = scripted(Step(drop=True), Step(body=PROFILE))
    client = make_client(url, retry=FAST_RETRY)
    assert (await client.get_account_profile("u1")).user_id == "u1"
    assert len(app.arrivals) == 2

    app.script(Step(drop=True))
    with pytest.raises(AccountTransportError) as caught:
        await client.get_account_profile("u1")
    assert caught.value.attempts == 4


async def test_refused_connection_is_a_transport_error(make_client) -> None:
    client = make_client(f"http://127.0.0.1:{free_port()}", retry=FAST_RETRY)
    with pytest.raises(AccountTransportError) as caught:
        await client.health_check()
    assert caught.value.attempts == 4 and isinstance(caught.value, AccountServiceUnavailable)


async def test_mock_fault_profile_drops_and_503s_are_survived_by_retries(
    make_client, live_server
) -> None:
    profile = {
        "name": "flaky",
        "faults": {"error_503_rate": 0.2, "drop_rate": 0.1, "retry_after_s": 0},
    }
    url = live_server(create_app(profile)).url
    client = make_client(url, retry=RetryPolicy(max_retries=8, backoff_base=0.005))
    for _ in range(40):  # health stays open to faults; the API does not
        assert (await client.list_accounts())["total_count"] == 0
    metrics = client.get_metrics()
    assert metrics["total_requests"] == 40 and metrics["total_errors"] == 0
    assert metrics["total_retries"] > 0


async def test_answer_that_is_not_json_is_a_protocol_error(make_client, scripted) -> None:
    app, url = scripted(Step(raw=b"<html>gateway page</html>"))
    client = make_client(url)
    with pytest.raises(AccountProtocolError):
        await client.get_account_profile("u1")
    app.script(Step(body={"no_user_id": True}))
    with pytest.raises(AccountProtocolError):
        await client.get_account_profile("u1")


async def test_bearer_token_and_extra_headers_reach_the_server(make_client, scripted) -> None:
    app, url = scripted(Step(body=PROFILE))
    client = make_client(url, token="s3cret", headers={"X-Request-Source": "harness"})
    await client.get_account_profile("u1")
    headers = app.arrivals[0].headers
    assert headers["authorization"] == "Bearer s3cret"
    assert headers["x-request-source"] == "harness"


async def test_token_against_a_mock_that_requires_it(make_client, live_server) -> None:
    url = live_server(create_app("fast", require_token="T0K")).url
    anonymous = make_client(url)
    with pytest.raises(AccountAuthError) as caught:
        await anonymous.list_accounts()
    assert caught.value.status == 401 and caught.value.attempts == 1
    authorised = make_client(url, token="T0K")
    assert (await authorised.list_accounts())["total_count"] == 0


async def test_percent_encoded_path_reaches_the_server_as_sent(make_client, scripted) -> None:
    app, url = scripted(Step(body=PROFILE))
    client = make_client(url)
    await client.get_account_profile("auth0|123 x+y/z")
    await client.get_account_by_email("a+b@x.com")
    assert app.arrivals[0].raw_path == b"/api/v1/accounts/profile/auth0%7C123%20x%2By%2Fz"
    assert app.arrivals[1].raw_path == b"/api/v1/accounts/by-email/a%2Bb%40x.com"


def test_other_4xx_class_is_a_client_error() -> None:
    assert issubclass(AccountClientError, AccountServiceError)
    assert not issubclass(AccountClientError, AccountServiceUnavailable)


async def test_seed_style_constructor_arguments(scripted) -> None:
    _app, url = scripted(Step(status=503, body={"detail": "busy"}))
    async with AccountClient(url, timeout=10.0, max_retries=1) as client:
        with pytest.raises(AccountServerError) as caught:
            await client.get_account_profile("u1")
    assert caught.value.attempts == 2
