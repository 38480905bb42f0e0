"""Every endpoint of account-api.md over a real uvicorn server, with exact messages."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import httpx
import pytest

from mock_service import nesting
from mock_service.seeding import seed_user_id
from tests.mock_service.conftest import LOOP

PROFILE_FIELDS = {
    "user_id",
    "auth0_id",
    "email",
    "name",
    "subscription_status",
    "credits_remaining",
    "credits_total",
    "is_active",
    "preferences",
    "created_at",
    "updated_at",
}
SUMMARY_FIELDS = {"user_id", "email", "name", "subscription_status", "is_active", "created_at"}
A = "/api/v1/accounts"


def ensure(
    api: httpx.Client, uid: str, email: str, name: str = "Test User", **extra
) -> httpx.Response:
    return api.post(f"{A}/ensure", json={"auth0_id": uid, "email": email, "name": name, **extra})


def test_health(api: httpx.Client) -> None:
    port = int(str(api.base_url).rsplit(":", 1)[1].rstrip("/"))
    body = api.get("/health").json()
    assert body["status"] == "healthy"
    assert body["service"] == "account_service"
    assert body["port"] == port
    assert isinstance(body["version"], str)
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    detailed = api.get("/health/detailed").json()
    assert detailed["status"] == "operational"
    assert detailed["service"] == "account_service"
    assert detailed["database_connected"] is True
    assert detailed["port"] == port


def test_docs_and_openapi(api: httpx.Client) -> None:
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert f"{A}/profile/{{user_id}}" in paths
    assert f"{A}/by-email/{{email}}" in paths
    assert not any(p.startswith("/_mock") for p in paths)


def test_ensure_creates_and_is_idempotent(api: httpx.Client) -> None:
    r = ensure(api, "auth0|abc", "new.user@example.com", "New User")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == PROFILE_FIELDS
    assert body["user_id"] == "auth0|abc"
    assert body["auth0_id"] == "auth0|abc"
    assert body["subscription_status"] == "free"
    assert body["credits_remaining"] == 1000.0
    assert body["credits_total"] == 1000.0
    assert body["is_active"] is True
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    again = ensure(api, "auth0|abc", "other@example.com", "Other Name", subscription_plan="pro")
    assert again.status_code == 200
    assert again.json() == body  # unchanged
    assert api.get(f"{A}/profile/{quote('auth0|abc')}").json() == body


def test_ensure_accepts_user_id_and_plan(api: httpx.Client) -> None:
    r = api.post(
        f"{A}/ensure",
        json={
            "user_id": "u-1",
            "email": "u1@example.com",
            "name": "U",
            "subscription_plan": "premium",
        },
    )
    assert r.status_code == 200
    assert r.json()["user_id"] == "u-1"
    assert r.json()["subscription_status"] == "premium"


ENSURE_INVALID = [
    {"email": "a@example.com", "name": "No Id"},
    {"auth0_id": "x1", "email": "not-an-email", "name": "Bad"},
    {"auth0_id": "x1", "email": "a b@example.com", "name": "Bad"},
    {"auth0_id": "x1", "email": "a@example.com", "name": ""},
    {"auth0_id": "x1", "email": "a@example.com", "name": "n" * 101},
    {"auth0_id": "x1", "email": "a@example.com", "name": "N", "subscription_plan": "gold"},
    {"auth0_id": "x1", "user_id": "x2", "email": "a@example.com", "name": "N"},
    {"auth0_id": 5, "email": "a@example.com", "name": "N"},
    [],
]


def test_ensure_validation(api: httpx.Client) -> None:
    for body in ENSURE_INVALID:
        r = api.post(f"{A}/ensure", json=body)
        assert r.status_code == 422, (body, r.text)
        assert isinstance(r.json()["detail"], list)
    assert api.get(A).json()["total_count"] == 200


def test_ensure_invalid_json(api: httpx.Client) -> None:
    r = api.post(f"{A}/ensure", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_ensure_email_taken(api: httpx.Client) -> None:
    assert ensure(api, "first", "taken@example.com").status_code == 200
    r = ensure(api, "second", "TAKEN@example.com")
    assert r.status_code == 409
    assert "taken@example.com" in r.json()["detail"].lower()
    assert api.get(f"{A}/profile/second").status_code == 404


def test_get_profile_unknown_and_inactive(api: httpx.Client) -> None:
    r = api.get(f"{A}/profile/nobody")
    assert r.status_code == 404
    assert r.json() == {"detail": "Account not found: nobody"}
    ensure(api, "gone", "gone@example.com")
    api.put(f"{A}/status/gone", json={"is_active": False})
    assert api.get(f"{A}/profile/gone").json() == {"detail": "Account not found: gone"}


def test_update_profile(api: httpx.Client) -> None:
    ensure(api, "upd", "upd@example.com", "Before")
    ensure(api, "other", "other@example.com")
    r = api.put(f"{A}/profile/upd", json={"name": "After", "preferences": {"theme": "dark"}})
    assert r.status_code == 200
    assert r.json()["name"] == "After"
    assert r.json()["preferences"] == {"theme": "dark"}
    r = api.put(f"{A}/profile/upd", json={"email": "upd2@example.com"})
    assert r.json()["email"] == "upd2@example.com"
    assert r.json()["updated_at"] >= r.json()["created_at"]
    assert api.get(f"{A}/by-email/upd2@example.com").json()["user_id"] == "upd"
    assert api.get(f"{A}/by-email/upd@example.com").status_code == 404
    # errors
    assert api.put(f"{A}/profile/upd", json={}).status_code == 422
    assert api.put(f"{A}/profile/upd", json={"unknown": 1}).status_code == 422
    assert api.put(f"{A}/profile/upd", json={"email": "bad"}).status_code == 422
    assert api.put(f"{A}/profile/upd", json={"name": "x" * 101}).status_code == 422
    taken = api.put(f"{A}/profile/upd", json={"email": "other@example.com"})
    assert taken.status_code == 409
    assert api.get(f"{A}/profile/upd").json()["email"] == "upd2@example.com"
    missing = api.put(f"{A}/profile/nope", json={"name": "X"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Account not found: nope"}


def test_preferences_merge(api: httpx.Client) -> None:
    ensure(api, "prefs", "prefs@example.com")
    r = api.put(f"{A}/preferences/prefs", json={"timezone": "America/New_York", "theme": "dark"})
    assert r.status_code == 200
    assert r.json() == {"message": "Preferences updated successfully"}
    api.put(f"{A}/preferences/prefs", json={"language": "en", "notification_email": True})
    prefs = api.get(f"{A}/profile/prefs").json()["preferences"]
    assert prefs == {
        "timezone": "America/New_York",
        "theme": "dark",
        "language": "en",
        "notification_email": True,
    }
    assert api.put(f"{A}/preferences/prefs", json={"theme": "neon"}).status_code == 422
    assert api.put(f"{A}/preferences/prefs", json={"language": "toolong"}).status_code == 422
    assert api.put(f"{A}/preferences/prefs", json={"notification_push": "maybe"}).status_code == 422
    missing = api.put(f"{A}/preferences/nope", json={"theme": "dark"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Account not found: nope"}


def test_status_and_delete(api: httpx.Client) -> None:
    ensure(api, "st", "st@example.com")
    off = api.put(f"{A}/status/st", json={"is_active": False, "reason": "test"})
    assert off.json() == {"message": "Account deactivated successfully"}
    assert api.get(f"{A}/by-email/st@example.com").json() == {
        "detail": "Account not found with email: st@example.com"
    }
    on = api.put(f"{A}/status/st", json={"is_active": True})
    assert on.json() == {"message": "Account activated successfully"}
    assert api.get(f"{A}/profile/st").json()["is_active"] is True
    assert (
        api.put(f"{A}/status/st", json={"is_active": True, "reason": "r" * 256}).status_code == 422
    )
    assert api.put(f"{A}/status/st", json={}).status_code == 422
    assert api.put(f"{A}/status/nope", json={"is_active": True}).status_code == 404

    deleted = api.delete(f"{A}/profile/st", params={"reason": "gdpr"})
    assert deleted.status_code == 200
    assert deleted.json() == {"message": "Account deleted successfully"}
    assert api.get(f"{A}/profile/st").status_code == 404
    listed = api.get(A, params={"search": "st@example.com"}).json()
    assert [(a["user_id"], a["is_active"]) for a in listed["accounts"]] == [("st", False)]
    assert api.delete(f"{A}/profile/nope").json() == {"detail": "Account not found: nope"}
    assert api.delete(f"{A}/profile/st", params={"reason": "r" * 256}).status_code == 422


def test_by_email_odd_characters(api: httpx.Client) -> None:
    for uid, email in [("plus", "a+b@x.com"), ("uni", "jürgen.müller@exämple.de")]:
        assert ensure(api, uid, email).status_code == 200
        r = api.get(f"{A}/by-email/{quote(email, safe='')}")
        assert r.status_code == 200, email
        assert r.json()["user_id"] == uid
    r = api.get(f"{A}/by-email/{quote('no body@x.com', safe='')}")
    assert r.json() == {"detail": "Account not found with email: no body@x.com"}


def test_odd_path_ids(api: httpx.Client) -> None:
    for uid in ["auth0|123", "with space", "ünï©ødé", "a+b", "semi;colon"]:
        assert ensure(api, uid, f"{abs(hash(uid))}@example.com").status_code == 200
        r = api.get(f"{A}/profile/{quote(uid, safe='')}")
        assert r.status_code == 200, uid
        assert r.json()["user_id"] == uid
    assert api.get(f"{A}/profile/a%2Fb").status_code == 404
    assert (
        api.post(
            f"{A}/ensure", json={"user_id": "a/b", "email": "s@x.com", "name": "N"}
        ).status_code
        == 422
    )


def test_list_accounts(api: httpx.Client) -> None:
    body = api.get(A).json()
    assert set(body) == {"accounts", "total_count", "page", "page_size", "has_next"}
    assert body["total_count"] == 200
    assert body["page"] == 1
    assert body["page_size"] == 50
    assert body["has_next"] is True
    assert len(body["accounts"]) == 50
    assert set(body["accounts"][0]) == SUMMARY_FIELDS
    created = [a["created_at"] for a in body["accounts"]]
    assert created == sorted(created, reverse=True)
    assert body["accounts"][0]["user_id"] == seed_user_id(199)
    # all pages together are every account exactly once, newest first
    seen = []
    for page in range(1, 5):
        seen += [a["user_id"] for a in api.get(A, params={"page": page}).json()["accounts"]]
    assert seen == [seed_user_id(i) for i in range(199, -1, -1)]
    last = api.get(A, params={"page": 4}).json()
    assert last["has_next"] is False
    assert api.get(A, params={"page": 5}).json()["accounts"] == []


def test_list_filters_count_every_match(api: httpx.Client) -> None:
    everyone = []
    for page in range(1, 3):
        everyone += api.get(A, params={"page": page, "page_size": 100}).json()["accounts"]
    inactive = [a for a in everyone if not a["is_active"]]
    assert inactive, "the seed should include inactive accounts"
    r = api.get(A, params={"is_active": False, "page_size": 5}).json()
    assert r["total_count"] == len(inactive)
    assert [a["user_id"] for a in r["accounts"]] == [a["user_id"] for a in inactive[:5]]
    free = [a for a in everyone if a["subscription_status"] == "free" and a["is_active"]]
    r = api.get(
        A, params={"subscription_status": "free", "is_active": True, "page_size": 3, "page": 2}
    )
    assert r.json()["total_count"] == len(free)
    assert [a["user_id"] for a in r.json()["accounts"]] == [a["user_id"] for a in free[3:6]]
    word = everyone[0]["name"].split()[0].upper()
    hits = [a for a in everyone if word.lower() in (a["name"] + "\x00" + a["email"]).lower()]
    r = api.get(A, params={"search": word, "page_size": 2}).json()
    assert r["total_count"] == len(hits)
    assert [a["user_id"] for a in r["accounts"]] == [a["user_id"] for a in hits[:2]]
    assert r["has_next"] is (len(hits) > 2)


def test_list_validation(api: httpx.Client) -> None:
    bad = [{"page": 0}, {"page_size": 0}, {"page_size": 1000}, {"page": "x"}, {"is_active": "no?"}]
    for params in bad:
        assert api.get(A, params=params).status_code == 422, params


def test_search(api: httpx.Client) -> None:
    everyone = []
    for page in range(1, 3):
        everyone += api.get(A, params={"page": page, "page_size": 100}).json()["accounts"]
    inactive = next(a for a in everyone if not a["is_active"])
    query = inactive["email"].split("@")[0][:-1].upper()  # distinctive, case differs
    expected_all = [a for a in everyone if query.lower() in a["name"].lower() + "|" + a["email"]]
    r = api.get(f"{A}/search", params={"query": query})
    assert r.status_code == 200
    found = r.json()
    assert all(set(a) == SUMMARY_FIELDS for a in found)
    assert [a["user_id"] for a in found] == [a["user_id"] for a in expected_all if a["is_active"]]
    r = api.get(f"{A}/search", params={"query": query, "include_inactive": True})
    assert [a["user_id"] for a in r.json()] == [a["user_id"] for a in expected_all]
    limited = api.get(f"{A}/search", params={"query": "e", "limit": 7}).json()
    assert len(limited) == 7
    created = [a["created_at"] for a in limited]
    assert created == sorted(created, reverse=True)


def test_search_validation(api: httpx.Client) -> None:
    for params in [
        {},
        {"query": ""},
        {"query": "q" * 101},
        {"query": "a", "limit": 0},
        {"query": "a", "limit": 101},
    ]:
        assert api.get(f"{A}/search", params=params).status_code == 422, params


def test_account_stats(api: httpx.Client) -> None:
    everyone = []
    for page in range(1, 3):
        everyone += api.get(A, params={"page": page, "page_size": 100}).json()["accounts"]
    stats = api.get(f"{A}/stats").json()
    assert stats["total_accounts"] == 200
    active = sum(a["is_active"] for a in everyone)
    assert stats["active_accounts"] == active
    assert stats["inactive_accounts"] == 200 - active
    assert sum(stats["accounts_by_subscription"].values()) == 200
    for plan, n in stats["accounts_by_subscription"].items():
        assert n == sum(a["subscription_status"] == plan for a in everyone)
    now = datetime.fromisoformat(api.get("/health").json()["timestamp"])
    week = sum((now - datetime.fromisoformat(a["created_at"])).days < 7 for a in everyone)
    month = sum((now - datetime.fromisoformat(a["created_at"])).days < 30 for a in everyone)
    assert abs(stats["recent_registrations_7d"] - week) <= 1
    assert abs(stats["recent_registrations_30d"] - month) <= 1
    assert 0 < stats["recent_registrations_7d"] < stats["recent_registrations_30d"] < 200
    ensure(api, "fresh", "fresh@example.com")
    after = api.get(f"{A}/stats").json()
    assert after["total_accounts"] == 201
    assert after["recent_registrations_7d"] == stats["recent_registrations_7d"] + 1


def test_body_limit(api: httpx.Client) -> None:
    huge = b'{"auth0_id": "big", "email": "big@example.com", "name": "' + b"x" * 70_000 + b'"}'
    r = api.post(f"{A}/ensure", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413

    def chunks():
        for _ in range(20):
            yield b"x" * 8192

    r = api.post(f"{A}/ensure", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert api.get("/health").status_code == 200


BODY_ENDPOINTS = [
    ("POST", f"{A}/ensure"),
    ("PUT", f"{A}/profile/{seed_user_id(1)}"),
    ("PUT", f"{A}/preferences/{seed_user_id(1)}"),
    ("PUT", f"{A}/status/{seed_user_id(1)}"),
    ("PUT", "/_mock/profile"),
]
JSON_TYPE = {"content-type": "application/json"}


def nested(levels: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    return opener * levels + closer * levels


def problem_types(r: httpx.Response) -> list[str]:
    return [problem["type"] for problem in r.json()["detail"]]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS, ids=[p for _, p in BODY_ENDPOINTS])
def test_deeply_nested_bodies_are_refused_on_every_python(api: httpx.Client, method, path) -> None:
    """Past nesting.MAX_DEPTH: 422 before parsing (3.13 would recurse into a 500 otherwise)."""
    for body in (
        nested(2_000),
        nested(2_000, b'{"a":', b"}"),
        nested(30_000),  # just under the body limit
        b"[" * 2_000,  # never closed
    ):
        r = api.request(method, path, content=body, headers=JSON_TYPE)
        assert r.status_code == 422, (len(body), r.text[:200])
        assert problem_types(r) == ["json_too_deep"]
    r = api.request(method, path, content=nested(100_000), headers=JSON_TYPE)
    assert r.status_code == 413  # the size limit answers first
    assert "too large" in r.json()["detail"]
    assert api.get("/health").status_code == 200


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS, ids=[p for _, p in BODY_ENDPOINTS])
def test_nesting_up_to_the_limit_reaches_validation(api: httpx.Client, method, path) -> None:
    at_limit = api.request(method, path, content=nested(nesting.MAX_DEPTH), headers=JSON_TYPE)
    assert at_limit.status_code == 422
    assert "json_too_deep" not in problem_types(at_limit)
    past = api.request(method, path, content=nested(nesting.MAX_DEPTH + 1), headers=JSON_TYPE)
    assert problem_types(past) == ["json_too_deep"]


def test_brackets_inside_strings_are_not_nesting(api: httpx.Client) -> None:
    reason = '[{\\"' * 60  # brackets, escaped quotes and backslashes: all text
    r = api.put(f"{A}/status/{seed_user_id(2)}", json={"is_active": False, "reason": reason})
    assert r.status_code == 200, r.text


def test_fast_lane_matches_the_fastapi_routes(live_server) -> None:
    """Hot reads answered by the middleware equal what the FastAPI routes answer."""
    from mock_service import create_app

    app = create_app("fast", accounts=60, seed=7)
    state = app.state.mock
    inactive = next(a for a in state.store.all_accounts() if not a.is_active)
    state.store.create("auth0|odd id ü", "a+b@exämple.com", "Odd")
    paths = [
        f"{A}/profile/{seed_user_id(1)}",
        f"{A}/profile/{inactive.user_id}",
        f"{A}/profile/nobody?x=1",
        f"{A}/profile/{quote('auth0|odd id ü', safe='')}",
        f"{A}/profile/a%2Fb",
        f"{A}/profile/%ZZ",
        f"{A}/by-email/{quote('a+b@exämple.com', safe='')}",
        f"{A}/by-email/{quote(inactive.email, safe='')}",
        f"{A}/by-email/A%2BB%40EX%C3%84MPLE.COM",
        f"{A}/by-email/x%2Fy@z.io",
        f"{A}/by-email/",
    ]
    url = live_server(app, loop=LOOP).url
    with httpx.Client(base_url=url) as client:
        for path in paths:
            answers = []
            for lane in (True, False):
                state.fast_lane = lane
                r = client.get(path)
                answers.append((r.status_code, r.headers["content-type"], r.content))
            assert answers[0] == answers[1], path
