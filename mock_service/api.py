"""The contract's routes (account-api.md), answering pre-serialized JSON.

Handlers return ``Response(orjson.dumps(...))`` directly: the declared
``response_model`` only documents the shape in /docs, FastAPI does not
re-validate a returned Response. Error details are the contract's exact text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mock_service import __version__, messages
from mock_service.schemas import (
    AccountList,
    AccountProfile,
    AccountStats,
    AccountSummary,
    Detail,
    DetailedHealth,
    EnsureRequest,
    Health,
    Message,
    Preferences,
    Reason,
    StatusRequest,
    UpdateProfileRequest,
)
from mock_service.state import DEFAULT_PORT, MockState
from mock_service.store import EmailTaken

JSON = "application/json"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Detail, "description": "unknown (or inactive) account"}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Detail, "description": "email belongs to another account"}
}


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type=JSON)


def _raw(body: bytes) -> Response:
    return Response(body, media_type=JSON)


def _not_found(user_id: str) -> Response:
    return Response(messages.account_not_found(user_id), status_code=404, media_type=JSON)


def _email_taken(email: str) -> Response:
    return _json({"detail": f"Email already in use: {email}"}, 409)


def _message(text: str) -> Response:
    return _json({"message": text})


def _port(request: Request) -> int:
    server = request.scope.get("server")
    return int(server[1]) if server and server[1] else DEFAULT_PORT


def health_router(state: MockState) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Health)
    async def health(request: Request) -> Response:
        return _json(
            {
                "status": "healthy",
                "service": "account_service",
                "port": _port(request),
                "version": __version__,
                "timestamp": datetime.now(UTC),
            }
        )

    @router.get("/health/detailed", response_model=DetailedHealth)
    async def health_detailed(request: Request) -> Response:
        return _json(
            {
                "service": "account_service",
                "status": "operational",
                "port": _port(request),
                "version": __version__,
                "database_connected": True,
                "timestamp": datetime.now(UTC),
            }
        )

    return router


def accounts_router(state: MockState) -> APIRouter:
    router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])

    @router.post("/ensure", response_model=AccountProfile, responses=CONFLICT)
    async def ensure_account(body: EnsureRequest) -> Response:
        store = state.store
        existing = store.get(body.account_id)
        if existing is not None:
            return _raw(existing.profile_json())
        try:
            account = store.create(
                body.account_id,
                body.email,
                body.name,
                body.subscription_plan,
                auth0_id=body.auth0_id,
            )
        except EmailTaken:
            return _email_taken(body.email)
        return _raw(account.profile_json())

    @router.get("/profile/{user_id}", response_model=AccountProfile, responses=NOT_FOUND)
    async def get_account_profile(user_id: str) -> Response:
        account = state.store.get_active(user_id)
        if account is None:
            return _not_found(user_id)
        return _raw(account.profile_json())

    @router.put(
        "/profile/{user_id}", response_model=AccountProfile, responses={**NOT_FOUND, **CONFLICT}
    )
    async def update_account_profile(user_id: str, body: UpdateProfileRequest) -> Response:
        store = state.store
        account = store.get_active(user_id)
        if account is None:
            return _not_found(user_id)
        preferences = body.preferences.given() if body.preferences is not None else None
        try:
            store.update(account, name=body.name, email=body.email, preferences=preferences)
        except EmailTaken:
            return _email_taken(body.email or "")
        return _raw(account.profile_json())

    @router.put("/preferences/{user_id}", response_model=Message, responses=NOT_FOUND)
    async def update_account_preferences(user_id: str, body: Preferences) -> Response:
        store = state.store
        account = store.get_active(user_id)
        if account is None:
            return _not_found(user_id)
        store.update(account, preferences=body.given())
        return _message("Preferences updated successfully")

    @router.get("", response_model=AccountList)
    async def list_accounts(
        page: Annotated[int, Query(ge=1, le=10**9)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 50,
        is_active: bool | None = None,
        subscription_status: Annotated[str | None, Query(max_length=50)] = None,
        search: Annotated[str | None, Query(max_length=100)] = None,
    ) -> Response:
        offset = (page - 1) * page_size
        result = state.store.list_page(
            offset=offset,
            limit=page_size,
            is_active=is_active,
            plan=subscription_status or None,
            search=search or None,
        )
        return _json(
            {
                "accounts": [a.summary() for a in result.accounts],
                "total_count": result.total_count,
                "page": page,
                "page_size": page_size,
                "has_next": offset + len(result.accounts) < result.total_count,
            }
        )

    @router.get("/search", response_model=list[AccountSummary])
    async def search_accounts(
        query: Annotated[str, Query(min_length=1, max_length=100)],
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        include_inactive: bool = False,
    ) -> Response:
        found = state.store.search(query, limit=limit, include_inactive=include_inactive)
        return _json([a.summary() for a in found])

    @router.get("/by-email/{email}", response_model=AccountProfile, responses=NOT_FOUND)
    async def get_account_by_email(email: str) -> Response:
        account = state.store.get_active_by_email(email)
        if account is None:
            return Response(messages.email_not_found(email), status_code=404, media_type=JSON)
        return _raw(account.profile_json())

    @router.put("/status/{user_id}", response_model=Message, responses=NOT_FOUND)
    async def change_account_status(user_id: str, body: StatusRequest) -> Response:
        store = state.store
        account = store.get(user_id)
        if account is None:
            return _not_found(user_id)
        store.set_active(account, body.is_active)
        verb = "activated" if body.is_active else "deactivated"
        return _message(f"Account {verb} successfully")

    @router.delete("/profile/{user_id}", response_model=Message, responses=NOT_FOUND)
    async def delete_account(
        user_id: str, reason: Annotated[Reason | None, Query()] = None
    ) -> Response:
        store = state.store
        account = store.get(user_id)
        if account is None:
            return _not_found(user_id)
        store.set_active(account, False)
        return _message("Account deleted successfully")

    @router.get("/stats", response_model=AccountStats)
    async def account_stats() -> Response:
        return _json(state.store.stats())

    return router
