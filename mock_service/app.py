"""``create_app``: the mock account service as a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from mock_service import __version__, errors
from mock_service.api import accounts_router, health_router
from mock_service.control import control_router
from mock_service.middleware import ProfileMiddleware
from mock_service.profile import Profile, load_profile
from mock_service.state import MockState


def create_app(
    profile: Profile | str = "fast",
    *,
    accounts: int = 0,
    seed: int = 42,
    require_token: str | None = None,
) -> FastAPI:
    """A fresh mock with its own store of ``accounts`` seeded accounts (ids seed_user_NNNNNN)."""
    state = MockState(
        profile=load_profile(profile), accounts=accounts, seed=seed, require_token=require_token
    )
    app = FastAPI(
        title="account_service (mock)",
        version=__version__,
        description="Mock of the account service contract (account-api.md).",
    )
    app.state.mock = state
    errors.install(app)
    app.include_router(health_router(state))
    app.include_router(accounts_router(state))
    app.include_router(control_router(state))
    app.add_middleware(ProfileMiddleware, state=state)
    return app
