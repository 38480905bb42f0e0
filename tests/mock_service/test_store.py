"""The store and its search index against brute force; seeding determinism."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_service.seeding import seed_store, seed_user_id
from mock_service.store import PLANS, AccountStore, EmailTaken

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def seeded(n: int = 300, seed: int = 42) -> AccountStore:
    store = AccountStore()
    seed_store(store, n, seed, now=NOW)
    return store


STORE = seeded()


def brute_matches(store: AccountStore, is_active, plan, search) -> list:
    rows = list(store.all_accounts())[::-1]
    return [
        a
        for a in rows
        if (is_active is None or a.is_active == is_active)
        and (plan is None or a.subscription_status == plan)
        and (not search or search.lower() in a.name.lower() or search.lower() in a.email.lower())
    ]


@settings(max_examples=200, deadline=None)
@given(
    page=st.integers(1, 12),
    size=st.integers(1, 100),
    is_active=st.none() | st.booleans(),
    plan=st.none() | st.sampled_from([*PLANS, "gold"]),
    search=st.none() | st.sampled_from(["john", "SMITH", "a", "example", ".", "zzz", "9@"]),
)
def test_list_page_matches_brute_force(page, size, is_active, plan, search) -> None:
    expected = brute_matches(STORE, is_active, plan, search)
    offset = (page - 1) * size
    got = STORE.list_page(offset=offset, limit=size, is_active=is_active, plan=plan, search=search)
    assert got.total_count == len(expected)
    assert got.accounts == expected[offset : offset + size]


@settings(max_examples=200, deadline=None)
@given(
    query=st.text(min_size=1, max_size=4) | st.sampled_from(["mary", "Lee", "test"]),
    limit=st.integers(1, 100),
    include_inactive=st.booleans(),
)
def test_search_matches_brute_force(query, limit, include_inactive) -> None:
    expected = brute_matches(STORE, None if include_inactive else True, None, query)[:limit]
    assert STORE.search(query, limit=limit, include_inactive=include_inactive) == expected


def test_search_index_follows_updates_and_odd_characters() -> None:
    store = seeded(50)
    weird = store.create("w", "w@x.io", "Nul\x00Byte Sep\x01Char")
    account = store.get(seed_user_id(3))
    assert account is not None
    store.update(account, name="Zebediah Quux", email="zq@quux.example")
    assert store.search("quux", limit=10, include_inactive=True) == [account]
    assert store.search("zq@", limit=10, include_inactive=True) == [account]
    assert store.list_page(offset=0, limit=5, search="ZEBEDIAH").accounts == [account]
    assert store.search("\x00byte", limit=5) == [weird]
    assert store.search("l\x00b", limit=5) == [weird]
    assert store.search("byte sep", limit=5) == [weird]
    assert store.search("char\x01w@", limit=5) == []  # never across name and email
    assert store.search("zzz-none", limit=5) == []


def test_unique_email_and_counts() -> None:
    store = seeded(20)
    with pytest.raises(EmailTaken):
        store.create("dup", next(store.all_accounts()).email.upper(), "Dup")
    a = store.create("n1", "n1@x.io", "N One", "pro")
    b = store.create("n2", "n2@x.io", "N Two", "pro")
    with pytest.raises(EmailTaken):
        store.update(b, email="N1@x.io")
    assert b.email == "n2@x.io"
    before = store.stats(NOW)
    store.set_active(a, False)
    after = store.stats(NOW)
    assert after["active_accounts"] == before["active_accounts"] - 1
    assert after["inactive_accounts"] == before["inactive_accounts"] + 1
    assert after["accounts_by_subscription"]["pro"] == before["accounts_by_subscription"]["pro"]
    assert store.list_page(offset=0, limit=1, is_active=False).accounts == [a]
    assert store.get_active("n1") is None
    assert store.get_active_by_email("N2@X.IO") is b


def test_seeding_is_deterministic() -> None:
    def fingerprint(store: AccountStore) -> list:
        return [
            (a.user_id, a.email, a.name, a.subscription_status, a.is_active, a.created_at)
            for a in store.all_accounts()
        ]

    assert fingerprint(seeded(500, 7)) == fingerprint(seeded(500, 7))
    assert fingerprint(seeded(500, 7)) != fingerprint(seeded(500, 8))


def test_seed_shape() -> None:
    store = seeded(5000, 1)
    stats = store.stats(NOW)
    assert 0.04 <= stats["inactive_accounts"] / 5000 <= 0.11
    assert all(stats["accounts_by_subscription"][p] > 0 for p in PLANS)
    assert 0.05 < stats["recent_registrations_7d"] / 5000 < 0.11  # ~7/90
    assert 0.28 < stats["recent_registrations_30d"] / 5000 < 0.39  # ~30/90
    created = [a.created_at for a in store.all_accounts()]
    assert created == sorted(created)
    assert len({a.name for a in store.all_accounts()}) > 1000
    assert len(store.search("john", limit=100, include_inactive=True)) == 100


QUERIES = ["john", "smith", "zed", "a", "example", "ne", "qq"]


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["create", "rename", "email", "status"]),
            st.integers(0, 10_000),
            st.sampled_from(["Zed Qq", "John Nobody", "Ann Example", "Smithers"]),
        ),
        max_size=25,
    )
)
def test_cached_searches_stay_exact_through_changes(ops) -> None:
    store = seeded(150, 5)
    for q in QUERIES:  # warm the cache, both through list and search
        store.list_page(offset=0, limit=5, search=q)
        store.search(q, limit=1000, include_inactive=True)
    for n, (op, pick, text) in enumerate(ops):
        accounts = list(store.all_accounts())
        target = accounts[pick % len(accounts)]
        if op == "create":
            store.create(f"new{n}", f"{text.split()[0].lower()}{n}@new.test", text)
        elif op == "rename":
            store.update(target, name=text)
        elif op == "email":
            store.update(target, email=f"{text.split()[0].lower()}.{n}@mail.test")
        else:
            store.set_active(target, not target.is_active)
    for q in QUERIES:
        expected = brute_matches(store, None, None, q)
        page = store.list_page(offset=0, limit=100, search=q)
        assert page.total_count == len(expected)
        assert page.accounts == expected[:100]
        active = [a for a in expected if a.is_active]
        assert store.search(q, limit=100) == active[:100]
        page = store.list_page(offset=3, limit=7, search=q, is_active=True)
        assert (page.total_count, page.accounts) == (len(active), active[3:10])
