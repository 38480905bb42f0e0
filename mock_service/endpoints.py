"""The contract's endpoints as route templates, and a cheap path classifier.

The profile middleware runs before FastAPI's router, so it classifies a
request itself (a few string operations, no regex) to pick the endpoint's
latency and to key the stats by route template.
"""

from __future__ import annotations

PREFIX = "/api/v1/accounts"

ENSURE = "POST /api/v1/accounts/ensure"
GET_PROFILE = "GET /api/v1/accounts/profile/{user_id}"
UPDATE_PROFILE = "PUT /api/v1/accounts/profile/{user_id}"
DELETE_ACCOUNT = "DELETE /api/v1/accounts/profile/{user_id}"
UPDATE_PREFERENCES = "PUT /api/v1/accounts/preferences/{user_id}"
LIST_ACCOUNTS = "GET /api/v1/accounts"
SEARCH_ACCOUNTS = "GET /api/v1/accounts/search"
BY_EMAIL = "GET /api/v1/accounts/by-email/{email}"
CHANGE_STATUS = "PUT /api/v1/accounts/status/{user_id}"
ACCOUNT_STATS = "GET /api/v1/accounts/stats"
OTHER = "OTHER"
"""Key for API requests that match no contract route (they get the default latency)."""

# Short names accepted in profile files, for readability.
ALIASES: dict[str, str] = {
    "ensure": ENSURE,
    "get_profile": GET_PROFILE,
    "update_profile": UPDATE_PROFILE,
    "delete": DELETE_ACCOUNT,
    "update_preferences": UPDATE_PREFERENCES,
    "list": LIST_ACCOUNTS,
    "search": SEARCH_ACCOUNTS,
    "by_email": BY_EMAIL,
    "change_status": CHANGE_STATUS,
    "stats": ACCOUNT_STATS,
}
TEMPLATES: frozenset[str] = frozenset(ALIASES.values())

_FIXED: dict[tuple[str, str], str] = {
    ("POST", "/ensure"): ENSURE,
    ("GET", "/search"): SEARCH_ACCOUNTS,
    ("GET", "/stats"): ACCOUNT_STATS,
    ("GET", ""): LIST_ACCOUNTS,
}
_WITH_ID: dict[tuple[str, str], str] = {
    ("GET", "profile"): GET_PROFILE,
    ("PUT", "profile"): UPDATE_PROFILE,
    ("DELETE", "profile"): DELETE_ACCOUNT,
    ("PUT", "preferences"): UPDATE_PREFERENCES,
    ("PUT", "status"): CHANGE_STATUS,
}


def normalize(name: str) -> str:
    """Map a short alias or a route template to the route template; raise on unknown."""
    key = ALIASES.get(name, name)
    if key not in TEMPLATES:
        raise ValueError(f"unknown endpoint {name!r}; use one of {sorted(ALIASES)} or a template")
    return key


def classify(method: str, path: str) -> str | None:
    """Route template for an API request, OTHER for unmatched API paths, None for non-API."""
    if not path.startswith("/api/"):
        return None
    if not path.startswith(PREFIX):
        return OTHER
    rest = path[len(PREFIX) :]
    if rest and rest[0] != "/":
        return OTHER
    fixed = _FIXED.get((method, rest))
    if fixed is not None:
        return fixed
    if method == "GET" and rest.startswith("/by-email/"):
        return BY_EMAIL
    parts = rest.split("/")
    # rest == "/kind/id" -> ["", kind, id]; a single non-empty id segment like Starlette's {x}
    if len(parts) == 3 and parts[2]:
        found = _WITH_ID.get((method, parts[1]))
        if found is not None:
            return found
    return OTHER
