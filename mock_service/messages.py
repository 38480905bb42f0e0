"""The contract's exact error bodies, shared by the routes and the fast lane."""

from __future__ import annotations

import orjson


def account_not_found(user_id: str) -> bytes:
    return orjson.dumps({"detail": f"Account not found: {user_id}"})


def email_not_found(email: str) -> bytes:
    return orjson.dumps({"detail": f"Account not found with email: {email}"})
