"""The numpy search index and filtered pages against brute force, through random writes.

Small ``tail_max``/``segment_max`` make a few dozen writes exercise every path
of the index: tail scans, lazy builds, merges, dead entries, compaction.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_service.query_cache import QueryCache
from mock_service.search_index import SearchIndex, make_key
from mock_service.seeding import seed_store
from mock_service.store import PLANS, AccountStore
from tests.mock_service.test_store import NOW, brute_matches

NAMES = ["Zoë Ünal", "İlker Şahin", "Straße Groß", "Ann Example", "John Smithers", "李 小龍"]
QUERIES = ["john", "smith", "example", "a", "zz", "ë", "ss", "i̇l", ".", "@", "n s", "hx-2026"]


def small_store(seed: int, cached: bool) -> AccountStore:
    store = AccountStore(
        SearchIndex(tail_max=6, segment_max=24),
        QueryCache() if cached else QueryCache(max_queries=0),
    )
    seed_store(store, 40, seed, now=NOW)
    return store


def check(store: AccountStore, rng: random.Random, extra: list[str]) -> None:
    """Every query, with random filters and pages, equals the brute-force answer."""
    keys = [make_key(a.name, a.email) for a in store.all_accounts()]
    pieces = []
    for _ in range(4):
        key = rng.choice(keys)
        start = rng.randrange(len(key))
        pieces.append(key[start : start + rng.randint(1, 16)].replace("\x01", ""))
    for q in [*QUERIES, *extra, *filter(None, pieces)]:
        is_active = rng.choice([None, True, False])
        plan = rng.choice([None, *PLANS, "gold"])
        size = rng.randint(1, 30)
        offset = rng.choice([0, 0, size, rng.randint(0, 60)])
        expected = brute_matches(store, is_active, plan, q)
        page = store.list_page(offset=offset, limit=size, is_active=is_active, plan=plan, search=q)
        assert (q, page.total_count) == (q, len(expected))
        assert page.accounts == expected[offset : offset + size], q
        include_inactive = rng.random() < 0.5
        active = None if include_inactive else True
        want = brute_matches(store, active, None, q)[:size]
        assert store.search(q, limit=size, include_inactive=include_inactive) == want, q


WRITE = st.tuples(
    st.sampled_from(["create", "rename", "email", "status", "check"]),
    st.integers(0, 10_000),
    st.sampled_from(NAMES) | st.text(alphabet="abzé.@ -ßİ", min_size=1, max_size=12),
)


@settings(max_examples=40, deadline=None)
@given(
    ops=st.lists(WRITE, max_size=60),
    seed=st.integers(0, 3),
    cached=st.booleans(),
    extra=st.lists(st.text(min_size=1, max_size=20), max_size=3),
)
def test_search_and_list_stay_exact_through_writes(ops, seed, cached, extra) -> None:
    store = small_store(seed, cached)
    rng = random.Random(seed)
    for n, (op, pick, text) in enumerate(ops):
        accounts = list(store.all_accounts())
        target = accounts[pick % len(accounts)]
        word = text.split()[0].lower() if text.split() else "x"
        if op == "create":
            plan = PLANS[pick % len(PLANS)]
            store.create(f"new{n}", f"{word}{n}@new.test", text, plan, is_active=pick % 5 > 0)
        elif op == "rename":
            store.update(target, name=text)
        elif op == "email":
            store.update(target, email=f"{word}.{n}@mail.test")
        elif op == "status":
            store.set_active(target, not target.is_active)
        else:
            check(store, rng, extra)
    check(store, rng, extra)


def test_unfiltered_and_filtered_lists_match_brute_force_deep_pages() -> None:
    store = AccountStore()
    seed_store(store, 3000, 9, now=NOW)
    for i, account in enumerate(store.all_accounts()):
        if i % 7 == 0:
            store.set_active(account, not account.is_active)
    for is_active in (None, True, False):
        for plan in (None, "enterprise", "free", "gold"):
            expected = brute_matches(store, is_active, plan, None)
            for offset in (0, 49, 500, len(expected) - 3, len(expected) + 5):
                offset = max(offset, 0)
                page = store.list_page(offset=offset, limit=50, is_active=is_active, plan=plan)
                assert page.total_count == len(expected)
                assert page.accounts == expected[offset : offset + 50]


def brute_index(keys: list[str], query: str) -> list[int]:
    return [i for i, key in enumerate(keys) if query in key]


@settings(max_examples=60, deadline=None)
@given(
    alphabet=st.sampled_from(["ab", "abc. @", "".join(map(chr, range(0x100, 0x100 + 300)))]),
    data=st.data(),
)
def test_index_matches_brute_force_for_odd_alphabets(alphabet, data) -> None:
    """Tiny alphabets (deep sort keys), >63 chars (shared sort rank) and >255 chars
    (16-bit ranks), long queries (window + word verification), renames."""
    rng = random.Random(data.draw(st.integers(0, 1000)))
    index = SearchIndex(tail_max=5, segment_max=40)
    keys: list[str] = []

    def word() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))

    for _ in range(rng.randint(1, 120)):
        keys.append(make_key(word(), word()))
        index.append(keys[-1])
    for _ in range(rng.randint(0, 40)):
        position = rng.randrange(len(keys))
        keys[position] = make_key(word(), word())
        index.replace(position, keys[position])
    queries = [word()[: rng.randint(1, 4)] for _ in range(5)]
    for _ in range(5):
        key = rng.choice(keys).replace("\x01", "")
        start = rng.randrange(len(key))
        queries.append(key[start : start + rng.randint(1, 40)])
    for q in queries:
        assert index.matches(q).nonzero()[0].tolist() == brute_index(keys, q), q
    index.prepare()
    for q in queries:
        assert index.matches(q).nonzero()[0].tolist() == brute_index(keys, q), q


def test_index_segments_stay_few_and_compact() -> None:
    index = SearchIndex(tail_max=10, segment_max=200)
    keys = [make_key(f"user {i}", f"u{i}@x.test") for i in range(1000)]
    for key in keys:
        index.append(key)
        index.matches("user 9")  # builds as the tail fills
    assert index.segments <= 9
    for i in range(0, 1000, 2):
        keys[i] = make_key(f"renamed {i}", f"r{i}@x.test")
        index.replace(i, keys[i])
        index.matches("x")
    assert index.matches("renamed 1").nonzero()[0].tolist() == brute_index(keys, "renamed 1")
    assert index.matches("user 1").nonzero()[0].tolist() == brute_index(keys, "user 1")
    assert index.segments <= 12
