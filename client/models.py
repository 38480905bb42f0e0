"""The account shapes of the contract, as the seed's dataclasses.

Parsing is tolerant in the way callers need: fields a newer server adds are
ignored, optional fields it leaves out take their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


@dataclass(slots=True)
class AccountProfile:
    user_id: str
    auth0_id: str | None = None
    email: str = ""
    name: str = ""
    subscription_status: str = "free"
    credits_remaining: float = 0.0
    credits_total: float = 0.0
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
            credits_remaining=float(data.get("credits_remaining") or 0.0),
            credits_total=float(data.get("credits_total") or 0.0),
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
