"""The seed README's own snippets, run unchanged except for the import line.

The code blocks are read from a copy of the seed README, so this test breaks
if the client stops accepting what the seed's callers wrote. The service's
addresses in the snippets (``account-service:8202``, the default
``localhost:8202``) are aimed at a live mock through ``ACCOUNT_CLIENT_HOSTS``,
the client's hosts mapping, so not one character of the snippets changes.
"""

from __future__ import annotations

import asyncio
import logging
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from client import AccountProfile
from mock_service import create_app
from tests._live_server import LiveServer

README = Path(__file__).with_name("seed_readme.md")
SEED_IMPORT = "from account_client_example import AccountClient"
OUR_IMPORT = "from client import AccountClient"


def seed_blocks() -> dict[str, list[str]]:
    """Python code blocks of the seed README, keyed by their heading (or bold title)."""
    blocks: dict[str, list[str]] = {}
    title, code, inside = "", [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if inside:
            if line.startswith("```"):
                blocks.setdefault(title, []).append("\n".join(code))
                inside, code = False, []
            else:
                code.append(line)
        elif line.startswith("```python"):
            inside = True
        elif line.startswith("#") or line.startswith("**"):
            title = line.strip("#* :")
    return blocks


BLOCKS = seed_blocks()


async def run_snippet(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Run ``code`` as the body of an async function; returns its local variables."""
    assert SEED_IMPORT not in code.replace(SEED_IMPORT, OUR_IMPORT)
    code = code.replace(SEED_IMPORT, OUR_IMPORT)
    if OUR_IMPORT not in code:
        code = OUR_IMPORT + "\n" + code
    source = "async def __snippet__():\n" + textwrap.indent(code, "    ")
    source += "\n    return locals()\n"
    exec(compile(source, str(README), "exec"), namespace)
    result = await namespace["__snippet__"]()
    return result if isinstance(result, dict) else {"__returned__": result}


class Service:
    """A live mock the snippets reach as ``account-service:8202`` and ``localhost:8202``."""

    def __init__(self, server: LiveServer) -> None:
        self.url = server.url
        self.http = httpx.Client(base_url=server.url, timeout=5)

    def ensure(self, auth0_id: str, email: str, name: str, plan: str = "free") -> dict[str, Any]:
        body = {"auth0_id": auth0_id, "email": email, "name": name, "subscription_plan": plan}
        response = self.http.post("/api/v1/accounts/ensure", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def profile(self, user_id: str) -> httpx.Response:
        return self.http.get(f"/api/v1/accounts/profile/{user_id}")

    def all_accounts(self) -> list[dict[str, Any]]:
        return self.http.get("/api/v1/accounts", params={"page_size": 100}).json()["accounts"]


@pytest.fixture
def service(live_server: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch) -> Service:
    server = live_server(create_app("fast"))
    address = urlsplit(server.url).netloc
    monkeypatch.setenv(
        "ACCOUNT_CLIENT_HOSTS", f"account-service:8202={address},localhost:8202={address}"
    )
    svc = Service(server)
    yield svc
    svc.http.close()


def with_user_123(service: Service) -> None:
    service.ensure("user_123", "user@example.com", "John Doe")


def test_the_readme_has_every_snippet_this_test_runs() -> None:
    wanted = [
        "Quick Start",
        "1. Ensure Account (Create or Get)",
        "2. Get Account Profile",
        "3. Update Account Profile",
        "4. Update Preferences",
        "5. List Accounts (Paginated)",
        "6. Search Accounts",
        "7. Change Account Status",
        "8. Delete Account (Soft Delete)",
        "1. Always Use Connection Pooling",
        "2. Handle Errors Gracefully",
        "3. Use Async Batch Operations",
        "4. Monitor Performance",
    ]
    for title in wanted:
        assert title in BLOCKS, title
    assert len(BLOCKS["1. Always Use Connection Pooling"]) == 2


async def core(title: str, service: Service, **names: Any) -> dict[str, Any]:
    """Run a Core Operations snippet inside the Quick Start's ``async with`` client."""
    from client import AccountClient

    async with AccountClient("http://account-service:8202") as client:
        return await run_snippet(BLOCKS[title][0], {"client": client, **names})


async def test_quick_start(service: Service) -> None:
    local = await run_snippet(BLOCKS["Quick Start"][0], {})
    assert local["account"].user_id == "user_123"
    assert local["profile"].email == "user@example.com"
    stored = service.profile("user_123").json()
    assert stored["preferences"] == {
        "timezone": "America/New_York",
        "theme": "dark",
        "notification_email": True,
    }


async def test_core_1_ensure_account(service: Service) -> None:
    local = await core("1. Ensure Account (Create or Get)", service)
    assert isinstance(local["account"], AccountProfile)
    assert local["account"].user_id == "auth0|user123"
    assert service.profile("auth0%7Cuser123").json()["name"] == "John Doe"


async def test_core_2_get_profile_by_id_and_email(service: Service) -> None:
    with_user_123(service)
    local = await core("2. Get Account Profile", service)
    assert local["profile"].user_id == "user_123"  # the by-email lookup ran last
    assert local["profile"].email == "user@example.com"


async def test_core_3_update_profile(service: Service) -> None:
    with_user_123(service)
    local = await core("3. Update Account Profile", service)
    assert local["updated"].name == "Jane Smith"
    stored = service.profile("user_123").json()
    assert (stored["name"], stored["email"]) == ("Jane Smith", "jane@example.com")


async def test_core_4_update_preferences(service: Service) -> None:
    with_user_123(service)
    local = await core("4. Update Preferences", service)
    assert local["success"] is True
    assert service.profile("user_123").json()["preferences"] == {
        "timezone": "America/Los_Angeles",
        "language": "en",
        "theme": "dark",
        "notification_email": True,
        "notification_push": False,
    }


async def test_core_5_list_accounts(service: Service) -> None:
    service.ensure("p1", "john.premium@example.com", "John Premium", "premium")
    service.ensure("p2", "johnny@example.com", "Johnny Free", "free")
    service.ensure("p3", "mary@example.com", "Mary Premium", "premium")
    local = await core("5. List Accounts (Paginated)", service)
    result = local["result"]
    assert set(result) == {"accounts", "total_count", "page", "page_size", "has_next"}
    assert [a.user_id for a in result["accounts"]] == ["p1"]
    assert (result["total_count"], result["has_next"]) == (1, False)


async def test_core_6_search_accounts(service: Service, capsys: pytest.CaptureFixture) -> None:
    service.ensure("s1", "john@example.com", "John Doe")
    service.ensure("s2", "other@example.com", "Other Person")
    local = await core("6. Search Accounts", service)
    assert [a.user_id for a in local["results"]] == ["s1"]
    assert "John Doe - john@example.com" in capsys.readouterr().out


async def test_core_7_change_status(service: Service) -> None:
    with_user_123(service)
    await core("7. Change Account Status", service)
    # deactivated, then reactivated: visible again
    assert service.profile("user_123").status_code == 200
    statuses = [a["is_active"] for a in service.all_accounts() if a["user_id"] == "user_123"]
    assert statuses == [True]


async def test_core_8_soft_delete(service: Service) -> None:
    with_user_123(service)
    local = await core("8. Delete Account (Soft Delete)", service)
    assert local["success"] is True
    assert service.profile("user_123").status_code == 404
    rows = [a for a in service.all_accounts() if a["user_id"] == "user_123"]
    assert rows and rows[0]["is_active"] is False


async def test_best_practice_1_pooling_both_ways(service: Service) -> None:
    user_ids = [
        service.ensure(f"bp{i}", f"bp{i}@example.com", f"BP {i}")["user_id"] for i in range(3)
    ]
    dont, do = BLOCKS["1. Always Use Connection Pooling"]
    for code in (dont, do):
        local = await run_snippet(code, {"user_ids": user_ids})
        assert local["user_id"] == user_ids[-1]


async def test_best_practice_2_not_found_handling(service: Service) -> None:
    from client import AccountClient

    class HTTPException(Exception):
        def __init__(self, status: int, detail: str) -> None:
            self.status, self.detail = status, detail

    namespace = {"HTTPException": HTTPException, "logger": logging.getLogger("seed")}
    async with AccountClient("http://account-service:8202") as client:
        found = await run_snippet(
            BLOCKS["2. Handle Errors Gracefully"][0],
            {
                **namespace,
                "client": client,
                "user_id": service.ensure("e1", "e1@x.io", "E")["user_id"],
            },
        )
        missing = await run_snippet(
            BLOCKS["2. Handle Errors Gracefully"][0],
            {**namespace, "client": client, "user_id": "nobody"},
        )
    assert found["profile"].user_id == "e1"
    returned = missing["__returned__"]
    assert isinstance(returned, HTTPException) and returned.status == 404


async def test_best_practice_3_batch(service: Service) -> None:
    from client import AccountClient

    user_ids = [
        service.ensure(f"b{i}", f"b{i}@example.com", f"B {i}")["user_id"] for i in range(20)
    ]
    user_ids += ["missing-1", "missing-2"]
    async with AccountClient("http://account-service:8202") as client:
        local = await run_snippet(
            BLOCKS["3. Use Async Batch Operations"][0],
            {
                "client": client,
                "user_ids": user_ids,
                "AccountProfile": AccountProfile,
                "asyncio": asyncio,
            },
        )
    assert sorted(p.user_id for p in local["successful"]) == sorted(user_ids[:20])
    assert len(local["failed"]) == 2 and all("not found" in str(e).lower() for e in local["failed"])


async def test_best_practice_4_monitor(service: Service) -> None:
    from client import AccountClient

    alerts: list[str] = []
    async with AccountClient("http://account-service:8202") as client:
        await client.health_check()
        for missing in ("x1", "x2"):
            with pytest.raises(Exception, match="not found"):
                await client.get_account_profile(missing)
        local = await run_snippet(
            BLOCKS["4. Monitor Performance"][0],
            {
                "client": client,
                "logger": logging.getLogger("seed"),
                "alert_ops_team": alerts.append,
            },
        )
    metrics = local["metrics"]
    assert (metrics["total_requests"], metrics["total_errors"]) == (3, 2)
    assert metrics["error_rate"] == pytest.approx(2 / 3)
    assert alerts == ["High account service error rate"]
