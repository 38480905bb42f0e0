"""A small stand-in for the REAL account service: the contract as it really answers.

Unlike the mock, it requires ``user_id`` on ensure (pydantic ``user_id: str``,
so without it FastAPI answers 422 ``user_id: Field required``), and its
profiles lack the credit figures, carry ``auth0_id`` null, zone-less
timestamps and a field the contract does not know. Like the real service it
answers 200 to a status change or delete of an unknown id and 500 to
preferences for one. Everything else follows account-api.md.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException
from pydantic import BaseModel

A = "/api/v1/accounts"
JsonObject = Annotated[dict[str, Any], Body()]


class EnsureBody(BaseModel):
    user_id: str
    auth0_id: str | None = None
    email: str
    name: str
    subscription_plan: str = "free"


class StatusBody(BaseModel):
    is_active: bool
    reason: str | None = None


def real_like_app() -> FastAPI:
    app = FastAPI()
    accounts: dict[str, dict[str, Any]] = {}

    def profile(account: dict[str, Any]) -> dict[str, Any]:
        return {**account, "auth0_id": None, "legacy_tier": 3}

    def summary(account: dict[str, Any]) -> dict[str, Any]:
        keys = ("user_id", "email", "name", "subscription_status", "is_active", "created_at")
        return {key: account[key] for key in keys}

    def active(user_id: str) -> dict[str, Any]:
        account = accounts.get(user_id)
        if account is None or not account["is_active"]:
            raise HTTPException(404, f"Account not found: {user_id}")
        return account

    def newest_first(query: str = "", include_inactive: bool = True) -> list[dict[str, Any]]:
        query = query.lower()
        return [
            a
            for a in reversed(accounts.values())
            if (include_inactive or a["is_active"])
            and (query in a["name"].lower() or query in a["email"].lower())
        ]

    def now() -> str:
        return datetime.now().replace(microsecond=0).isoformat()  # no zone, as it really answers

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "healthy", "service": "account_service", "port": 8202}

    @app.post(f"{A}/ensure")
    def ensure(body: EnsureBody) -> dict[str, Any]:
        if body.user_id not in accounts:
            accounts[body.user_id] = {
                "user_id": body.user_id,
                "email": body.email,
                "name": body.name,
                "subscription_status": body.subscription_plan,
                "is_active": True,
                "preferences": {},
                "created_at": now(),
                "updated_at": now(),
            }
        return profile(accounts[body.user_id])

    @app.get(f"{A}/profile/{{user_id}}")
    def get_profile(user_id: str) -> dict[str, Any]:
        return profile(active(user_id))

    @app.put(f"{A}/profile/{{user_id}}")
    def update_profile(user_id: str, body: JsonObject) -> dict[str, Any]:
        account = active(user_id)
        account.update({k: body[k] for k in ("name", "email") if k in body})
        account["preferences"].update(body.get("preferences") or {})
        account["updated_at"] = now()
        return profile(account)

    @app.put(f"{A}/preferences/{{user_id}}")
    def preferences(user_id: str, body: JsonObject) -> dict[str, str]:
        if user_id not in accounts:
            raise HTTPException(500, "Internal server error")
        accounts[user_id]["preferences"].update(body)
        return {"message": "Preferences updated successfully"}

    @app.get(A)
    def list_accounts(page: int = 1, page_size: int = 50, search: str = "") -> dict[str, Any]:
        rows = newest_first(search)
        chunk = rows[(page - 1) * page_size : page * page_size]
        return {
            "accounts": [summary(a) for a in chunk],
            "total_count": len(rows),
            "page": page,
            "page_size": page_size,
            "has_next": page * page_size < len(rows),
        }

    @app.get(f"{A}/search")
    def search(query: str, limit: int = 50, include_inactive: bool = False) -> list[Any]:
        return [summary(a) for a in newest_first(query, include_inactive)[:limit]]

    @app.get(f"{A}/by-email/{{email}}")
    def by_email(email: str) -> dict[str, Any]:
        for account in accounts.values():
            if account["email"] == email and account["is_active"]:
                return profile(account)
        raise HTTPException(404, f"Account not found with email: {email}")

    @app.put(f"{A}/status/{{user_id}}")
    def change_status(user_id: str, body: StatusBody) -> dict[str, str]:
        if user_id in accounts:  # an unknown id: 200 all the same
            accounts[user_id]["is_active"] = body.is_active
        return {"message": f"Account {'' if body.is_active else 'de'}activated successfully"}

    @app.delete(f"{A}/profile/{{user_id}}")
    def delete(user_id: str) -> dict[str, str]:
        if user_id in accounts:
            accounts[user_id]["is_active"] = False
        return {"message": "Account deleted successfully"}

    @app.get(f"{A}/stats")
    def stats() -> dict[str, Any]:
        live = sum(a["is_active"] for a in accounts.values())
        return {
            "total_accounts": len(accounts),
            "active_accounts": live,
            "inactive_accounts": len(accounts) - live,
        }

    return app
