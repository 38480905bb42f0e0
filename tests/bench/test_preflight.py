"""Preflight checks effects by reading back: real servers on 127.0.0.1 that answer differently."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from client import PoolSettings, RetryPolicy, SyncAccountClient
from drivers.phases import RunContext
from drivers.preflight import (
    CREDENTIALS_HINT,
    NO_OP,
    UNREADABLE,
    CredentialsRefused,
    PreflightFailed,
    preflight,
)
from drivers.progress import Progress
from drivers.recorder import Recorder
from mock_service import create_app
from tests._bench import bench
from tests.client.real_like_app import real_like_app
from workload.run_data import RunData, run_prefix
from workload.scenario import Scenario

Scope = dict[str, Any]


def attempt(
    url: str, token: str | None = None, search_grace_s: float = 5.0
) -> tuple[RunContext, PreflightFailed | None]:
    """``preflight`` as ``bench.py run`` drives it, on a fresh run context."""

    async def go() -> tuple[RunContext, PreflightFailed | None]:
        recorder = Recorder()
        ctx = RunContext(
            url=url,
            pool=PoolSettings(),
            retry=RetryPolicy(max_retries=0),
            timeout=5.0,
            scenario=Scenario(),
            data=RunData(prefix=run_prefix()),
            recorder=recorder,
            progress=Progress(recorder, stream=io.StringIO()),
            client_kwargs={"token": token} if token else {},
        )
        ctx.client = ctx.new_client()
        async with ctx.client:
            try:
                await preflight(ctx, search_grace_s=search_grace_s)
            except PreflightFailed as error:
                return ctx, error
        return ctx, None

    return asyncio.run(go())


def answering(app: Any, answer: Callable[[Scope], bytes | None]) -> Any:
    """``app``, except that a request ``answer`` has a body for gets 200 with that body."""

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        body = answer(scope) if scope["type"] == "http" else None
        if body is None:
            await app(scope, receive, send)
            return
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped


def status_and_delete_change_nothing(scope: Scope) -> bytes | None:
    """The real service's habit (for unknown ids): 200 to a status change or delete, no effect."""
    if scope["method"] == "PUT" and scope["path"].startswith("/api/v1/accounts/status/"):
        return b'{"message":"Account deactivated successfully"}'
    if scope["method"] == "DELETE" and scope["path"].startswith("/api/v1/accounts/profile/"):
        return b'{"message":"Account deleted successfully"}'
    return None


def search_missing(times: int | None) -> Callable[[Scope], bytes | None]:
    """Search answers no rows for its first ``times`` calls (None: always), like a lagging index."""
    calls = 0

    def answer(scope: Scope) -> bytes | None:
        nonlocal calls
        if scope["path"] != "/api/v1/accounts/search":
            return None
        calls += 1
        return b"[]" if times is None or calls <= times else None

    return answer


def test_the_mock_passes_and_the_account_ends_inactive(live_server) -> None:
    url = live_server(create_app("fast")).url
    ctx, error = attempt(url)
    assert error is None
    [account] = ctx.data.disposable
    assert account.active is False and ctx.data.owns(account.user_id)
    with SyncAccountClient(url) as client:
        [row] = client.list_accounts(search=ctx.data.prefix)["accounts"]
        assert (row.user_id, row.is_active) == (account.user_id, False)
        assert row.name.endswith("renamed")  # the update was applied, not only answered


def test_a_target_that_answers_200_but_changes_nothing_fails(live_server) -> None:
    url = live_server(answering(create_app("fast"), status_and_delete_change_nothing)).url
    ctx, error = attempt(url)
    assert error is not None
    assert [f.operation for f in error.failures] == ["change_account_status", "delete_account"]
    lines = str(error).splitlines()
    assert lines[0] == "the target does not speak the contract:"
    assert len(lines) == 3  # one line per failing check
    assert lines[1].startswith("  change_account_status: sent is_active=false; came back 200")
    assert lines[2].startswith(f"  delete_account: sent '{ctx.data.prefix}-")
    assert all(line.endswith(f"=> {NO_OP}") for line in lines[1:])
    # the account it could not delete is still there, and recorded as such
    [account] = ctx.data.disposable
    assert account.active is True
    with SyncAccountClient(url) as client:
        assert client.get_account_profile(account.user_id).is_active


