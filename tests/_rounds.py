"""One round of every operation through a sync client: the smoke test every engine must pass."""

from __future__ import annotations

from typing import Any

import pytest

from client import AccountNotFoundError


def every_operation(client: Any, tag: str) -> None:
    """Each of the contract's operations once, on an account named after ``tag``; 12 requests."""
    email, name = f"{tag}@example.com", f"{tag.title()} One"
    made = client.ensure_account(f"auth0|{tag}", email, name)
    assert client.get_account_profile(made.user_id).email == email
    assert client.get_account_by_email(email).user_id == made.user_id
    assert client.get_account_by_email("nobody@example.com") is None
    assert client.update_account_preferences(made.user_id, theme="dark") is True
    assert client.update_account_profile(made.user_id, name=tag.title()).name == tag.title()
    assert client.list_accounts(page_size=5)["accounts"]
    assert isinstance(client.search_accounts(tag.title()), list)
    assert client.change_account_status(made.user_id, False) is True
    with pytest.raises(AccountNotFoundError):
        client.get_account_profile(made.user_id)
    assert client.delete_account(made.user_id, reason="test") is True
    assert client.health_check()["status"] == "healthy"
    assert client.get_metrics()["total_requests"] == 12
