"""Property-based fuzzing over a real server: odd paths, queries and bodies never get a 5xx.

Each endpoint gets ~200 examples mixing JSON built on the endpoint's own
field names with arbitrary JSON (NaN, huge ints, lone surrogates, nesting)
and raw bytes, random query values, and path segments with unicode,
spaces, ``|``, ``+`` and encoded slashes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

A = "/api/v1/accounts"
ENDPOINTS: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    # method, path template ({} = one fuzzed segment), body keys, query keys
    ("POST", f"{A}/ensure", ("auth0_id", "user_id", "email", "name", "subscription_plan"), ()),
    ("GET", f"{A}/profile/{{}}", (), ()),
    ("PUT", f"{A}/profile/{{}}", ("name", "email", "preferences"), ()),
    ("DELETE", f"{A}/profile/{{}}", (), ("reason",)),
    (
        "PUT",
        f"{A}/preferences/{{}}",
        ("timezone", "language", "theme", "notification_email", "notification_push"),
        (),
    ),
    ("GET", A, (), ("page", "page_size", "is_active", "subscription_status", "search")),
    ("GET", f"{A}/search", (), ("query", "limit", "include_inactive")),
    ("GET", f"{A}/by-email/{{}}", (), ()),
    ("PUT", f"{A}/status/{{}}", ("is_active", "reason"), ()),
    ("GET", f"{A}/stats", (), ()),
    ("GET", "/health", (), ()),
]

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | ANY_TEXT
    | st.sampled_from(["free", "dark", "a+b@x.com", "auth0|1", "seed_user_000001", "x" * 300])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
SEGMENT = st.one_of(
    ANY_TEXT.filter(bool),
    st.sampled_from(
        ["auth0|123", "a+b@x.com", "with space", "ünï", "a%2Fb", "..", "%", "seed_user_000003"]
    ),
)
QUERY_VALUE = (
    ANY_TEXT
    | st.integers(-(2**70), 2**70).map(str)
    | st.sampled_from(["true", "false", "1", "0", "yes", "", "x" * 101, "é" * 500])
)


def bodies(keys: tuple[str, ...]) -> st.SearchStrategy[bytes | None]:
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, JSON))
    as_json = (known | JSON).map(lambda v: json.dumps(v, ensure_ascii=True).encode())
    deep = st.builds(nested, st.integers(1, 5000), st.booleans())
    return st.none() | as_json | st.binary(max_size=300) | deep


def nested(levels: int, objects: bool = False) -> bytes:
    """``[[[...]]]`` or ``{"a":{"a":...}}``: 2,000 levels made Python 3.13 answer 500."""
    opener, closer = (b'{"a":', b"}") if objects else (b"[", b"]")
    return opener * levels + b"0" * objects + closer * levels


def with_deep_bodies(test: Callable[..., None], **fixed: object) -> Callable[..., None]:
    """Always try the depths that broke Python 3.13, whatever hypothesis draws."""
    for body in (nested(2_000), nested(2_000, objects=True), nested(30_000)):
        test = example(body=body, **fixed)(test)
    return test


def encode(text: str, safe: str = "") -> str:
    """Percent-encode any str, lone surrogates included (the server sees invalid UTF-8)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def run_fuzz(url: str, method: str, template: str, body_keys: tuple, query_keys: tuple) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:

        @settings(
            max_examples=200,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            database=None,
        )
        @given(
            segment=SEGMENT,
            keep_slash=st.booleans(),
            params=st.dictionaries(st.sampled_from([*query_keys, "x"]), QUERY_VALUE, max_size=4)
            if query_keys
            else st.just({}),
            body=bodies(body_keys) if body_keys else st.none(),
            content_type=st.sampled_from(["application/json", "text/plain", None]),
        )
        def check(segment, keep_slash, params, body, content_type) -> None:
            path = template.replace("{}", encode(segment, "/%" if keep_slash else ""))
            if params:
                path += "?" + "&".join(f"{encode(k)}={encode(v)}" for k, v in params.items())
            headers = {"content-type": content_type} if content_type else {}
            try:
                r = client.request(method, path, content=body, headers=headers)
            except httpx.TransportError as exc:  # the server must answer, not hang up
                raise AssertionError(f"{method} {path} {params} {body!r}: {exc!r}") from exc
            assert r.status_code < 500, (method, path, params, body, r.status_code, r.text)
            if r.headers.get("content-type") == "application/json":
                r.json()

        if body_keys:
            check = with_deep_bodies(
                check,
                segment="seed_user_000001",
                keep_slash=False,
                params={},
                content_type="application/json",
            )
        check()


@pytest.mark.parametrize(
    ("method", "template", "body_keys", "query_keys"),
    ENDPOINTS,
    ids=[f"{m} {t}" for m, t, _, _ in ENDPOINTS],
)
def test_no_5xx(serve_mock: Callable[..., str], method, template, body_keys, query_keys) -> None:
    run_fuzz(serve_mock("fast", accounts=20), method, template, body_keys, query_keys)


def test_profile_put_never_5xx(serve_mock: Callable[..., str]) -> None:
    url = serve_mock("fast")
    keys = ("name", "seed", "capacity", "new_connection_ms", "default_latency", "latency", "faults")
    with httpx.Client(base_url=url, timeout=10) as client:

        @settings(max_examples=60, deadline=None, database=None)
        @given(body=bodies(keys))
        def check(body: bytes | None) -> None:
            r = client.put(
                "/_mock/profile", content=body, headers={"content-type": "application/json"}
            )
            assert r.status_code in (200, 400, 422), r.text
            assert client.get("/_mock/profile").status_code == 200
            client.put("/_mock/profile", json={"name": "fast"})

        with_deep_bodies(check)()
