"""The client against a stand-in for the real service, which answers the contract differently."""

from __future__ import annotations

from datetime import UTC

import httpx
import pytest

from client import AccountValidationError
from tests.client.real_like_app import real_like_app


@pytest.fixture
def real_url(live_server) -> str:
    return live_server(real_like_app()).url


def test_the_stand_in_refuses_the_seeds_ensure_body(real_url) -> None:
    """Without this, the next test could pass with a client that never sends user_id."""
    seeds_body = {"auth0_id": "u1", "email": "u1@example.com", "name": "U1"}
    answer = httpx.post(f"{real_url}/api/v1/accounts/ensure", json=seeds_body)
    assert answer.status_code == 422
    error = AccountValidationError(status=422, detail=answer.json()["detail"])
    assert "user_id: Field required" in str(error)


async def test_ensure_and_read_back_work_on_the_real_service(make_client, real_url) -> None:
    client = make_client(real_url)
    created = await client.ensure_account("auth0|7", "seven@example.com", "Seven", "premium")
    profile = await client.get_account_profile("auth0|7")
    for account in (created, profile):
        assert (account.user_id, account.email, account.name) == (
            "auth0|7",
            "seven@example.com",
            "Seven",
        )
        assert account.subscription_status == "premium"
        assert account.auth0_id is None
        assert account.credits_remaining is None and account.credits_total is None
        assert account.created_at is not None and account.created_at.tzinfo is UTC
    again = await client.ensure_account("auth0|7", "seven@example.com", "Another")
    assert again.name == "Seven"
    assert (await client.get_account_by_email("seven@example.com")).user_id == "auth0|7"
