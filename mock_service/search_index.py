"""Which accounts' name or email contain a substring, as a numpy mask, exact through writes.

Each account's key is ``lower(name) + "\\x01" + lower(email)``. Keys live in
immutable ``Segment``s (numpy bigram index, see text_segment.py) plus a small
*tail*: keys appended or changed since the last build, scanned in Python
(``q in key``; ~0.1 ms at most). A changed key kills its old entry in its
segment and joins the tail. Once the tail holds more than ``tail_max`` keys,
the write that overflows it builds them into a segment (a few ms), so searches
do not pay for builds; builds are log-structured: the new segment is merged
with its smaller neighbours so there are only a few segments, and a segment
that is mostly dead entries is rebuilt. Before the first build (seeding
appends 100,000 keys) nothing is built per write: ``prepare``, or else the
first search, builds everything at once (~1 s at 100,000 accounts).

A query cannot span two fields or two accounts because it never contains the
separators; the store scans its accounts for queries that do (``needs_scan``).
"""

from __future__ import annotations

import numpy as np

from mock_service.text_segment import Mask, Segment

TAIL_MAX = 1024  # keys scanned in Python per search before a build
SEGMENT_MAX = 1 << 16  # entries per segment (16-bit owners; a rebuild costs ~0.2 s)
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
    """Keys by account position (creation order); ``matches`` gives a mask over them."""

    def __init__(self, *, tail_max: int = TAIL_MAX, segment_max: int = SEGMENT_MAX) -> None:
        self._keys: list[str] = []
        self._home: list[Segment | None] = []  # the segment holding each key, None = tail
        self._tail: dict[int, str] = {}
        self._segments: list[Segment] = []
        self._tail_max = tail_max
        self._segment_max = segment_max

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, position: int) -> str:
        return self._keys[position]

    @property
    def segments(self) -> int:
        return len(self._segments)

    def append(self, key: str) -> None:
        self._tail[len(self._keys)] = key
        self._keys.append(key)
        self._home.append(None)
        self._maybe_build()

    def replace(self, position: int, key: str) -> None:
        self._keys[position] = key
        home = self._home[position]
        if home is not None:
            home.kill(position)
            self._home[position] = None
        self._tail[position] = key
        self._maybe_build()

    def _maybe_build(self) -> None:
        if self._segments and len(self._tail) > self._tail_max:
            self.prepare()

    @staticmethod
    def needs_scan(query: str) -> bool:
        """Empty queries and queries containing a separator cannot use the index."""
        return not query or any(s in query for s in _SEPARATORS)

    def matches(self, query: str) -> Mask:
        """Mask over positions whose key contains ``query`` (lower-cased, not needs_scan)."""
        if len(self._tail) > self._tail_max:
            self.prepare()
        found = np.zeros(len(self._keys), np.bool_)
        for segment in self._segments:
            segment.mark(query, found)
        hits = [p for p, key in self._tail.items() if query in key]
        if hits:
            found[hits] = True
        return found

    def prepare(self) -> None:
        """Index the tail now and settle the segments (else the next search does it)."""
        if self._tail:
            positions = sorted(self._tail)
            self._tail.clear()
            for i in range(0, len(positions), self._segment_max):
                self._add(self._build(positions[i : i + self._segment_max]))
        self._compact()

    def _build(self, positions: list[int]) -> Segment:
        keys = self._keys
        segment = Segment(np.array(positions, np.int64), [keys[p] for p in positions])
        home = self._home
        for p in positions:
            home[p] = segment
        return segment

    def _add(self, segment: Segment) -> None:
        """Append, then merge the last two while the older is not much bigger."""
        segments = self._segments
        segments.append(segment)
        while len(segments) >= 2:
            older, newer = segments[-2], segments[-1]
            if older.live > 2 * newer.live or older.live + newer.live > self._segment_max:
                break
            segments[-2:] = []
            merged = np.concatenate([older.live_positions(), newer.live_positions()])
            merged.sort()
            segments.append(self._build(merged.tolist()))

    def _compact(self) -> None:
        """Rebuild segments that are mostly dead entries; drop empty ones."""
        for i, segment in enumerate(self._segments):
            if segment.dead_count * 2 > segment.size:
                live = segment.live_positions().tolist()
                self._segments[i] = self._build(live) if live else segment
        self._segments = [s for s in self._segments if s.live]

    def nbytes(self) -> int:
        """Bytes held by the numpy side of the index (keys and tail not included)."""
        return sum(s.nbytes() for s in self._segments)
