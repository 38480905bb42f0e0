"""In-memory account store: O(1) by id and email, creation order for listing.

Accounts live in a list in creation order (newest first = walk it backwards)
plus dicts by id and lower-cased email. Counts per (plan, active) make
``total_count`` of unsearched lists O(1); searches use ``SearchIndex``. Each
account caches its serialized JSON so a profile read is one dict lookup.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from mock_service.query_cache import Matches, QueryCache
from mock_service.search_index import SearchIndex, make_key

PLANS: tuple[str, ...] = ("free", "basic", "premium", "enterprise", "pro", "active")
NEW_ACCOUNT_CREDITS = 1000.0


class EmailTaken(Exception):
    """The email belongs to another account (409)."""


@dataclass(slots=True, eq=False)
class Account:
    """One account; mutable, owned by the store (use its methods to change it)."""

    user_id: str
    auth0_id: str | None
    email: str
    name: str
    subscription_status: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    position: int
    preferences: dict[str, Any] = field(default_factory=dict)
    credits_remaining: float = NEW_ACCOUNT_CREDITS
    credits_total: float = NEW_ACCOUNT_CREDITS
    _json: bytes | None = None

    def profile(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "auth0_id": self.auth0_id,
            "email": self.email,
            "name": self.name,
            "subscription_status": self.subscription_status,
            "credits_remaining": self.credits_remaining,
            "credits_total": self.credits_total,
            "is_active": self.is_active,
            "preferences": self.preferences,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def profile_json(self) -> bytes:
        """Serialized AccountProfile, cached until the account changes."""
        if self._json is None:
            self._json = orjson.dumps(self.profile())
        return self._json

    def summary(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "email": self.email,
            "name": self.name,
            "subscription_status": self.subscription_status,
            "is_active": self.is_active,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class Page:
    accounts: list[Account]
    total_count: int


def utcnow() -> datetime:
    return datetime.now(UTC)


class AccountStore:
    """All accounts of one mock instance; not thread-safe (one event loop)."""

    def __init__(self) -> None:
        self._accounts: list[Account] = []
        self._by_id: dict[str, Account] = {}
        self._by_email: dict[str, Account] = {}
        self._created_ts: list[float] = []
        self._counts: Counter[tuple[str, bool]] = Counter()
        self._index = SearchIndex()
        self._cache = QueryCache()

    def __len__(self) -> int:
        return len(self._accounts)

    # -- lookups --------------------------------------------------------------------------

    def get(self, user_id: str) -> Account | None:
        return self._by_id.get(user_id)

    def get_active(self, user_id: str) -> Account | None:
        account = self._by_id.get(user_id)
        return account if account is not None and account.is_active else None

    def get_active_by_email(self, email: str) -> Account | None:
        account = self._by_email.get(email.lower())
        return account if account is not None and account.is_active else None

    # -- changes --------------------------------------------------------------------------

    def create(
        self,
        user_id: str,
        email: str,
        name: str,
        plan: str = "free",
        *,
        auth0_id: str | None = None,
        is_active: bool = True,
        created_at: datetime | None = None,
        preferences: Mapping[str, Any] | None = None,
    ) -> Account:
        """Append a new account; ``created_at`` never goes back in time (keeps order)."""
        if user_id in self._by_id:
            raise KeyError(user_id)
        if email.lower() in self._by_email:
            raise EmailTaken(email)
        when = created_at or utcnow()
        if self._accounts and when < self._accounts[-1].created_at:
            when = self._accounts[-1].created_at
        account = Account(
            user_id=user_id,
            auth0_id=auth0_id,
            email=email,
            name=name,
            subscription_status=plan,
            is_active=is_active,
            created_at=when,
            updated_at=when,
            position=len(self._accounts),
            preferences=dict(preferences or {}),
        )
        self._accounts.append(account)
        self._by_id[user_id] = account
        self._by_email[email.lower()] = account
        self._created_ts.append(when.timestamp())
        self._counts[(plan, is_active)] += 1
        key = make_key(name, email)
        self._index.append(key)
        self._cache.appended(account.position, key, (plan, is_active))
        return account

    def update(
        self,
        account: Account,
        *,
        name: str | None = None,
        email: str | None = None,
        preferences: Mapping[str, Any] | None = None,
    ) -> Account:
        """Change name/email and merge preferences; raise EmailTaken before changing anything."""
        if email is not None:
            owner = self._by_email.get(email.lower())
            if owner is not None and owner is not account:
                raise EmailTaken(email)
            del self._by_email[account.email.lower()]
            account.email = email
            self._by_email[email.lower()] = account
        if name is not None:
            account.name = name
        if name is not None or email is not None:
            old_key = self._index.key(account.position)
            new_key = make_key(account.name, account.email)
            self._index.replace(account.position, new_key)
            group = (account.subscription_status, account.is_active)
            self._cache.replaced(account.position, old_key, new_key, group)
        if preferences:
            account.preferences = {**account.preferences, **preferences}
        self._touch(account)
        return account

    def set_active(self, account: Account, active: bool) -> None:
        if account.is_active != active:
            old, new = (
                (account.subscription_status, account.is_active),
                (account.subscription_status, active),
            )
            self._counts[old] -= 1
            self._counts[new] += 1
            self._cache.regrouped(self._index.key(account.position), old, new)
            account.is_active = active
        self._touch(account)

    @staticmethod
    def _touch(account: Account) -> None:
        account.updated_at = utcnow()
        account._json = None

    # -- listing --------------------------------------------------------------------------

    def _count(self, is_active: bool | None, plan: str | None) -> int:
        if plan is None and is_active is None:
            return len(self._accounts)
        return sum(
            n
            for (p, active), n in self._counts.items()
            if (plan is None or p == plan) and (is_active is None or active == is_active)
        )

    def list_page(
        self,
        *,
        offset: int,
        limit: int,
        is_active: bool | None = None,
        plan: str | None = None,
        search: str | None = None,
    ) -> Page:
        """Newest first; ``total_count`` counts every match, not just the page."""

        def keep(a: Account) -> bool:
            return (is_active is None or a.is_active == is_active) and (
                plan is None or a.subscription_status == plan
            )

        accounts = self._accounts
        if search:
            q = search.lower()
            if SearchIndex.needs_scan(q):
                matches = [i for i in self._matching(q, newest_first=False) if keep(accounts[i])]
                total = len(matches)
                stop = max(total - offset, 0)
                chosen = [accounts[i] for i in reversed(matches[max(stop - limit, 0) : stop])]
                return Page(chosen, total)
            cached = self._cached_matches(q)
            total = cached.count(is_active, plan)
            positions = cached.positions
            if is_active is None and plan is None:
                stop = max(total - offset, 0)
                chosen = [accounts[i] for i in reversed(positions[max(stop - limit, 0) : stop])]
                return Page(chosen, total)
            if offset >= total:
                return Page([], total)
            return Page(self._walk(reversed(positions), keep, offset, limit), total)
        total = self._count(is_active, plan)
        if offset >= total:
            return Page([], total)
        if is_active is None and plan is None:
            stop = len(accounts) - offset
            return Page(accounts[max(stop - limit, 0) : stop][::-1], total)
        return Page(self._walk(range(len(accounts) - 1, -1, -1), keep, offset, limit), total)

    def _walk(
        self, order: Iterable[int], keep: Callable[[Account], bool], offset: int, limit: int
    ) -> list[Account]:
        """Skip ``offset`` kept accounts along ``order``, then take up to ``limit``."""
        accounts = self._accounts
        chosen: list[Account] = []
        skipped = 0
        for i in order:
            a = accounts[i]
            if keep(a):
                if skipped < offset:
                    skipped += 1
                    continue
                chosen.append(a)
                if len(chosen) >= limit:
                    break
        return chosen

    def search(self, query: str, *, limit: int, include_inactive: bool = False) -> list[Account]:
        """Up to ``limit`` accounts whose name or email contains ``query``, newest first."""
        found: list[Account] = []
        accounts = self._accounts
        q = query.lower()
        cached = None if SearchIndex.needs_scan(q) else self._cache.get(q)
        if cached is not None:
            candidates: Iterable[int] = reversed(cached.positions)
        else:
            candidates = self._matching(q, newest_first=True)
        seen: list[int] = []
        for i in candidates:
            seen.append(i)
            a = accounts[i]
            if include_inactive or a.is_active:
                found.append(a)
                if len(found) >= limit:
                    return found
        if cached is None and not SearchIndex.needs_scan(q):
            self._remember(q, seen[::-1])  # the walk saw every match
        return found

    def _cached_matches(self, q: str) -> Matches:
        """Matches of a lower-cased, index-searchable query, from the cache when possible."""
        cached = self._cache.get(q)
        if cached is None:
            cached = self._remember(q, self._index.oldest_first(q))
        return cached

    def _remember(self, q: str, ascending: list[int]) -> Matches:
        accounts = self._accounts
        groups = Counter(
            (accounts[i].subscription_status, accounts[i].is_active) for i in ascending
        )
        return self._cache.put(q, ascending, groups)

    def clear_search_cache(self) -> None:
        """Forget remembered searches (benchmarks use it to time a cold query)."""
        self._cache.clear()

    def _matching(self, query: str, *, newest_first: bool) -> Iterator[int]:
        """Positions of accounts whose name or email contains ``query`` (case-insensitive)."""
        q = query.lower()
        if not SearchIndex.needs_scan(q):
            index = self._index
            return index.newest_first(q) if newest_first else iter(index.oldest_first(q))
        n = len(self._accounts)
        order = range(n - 1, -1, -1) if newest_first else range(n)
        accounts = self._accounts
        return (i for i in order if q in accounts[i].name.lower() or q in accounts[i].email.lower())

    def all_accounts(self) -> Iterator[Account]:
        """Creation order (oldest first)."""
        return iter(self._accounts)

    # -- statistics -----------------------------------------------------------------------

    def registered_since(self, since: datetime) -> int:
        return len(self._created_ts) - bisect_left(self._created_ts, since.timestamp())

    def stats(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        active = sum(n for (_, a), n in self._counts.items() if a)
        by_plan = dict.fromkeys(PLANS, 0)
        for (plan, _), n in self._counts.items():
            by_plan[plan] = by_plan.get(plan, 0) + n
        return {
            "total_accounts": len(self._accounts),
            "active_accounts": active,
            "inactive_accounts": len(self._accounts) - active,
            "accounts_by_subscription": by_plan,
            "recent_registrations_7d": self.registered_since(now - timedelta(days=7)),
            "recent_registrations_30d": self.registered_since(now - timedelta(days=30)),
        }
