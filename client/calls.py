"""Every operation of the contract as a transport-free :class:`Call`.

A call knows its HTTP method, its percent-encoded target, its JSON body and
how to turn a successful answer into the seed's return type. The async and
sync clients only differ in how they send it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode

import orjson

from client.models import AccountProfile, AccountSummary

T = TypeVar("T")

_ACCOUNTS = "/api/v1/accounts"
_RAISE = object()


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    operation: str
    method: str
    target: str
    body: bytes | None
    parse: Callable[[Any], T]
    #: what a 404 answer means: raise (the default) or return this value
    on_not_found: Any = _RAISE

    @property
    def not_found_is_error(self) -> bool:
        return self.on_not_found is _RAISE


def _segment(value: str) -> str:
    """Percent-encode one path segment: ``auth0|123``, ``a+b@x.com``, spaces, slashes."""
    return quote(str(value), safe="")


def _query(**params: Any) -> str:
    pairs = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append((key, value))
    return "?" + urlencode(pairs, quote_via=quote) if pairs else ""


def _json(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload)


def _message_is(expected: str) -> Callable[[Any], bool]:
    return lambda payload: isinstance(payload, dict) and payload.get("message") == expected


def _message_contains(fragment: str) -> Callable[[Any], bool]:
    return lambda payload: isinstance(payload, dict) and fragment in str(payload.get("message"))


def _summaries(payload: Any) -> list[AccountSummary]:
    return [AccountSummary.from_dict(row) for row in payload]


def _page(payload: dict[str, Any]) -> dict[str, Any]:
    accounts = payload.get("accounts") or []
    return {
        "accounts": _summaries(accounts),
        "total_count": payload.get("total_count", len(accounts)),
        "page": payload.get("page"),
        "page_size": payload.get("page_size"),
        "has_next": bool(payload.get("has_next", False)),
    }


def _as_dict(payload: Any) -> dict[str, Any]:
    return payload if isinstance(payload, dict) else {"value": payload}


def ensure_account(
    auth0_id: str, email: str, name: str, subscription_plan: str = "free"
) -> Call[AccountProfile]:
    # the real service requires user_id, the seed's client sent auth0_id: send both
    body = {
        "user_id": auth0_id,
        "auth0_id": auth0_id,
        "email": email,
        "name": name,
        "subscription_plan": subscription_plan,
    }
    return Call(
        "ensure_account", "POST", f"{_ACCOUNTS}/ensure", _json(body), AccountProfile.from_dict
    )


def get_account_profile(user_id: str) -> Call[AccountProfile]:
    return Call(
        "get_account_profile",
        "GET",
        f"{_ACCOUNTS}/profile/{_segment(user_id)}",
        None,
        AccountProfile.from_dict,
    )


def get_account_by_email(email: str) -> Call[AccountProfile | None]:
    return Call(
        "get_account_by_email",
        "GET",
        f"{_ACCOUNTS}/by-email/{_segment(email)}",
        None,
        AccountProfile.from_dict,
        on_not_found=None,
    )


def update_account_profile(
    user_id: str,
    name: str | None = None,
    email: str | None = None,
    preferences: dict[str, Any] | None = None,
) -> Call[AccountProfile]:
    fields = {"name": name, "email": email, "preferences": preferences}
    body = {key: value for key, value in fields.items() if value is not None}
    if not body:
        raise ValueError("update_account_profile needs at least one of name, email, preferences")
    return Call(
        "update_account_profile",
        "PUT",
        f"{_ACCOUNTS}/profile/{_segment(user_id)}",
        _json(body),
        AccountProfile.from_dict,
    )


def update_account_preferences(user_id: str, **preferences: Any) -> Call[bool]:
    body = {key: value for key, value in preferences.items() if value is not None}
    return Call(
        "update_account_preferences",
        "PUT",
        f"{_ACCOUNTS}/preferences/{_segment(user_id)}",
        _json(body),
        _message_is("Preferences updated successfully"),
    )


def list_accounts(
    page: int = 1,
    page_size: int = 50,
    is_active: bool | None = None,
    subscription_status: str | None = None,
    search: str | None = None,
) -> Call[dict[str, Any]]:
    query = _query(
        page=page,
        page_size=page_size,
        is_active=is_active,
        subscription_status=subscription_status,
        search=search,
    )
    return Call("list_accounts", "GET", f"{_ACCOUNTS}{query}", None, _page)


def search_accounts(
    query: str, limit: int = 50, include_inactive: bool = False
) -> Call[list[AccountSummary]]:
    params = _query(query=query, limit=limit, include_inactive=include_inactive)
    return Call("search_accounts", "GET", f"{_ACCOUNTS}/search{params}", None, _summaries)


def change_account_status(user_id: str, is_active: bool, reason: str | None = None) -> Call[bool]:
    body: dict[str, Any] = {"is_active": is_active}
    if reason is not None:
        body["reason"] = reason
    return Call(
        "change_account_status",
        "PUT",
        f"{_ACCOUNTS}/status/{_segment(user_id)}",
        _json(body),
        _message_contains("successfully"),
    )


def delete_account(user_id: str, reason: str | None = None) -> Call[bool]:
    return Call(
        "delete_account",
        "DELETE",
        f"{_ACCOUNTS}/profile/{_segment(user_id)}{_query(reason=reason)}",
        None,
        _message_is("Account deleted successfully"),
    )


def get_service_stats() -> Call[dict[str, Any]]:
    return Call("get_service_stats", "GET", f"{_ACCOUNTS}/stats", None, _as_dict)


def health_check() -> Call[dict[str, Any]]:
    return Call("health_check", "GET", "/health", None, _as_dict)
