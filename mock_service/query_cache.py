"""Remembered search results, kept exact as accounts are added, renamed and (de)activated.

The search index answers a never-seen query in well under a millisecond, but
drivers repeat a small set of queries, and a remembered answer costs a few
microseconds; so for recent queries the cache keeps the matching positions
(an ascending ``array``) and how many matches fall in each (plan, active)
group, so a filtered ``total_count`` is a sum of a few counters. Entries are
updated in place: an appended account is checked against every cached
query, a renamed one moves in or out, a status change moves it between
groups. LRU-bounded by query count and total positions. Only queries without
separator characters are cached, so ``query in key`` is the exact test.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

MAX_QUERIES = 128
MAX_POSITIONS = 2_000_000  # 16 MB of int64 positions

Group = tuple[str, bool]  # (plan, is_active)


@dataclass(eq=False)
class Matches:
    positions: array[int]
    groups: Counter[Group] = field(default_factory=Counter)

    def count(self, is_active: bool | None, plan: str | None) -> int:
        if is_active is None and plan is None:
            return len(self.positions)
        return sum(
            n
            for (p, active), n in self.groups.items()
            if (plan is None or p == plan) and (is_active is None or active == is_active)
        )


class QueryCache:
    def __init__(self, max_queries: int = MAX_QUERIES, max_positions: int = MAX_POSITIONS) -> None:
        self._entries: OrderedDict[str, Matches] = OrderedDict()
        self._size = 0
        self._max_queries = max_queries
        self._max_positions = max_positions

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self._size = 0

    def get(self, query: str) -> Matches | None:
        found = self._entries.get(query)
        if found is not None:
            self._entries.move_to_end(query)
        return found

    def put(self, query: str, ascending: array[int], groups: Counter[Group]) -> Matches:
        """Remember ``ascending`` (kept, not copied) and its group counts."""
        matches = Matches(ascending, groups)
        if len(matches.positions) > self._max_positions:
            return matches  # too big to keep; still usable once
        old = self._entries.pop(query, None)
        if old is not None:
            self._size -= len(old.positions)
        self._entries[query] = matches
        self._size += len(matches.positions)
        while len(self._entries) > self._max_queries or self._size > self._max_positions:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted.positions)
        return matches

    def appended(self, position: int, key: str, group: Group) -> None:
        """A new account (always the highest position so far)."""
        for query, matches in self._entries.items():
            if query in key:
                matches.positions.append(position)
                matches.groups[group] += 1
                self._size += 1

    def replaced(self, position: int, old_key: str, new_key: str, group: Group) -> None:
        """An account's name or email changed."""
        for query, matches in self._entries.items():
            was, now = query in old_key, query in new_key
            if was == now:
                continue
            positions = matches.positions
            i = bisect_left(positions, position)
            if now:
                positions.insert(i, position)
                matches.groups[group] += 1
                self._size += 1
            else:
                del positions[i]
                matches.groups[group] -= 1
                self._size -= 1

    def regrouped(self, key: str, old: Group, new: Group) -> None:
        """An account's active flag changed."""
        for query, matches in self._entries.items():
            if query in key:
                matches.groups[old] -= 1
                matches.groups[new] += 1
