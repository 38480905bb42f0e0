"""Substring search over names and emails without a per-request Python loop.

Each account's key is ``lower(name) + "\\x01" + lower(email)``; keys are
joined with ``"\\x00"`` into chunk strings of CHUNK accounts, so finding the
next match is one C-level ``str.find``/``rfind`` and Python only runs once per
*matching* account. A query cannot span two fields or two accounts because it
never contains the separators (the store scans its accounts for queries that do).
Updating a name or email dirties one chunk, rebuilt lazily on the next search.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator

CHUNK = 1024
_SEPARATORS = ("\x00", "\x01", "\x02")


def make_key(name: str, email: str) -> str:
    """The searchable key of one account (separators in the data become \\x02)."""
    key = name.lower() + "\x01" + email.lower()
    if "\x00" in key or "\x02" in key or key.count("\x01") > 1:
        head, _, tail = key.partition("\x01")
        clean = [part.replace("\x00", "\x02").replace("\x01", "\x02") for part in (head, tail)]
        key = clean[0] + "\x01" + clean[1]
    return key


class SearchIndex:
    """Keys in creation order, chunked; yields matching positions."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._texts: list[str] = []
        self._starts: list[list[int]] = []
        self._dirty: set[int] = set()

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, position: int) -> str:
        return self._keys[position]

    def append(self, key: str) -> None:
        self._keys.append(key)
        self._dirty.add((len(self._keys) - 1) // CHUNK)

    def replace(self, position: int, key: str) -> None:
        self._keys[position] = key
        self._dirty.add(position // CHUNK)

    def _refresh(self) -> None:
        if not self._dirty:
            return
        chunks = (len(self._keys) + CHUNK - 1) // CHUNK
        while len(self._texts) < chunks:
            self._texts.append("")
            self._starts.append([])
        for c in self._dirty:
            keys = self._keys[c * CHUNK : (c + 1) * CHUNK]
            starts, offset = [], 0
            for key in keys:
                starts.append(offset)
                offset += len(key) + 1
            self._texts[c] = "\x00".join(keys)
            self._starts[c] = starts
        self._dirty.clear()

    @staticmethod
    def needs_scan(query: str) -> bool:
        """Empty queries and queries containing a separator cannot use the joined text."""
        return not query or any(s in query for s in _SEPARATORS)

    def newest_first(self, query: str) -> Iterator[int]:
        """Positions whose key contains ``query`` (lower-cased, not needs_scan), newest first."""
        self._refresh()
        for c in range(len(self._texts) - 1, -1, -1):
            text, starts, base = self._texts[c], self._starts[c], c * CHUNK
            end = len(text)
            while True:
                p = text.rfind(query, 0, end)
                if p < 0:
                    break
                j = bisect_right(starts, p) - 1
                yield base + j
                end = starts[j]

    def oldest_first(self, query: str) -> list[int]:
        """All positions whose key contains ``query``, in creation order."""
        self._refresh()
        found: list[int] = []
        add = found.append
        for c in range(len(self._texts)):
            text, starts, base = self._texts[c], self._starts[c], c * CHUNK
            n, start, lo = len(starts), 0, 0
            find = text.find
            while True:
                p = find(query, start)
                if p < 0:
                    break
                j = bisect_right(starts, p, lo) - 1
                add(base + j)
                lo = j + 1
                if lo >= n:
                    break
                start = starts[lo]
        return found
