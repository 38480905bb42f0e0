"""Request bodies (validated, so bad input is a 422) and response shapes (for /docs only).

Handlers return pre-serialized JSON, so the response models below document
the contract in OpenAPI without costing a validation per response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator


def _utf8(value: str) -> str:
    """Reject lone surrogates (JSON allows "\\ud800"): they could not be answered back."""
    value.encode("utf-8")
    return value


Text = Annotated[str, AfterValidator(_utf8)]
Plan = Literal["free", "basic", "premium", "enterprise", "pro", "active"]
Theme = Literal["light", "dark", "auto"]
AccountId = Annotated[Text, StringConstraints(min_length=1, max_length=255, pattern=r"^[^/]+$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s/]+@[^@\s/]+\.[^@\s/.]+$")]
Name = Annotated[Text, StringConstraints(min_length=1, max_length=100)]
Reason = Annotated[Text, StringConstraints(max_length=255)]


class Preferences(BaseModel):
    """The known preference keys; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    timezone: Annotated[Text, StringConstraints(max_length=64)] | None = None
    language: Annotated[Text, StringConstraints(max_length=5)] | None = None
    theme: Theme | None = None
    notification_email: bool | None = None
    notification_push: bool | None = None

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class EnsureRequest(BaseModel):
    """``auth0_id`` or ``user_id`` (both accepted: the real client and server disagreed)."""

    auth0_id: AccountId | None = None
    user_id: AccountId | None = None
    email: Email
    name: Name
    subscription_plan: Plan = "free"

    @model_validator(mode="after")
    def _one_id(self) -> EnsureRequest:
        if self.auth0_id is None and self.user_id is None:
            raise ValueError("auth0_id or user_id is required")
        if self.auth0_id is not None and self.user_id is not None and self.auth0_id != self.user_id:
            raise ValueError("auth0_id and user_id differ")
        return self

    @property
    def account_id(self) -> str:
        return self.auth0_id or self.user_id or ""


class UpdateProfileRequest(BaseModel):
    name: Name | None = None
    email: Email | None = None
    preferences: Preferences | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> UpdateProfileRequest:
        if self.name is None and self.email is None and self.preferences is None:
            raise ValueError("give at least one of name, email, preferences")
        return self


class StatusRequest(BaseModel):
    is_active: bool
    reason: Reason | None = None


# -- response shapes, for the OpenAPI schema ---------------------------------------------


class AccountProfile(BaseModel):
    user_id: str
    auth0_id: str | None
    email: str
    name: str
    subscription_status: Plan
    credits_remaining: float
    credits_total: float
    is_active: bool
    preferences: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class AccountSummary(BaseModel):
    user_id: str
    email: str
    name: str
    subscription_status: Plan
    is_active: bool
    created_at: datetime


class AccountList(BaseModel):
    accounts: list[AccountSummary]
    total_count: int
    page: int
    page_size: int
    has_next: bool


class Message(BaseModel):
    message: str


class Detail(BaseModel):
    detail: str


class AccountStats(BaseModel):
    total_accounts: int
    active_accounts: int
    inactive_accounts: int
    accounts_by_subscription: dict[str, int]
    recent_registrations_7d: int
    recent_registrations_30d: int


class Health(BaseModel):
    status: str
    service: str
    port: int
    version: str
    timestamp: datetime


class DetailedHealth(BaseModel):
    service: str
    status: str
    port: int
    version: str
    database_connected: bool
    timestamp: datetime
