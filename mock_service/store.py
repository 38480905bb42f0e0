"""In-memory account store: O(1) by id and email, creation order for listing.

Accounts live in a list in creation order (newest first = walk it backwards)
plus dicts by id and lower-cased email. Counts per (plan, active) make
``total_count`` of unsearched lists O(1); filters run over numpy group codes
(``AccountColumns``); a search's matches come from the remembered-query cache
or, the first time, from the numpy ``SearchIndex`` mask. Each account caches
its serialized JSON so a profile read is one dict lookup.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson

from mock_service.columns import AccountColumns
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

    def __init__(self, index: SearchIndex | None = None, cache: QueryCache | None = None) -> None:
        self._accounts: list[Account] = []
        self._by_id: dict[str, Account] = {}
        self._by_email: dict[str, Account] = {}
        self._created_ts: list[float] = []
        self._counts: Counter[tuple[str, bool]] = Counter()
        self._columns = AccountColumns()
        self._index = index if index is not None else SearchIndex()
        self._cache = cache if cache is not None else QueryCache()

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
        self._columns.append(plan, is_active)
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
            self._columns.set_active(account.position, active)
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
        accounts = self._accounts
        if search:
            q = search.lower()
            if SearchIndex.needs_scan(q):
                return self._scanned_page(q, offset, limit, is_active, plan)
            matches = self._matches(q)
            total = matches.count(is_active, plan)
            if offset >= total:
                return Page([], total)
            if is_active is None and plan is None:
                positions = matches.positions
                stop = total - offset
                chosen = [accounts[i] for i in reversed(positions[max(stop - limit, 0) : stop])]
                return Page(chosen, total)
            found = self._columns.newest(
                offset,
                limit,
                is_active=is_active,
                plan=plan,
                positions=np.frombuffer(matches.positions, np.int64),
            )
            return Page([accounts[i] for i in found], total)
        total = self._count(is_active, plan)
        if offset >= total:
            return Page([], total)
        if is_active is None and plan is None:
            stop = len(accounts) - offset
            return Page(accounts[max(stop - limit, 0) : stop][::-1], total)
        found = self._columns.newest(offset, limit, is_active=is_active, plan=plan)
        return Page([accounts[i] for i in found], total)

    def search(self, query: str, *, limit: int, include_inactive: bool = False) -> list[Account]:
        """Up to ``limit`` accounts whose name or email contains ``query``, newest first."""
        q = query.lower()
        accounts = self._accounts
        if SearchIndex.needs_scan(q):
            return self._scanned_page(
                q, 0, limit, None if include_inactive else True, None
            ).accounts
        positions = np.frombuffer(self._matches(q).positions, np.int64)
        is_active = None if include_inactive else True
        found = self._columns.newest(0, limit, is_active=is_active, positions=positions)
        return [accounts[i] for i in found]

    def _matches(self, q: str) -> Matches:
        """Matches of a lower-cased, index-searchable query: remembered, else from the index."""
        cached = self._cache.get(q)
        if cached is not None:
            return cached
        positions = np.flatnonzero(self._index.matches(q))
        return self._cache.put(
            q, array("q", positions.tobytes()), self._columns.group_counts(positions)
        )

    def _scanned_page(
        self, q: str, offset: int, limit: int, is_active: bool | None, plan: str | None
    ) -> Page:
        """Brute force for queries the index cannot take (empty, or with separators)."""
        matches = [
            a
            for a in self._accounts
            if (q in a.name.lower() or q in a.email.lower())
            and (is_active is None or a.is_active == is_active)
            and (plan is None or a.subscription_status == plan)
        ]
        stop = max(len(matches) - offset, 0)
        return Page(matches[max(stop - limit, 0) : stop][::-1], len(matches))

    def prepare_search(self) -> None:
        """Build the search index now (after seeding) instead of in the first search."""
        self._index.prepare()

    def search_index_bytes(self) -> int:
        """Memory of the numpy search index and filter columns (benchmarks report it)."""
        return self._index.nbytes() + self._columns.nbytes()

    def clear_search_cache(self) -> None:
        """Forget remembered searches (benchmarks use it to time a cold query)."""
        self._cache.clear()

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
