"""Every operation of the contract through every client kind, against the live mock."""

from __future__ import annotations

from datetime import datetime

import pytest

from client import (
    AccountConflictError,
    AccountNotFoundError,
    AccountProfile,
    AccountSummary,
    AccountValidationError,
)


async def test_ensure_creates_then_returns_the_stored_account(make_client, mock_url) -> None:
    client = make_client(mock_url)
    first = await client.ensure_account("auth0|42", "ann@example.com", "Ann", "premium")
    assert isinstance(first, AccountProfile)
    assert (first.user_id, first.auth0_id, first.subscription_status) == (
        "auth0|42",
        "auth0|42",
        "premium",
    )
    assert first.credits_remaining == first.credits_total == 1000.0
    assert isinstance(first.created_at, datetime) and first.created_at.tzinfo is not None
    again = await client.ensure_account("auth0|42", "ann@example.com", "Another Name")
    assert again.name == "Ann" and again.created_at == first.created_at


async def test_profile_by_id_and_by_email(make_client, mock_url) -> None:
    client = make_client(mock_url)
    await client.ensure_account("u1", "u1@example.com", "User One")
    assert (await client.get_account_profile("u1")).email == "u1@example.com"
    assert (await client.get_account_by_email("u1@example.com")).user_id == "u1"
    assert await client.get_account_by_email("nobody@example.com") is None


async def test_missing_profile_raises_not_found_with_the_server_detail(
    make_client, mock_url
) -> None:
    client = make_client(mock_url)
    with pytest.raises(AccountNotFoundError) as caught:
        await client.get_account_profile("ghost")
    error = caught.value
    assert (error.operation, error.status, error.attempts) == ("get_account_profile", 404, 1)
    assert error.detail == "Account not found: ghost"
    assert "not found" in str(error).lower()


async def test_update_profile(make_client, mock_url) -> None:
    client = make_client(mock_url)
    await client.ensure_account("u1", "u1@example.com", "User One")
    await client.ensure_account("u2", "u2@example.com", "User Two")
    updated = await client.update_account_profile("u1", name="Renamed", email="new@example.com")
    assert (updated.name, updated.email) == ("Renamed", "new@example.com")
    with pytest.raises(AccountConflictError) as conflict:
        await client.update_account_profile("u1", email="u2@example.com")
    assert conflict.value.status == 409
    with pytest.raises(AccountValidationError) as invalid:
        await client.update_account_profile("u1", email="not-an-email")
    assert invalid.value.status == 422 and isinstance(invalid.value.detail, list)
    with pytest.raises(AccountNotFoundError):
        await client.update_account_profile("ghost", name="x")


async def test_update_profile_needs_a_field_and_sends_nothing_without_one(
    make_client, mock_url
) -> None:
    client = make_client(mock_url)
    with pytest.raises(ValueError, match="at least one"):
        await client.update_account_profile("u1")
    assert client.get_metrics()["total_requests"] == 0


async def test_preferences_are_merged(make_client, mock_url) -> None:
    client = make_client(mock_url)
    await client.ensure_account("u1", "u1@example.com", "User One")
    assert await client.update_account_preferences("u1", theme="dark", language="en") is True
    assert await client.update_account_preferences("u1", notification_push=False) is True
    profile = await client.get_account_profile("u1")
    assert profile.preferences == {"theme": "dark", "language": "en", "notification_push": False}
    with pytest.raises(AccountValidationError):
        await client.update_account_preferences("u1", theme="neon")


async def test_list_accounts_pages_filters_and_counts(make_client, mock_url) -> None:
    client = make_client(mock_url)
    for i in range(7):
        plan = "premium" if i % 2 else "free"
        await client.ensure_account(f"l{i}", f"list{i}@example.com", f"Lister {i}", plan)
    await client.change_account_status("l6", False)
    page = await client.list_accounts(page=1, page_size=3)
    assert [a.user_id for a in page["accounts"]] == ["l6", "l5", "l4"]  # newest first
    assert (page["total_count"], page["page"], page["page_size"], page["has_next"]) == (
        7,
        1,
        3,
        True,
    )
    assert all(isinstance(a, AccountSummary) for a in page["accounts"])
    last = await client.list_accounts(page=3, page_size=3)
    assert [a.user_id for a in last["accounts"]] == ["l0"] and last["has_next"] is False
    active_premium = await client.list_accounts(is_active=True, subscription_status="premium")
    assert [a.user_id for a in active_premium["accounts"]] == ["l5", "l3", "l1"]
    searched = await client.list_accounts(search="LIST4")
    assert [a.user_id for a in searched["accounts"]] == ["l4"]
    with pytest.raises(AccountValidationError):
        await client.list_accounts(page_size=0)


async def test_search_hides_inactive_unless_asked(make_client, mock_url) -> None:
    client = make_client(mock_url)
    await client.ensure_account("s1", "zed.one@example.com", "Zed One")
    await client.ensure_account("s2", "zed.two@example.com", "Zed Two")
    await client.ensure_account("s3", "other@example.com", "Other")
    await client.delete_account("s1", reason="test")
    assert [a.user_id for a in await client.search_accounts("zed")] == ["s2"]
    both = await client.search_accounts("ZED", limit=10, include_inactive=True)
    assert [(a.user_id, a.is_active) for a in both] == [("s2", True), ("s1", False)]
    assert [
        a.user_id for a in await client.search_accounts("zed", limit=1, include_inactive=True)
    ] == ["s2"]


async def test_status_changes_and_soft_delete(make_client, mock_url) -> None:
    client = make_client(mock_url)
    await client.ensure_account("a1", "a1@example.com", "Alpha")
    assert await client.change_account_status("a1", False, reason="suspended") is True
    with pytest.raises(AccountNotFoundError):
        await client.get_account_profile("a1")
    assert await client.get_account_by_email("a1@example.com") is None
    assert await client.change_account_status("a1", True) is True
    assert (await client.get_account_profile("a1")).is_active is True
    assert await client.delete_account("a1", reason="GDPR") is True
    rows = (await client.list_accounts())["accounts"]
    assert [(a.user_id, a.is_active) for a in rows] == [("a1", False)]
    for call in (client.delete_account("nobody"), client.change_account_status("nobody", True)):
        with pytest.raises(AccountNotFoundError):
            await call


async def test_stats_and_health(make_client, seeded_url) -> None:
    client = make_client(seeded_url)
    stats = await client.get_service_stats()
    assert stats["total_accounts"] == 200
    assert stats["active_accounts"] + stats["inactive_accounts"] == 200
    assert sum(stats["accounts_by_subscription"].values()) == 200
    health = await client.health_check()
    assert (health["status"], health["service"]) == ("healthy", "account_service")


@pytest.mark.parametrize(
    ("user_id", "email"),
    [
        ("auth0|123", "a+b@x.com"),
        ("user with spaces", "first.last+tag@example.co.uk"),
        ("ünïcödé-ß", "o'brien@example.com"),
        ("50%off?&#", "percent%sign@example.com"),
    ],
)
async def test_odd_ids_and_emails_round_trip(make_client, mock_url, user_id, email) -> None:
    client = make_client(mock_url)
    created = await client.ensure_account(user_id, email, "Odd One")
    assert created.user_id == user_id
    assert (await client.get_account_profile(user_id)).email == email
    assert (await client.get_account_by_email(email)).user_id == user_id
    assert await client.update_account_preferences(user_id, theme="auto") is True
    assert await client.delete_account(user_id) is True