def test_a_target_that_requires_user_id_on_ensure_passes_with_this_client(live_server) -> None:
    ctx, error = attempt(live_server(real_like_app()).url)
    assert error is None
    assert [a.active for a in ctx.data.disposable] == [False]


@pytest.mark.parametrize("token", [None, "wrong"])
def test_refused_credentials_give_one_line(live_server, token) -> None:
    url = live_server(create_app("fast", require_token="s3cret")).url
    _, error = attempt(url, token)
    assert isinstance(error, CredentialsRefused)
    text = str(error)
    assert len(text.splitlines()) == 1
    assert text.startswith("the target refused the credentials (HTTP 401")
    assert "to ensure_account)" in text and text.endswith(CREDENTIALS_HINT)
    assert attempt(url, "s3cret")[1] is None  # the right token passes


class StricterEnsure(BaseModel):
    user_id: str
    tenant_id: str
    email: str
    name: str


def test_a_422_naming_a_field_gets_the_field_hint(live_server) -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "healthy"}

    @app.post("/api/v1/accounts/ensure")
    def ensure(body: StricterEnsure) -> dict[str, str]:
        return body.model_dump()

    _, error = attempt(live_server(app).url)
    assert error is not None
    [ensure_failure] = [f for f in error.failures if f.operation == "ensure_account"]
    assert ensure_failure.came_back.startswith("HTTP 422: tenant_id: Field required")
    assert ensure_failure.hint == (
        "the target requires field 'tenant_id' in the body: "
        "it speaks a different version of the contract"
    )
    assert error.skipped == 8
    assert str(error).endswith("(8 checks on the account not run: ensure_account failed)")


def test_an_account_that_cannot_be_read_back_is_named(live_server) -> None:
    app = FastAPI()

    @app.post("/api/v1/accounts/ensure")
    def ensure(body: dict[str, Any]) -> dict[str, Any]:  # answers, stores nothing
        return {**body, "is_active": True, "preferences": {}}

    app.mount("/", real_like_app())
    _, error = attempt(live_server(app).url, search_grace_s=0.1)
    assert error is not None
    by_operation = {f.operation: f for f in error.failures}
    assert by_operation["get_account_profile"].came_back.startswith("HTTP 404: Account not found")
    assert by_operation["get_account_profile"].hint == UNREADABLE
    assert by_operation["get_account_by_email"].hint == UNREADABLE


def test_search_is_given_time_to_find_the_account_but_not_forever(live_server) -> None:
    lagging = live_server(answering(create_app("fast"), search_missing(times=2))).url
    assert attempt(lagging, search_grace_s=5.0)[1] is None
    blind = live_server(answering(create_app("fast"), search_missing(times=None))).url
    _, error = attempt(blind, search_grace_s=0.5)
    assert error is not None
    [failure] = error.failures
    assert failure.operation == "search_accounts"
    assert failure.came_back.endswith("for 0.5 s") and "lags" in failure.hint


def test_bench_run_stops_with_exit_3_before_any_load(live_server, tmp_path) -> None:
    url = live_server(answering(create_app("fast"), status_and_delete_change_nothing)).url
    result = bench(
        "run", "--target", url, "--phases", "none", "--runs-dir", str(tmp_path), "--no-report"
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the target does not speak the contract:" in result.stdout
    assert "  delete_account: sent 'hx-" in result.stdout
    assert result.stdout.count(NO_OP) == 2
    with SyncAccountClient(url) as client:  # only the preflight's account: no set-up, no load
        assert client.list_accounts()["total_count"] == 1
