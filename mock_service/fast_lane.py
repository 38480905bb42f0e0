"""Hot read endpoints answered straight from the middleware, skipping FastAPI routing.

FastAPI's routing and dependency solving cost ~100 us per request, as much
as the whole bare endpoint the mock is compared with. A profile read is one
dict lookup plus cached JSON, so ``GET .../profile/{user_id}`` and
``GET .../by-email/{email}`` are answered here with the same status, body
and headers as their FastAPI routes (which stay for /docs and as the
reference; tests compare both). The id is the decoded path segment, exactly
what Starlette passes to the route.
"""

from __future__ import annotations

from mock_service import endpoints, messages
from mock_service.store import AccountStore

_PROFILE = endpoints.PREFIX + "/profile/"
_BY_EMAIL = endpoints.PREFIX + "/by-email/"


def answer(store: AccountStore, endpoint: str, path: str) -> tuple[int, bytes] | None:
    """(status, JSON body) for a hot endpoint, or None to let FastAPI handle the request."""
    if endpoint == endpoints.GET_PROFILE:
        user_id = path[len(_PROFILE) :]
        account = store.get_active(user_id)
        if account is None:
            return 404, messages.account_not_found(user_id)
        return 200, account.profile_json()
    if endpoint == endpoints.BY_EMAIL:
        email = path[len(_BY_EMAIL) :]
        if not email or "/" in email:
            return None
        account = store.get_active_by_email(email)
        if account is None:
            return 404, messages.email_not_found(email)
        return 200, account.profile_json()
    return None
