"""The account shapes of the contract, as the seed's dataclasses.

Parsing is tolerant in the way callers need: fields a newer server adds are
ignored, optional fields it leaves out take their defaults. Older versions of
the real service omit the credit figures: those read as None (not known), never
as 0.0, which would claim an empty balance. A timestamp without a zone is read
as UTC, so every timestamp the client hands out can be compared with any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _figure(value: Any) -> float | None:
    """A number the server sent, or None when it sent none (a missing figure is not zero)."""
    return None if value is None else float(value)


@dataclass(slots=True)
class AccountProfile:
    user_id: str
    auth0_id: str | None = None
    email: str = ""
    name: str = ""
    subscription_status: str = "free"
    credits_remaining: float | None = None
    credits_total: float | None = None
    is_active: bool = True
    preferences: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountProfile:
        return cls(
            user_id=str(data["user_id"]),
            auth0_id=data.get("auth0_id"),
            email=data.get("email") or "",
            name=data.get("name") or "",
            subscription_status=data.get("subscription_status") or "free",
            credits_remaining=_figure(data.get("credits_remaining")),
            credits_total=_figure(data.get("credits_total")),
            is_active=bool(data.get("is_active", True)),
            preferences=dict(data.get("preferences") or {}),
            created_at=_timestamp(data.get("created_at")),
            updated_at=_timestamp(data.get("updated_at")),
        )


@dataclass(slots=True)
class AccountSummary:
    user_id: str
    email: str = ""
    name: str = ""
    subscription_status: str = "free"
    is_active: bool = True
    created_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountSummary:
        return cls(
            user_id=str(data["user_id"]),
            email=data.get("email") or "",
            name=data.get("name") or "",
            subscription_status=data.get("subscription_status") or "free",
            is_active=bool(data.get("is_active", True)),
            created_at=_timestamp(data.get("created_at")),
        )
