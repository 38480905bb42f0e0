"""One immutable block of search keys, indexed for substring search in numpy.

Scanning 100,000 names and emails in Python for a never-seen query costs
2-200 ms; the budget is 2 ms. A segment joins its keys with ``"\\x00"``, turns
each character into a small rank (most frequent first), and sorts every
character position by the ~12 characters starting there (two SIMD ``np.sort``
passes over packed int64s, prefix doubling), a truncated suffix array ``_sa``.
All occurrences of a query up to that depth are then one slice of ``_sa``,
found by binary search, and ``_owner`` (parallel to ``_sa``) says which entry
each belongs to: the work is a slice and a scatter proportional to the
occurrences, with no per-candidate reads of the text (those random reads,
~20 ns each, are what made a bigram index 3 ms for ``example``). Longer
queries take their narrowest window's slice and check the rest with
overlapping 8-byte word compares. Characters frequent enough to make a slice
huge (``a``, ``e``, ``@``) get a precomputed bitmask of entries instead.

Entries are immutable: when an entry's key changes, the owning index marks it
dead here (``kill``) and indexes the new key elsewhere.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.int64]

SORT_BITS = 6  # bits per char in the sort key; chars past the 63rd most frequent share one
MAX_WINDOWS = 6  # windows of a long query tried for the narrowest slice
BITMASK_SHARE = 8  # chars occurring more than entries / 8 times get an entry bitmask
WORD = 8  # bytes per verification word


class Segment:
    """Entries (global account positions, ascending) and their keys, searchable."""

    def __init__(self, positions: Positions, keys: list[str]) -> None:
        if len(positions) != len(keys) or not keys:
            raise ValueError("a segment needs one key per position, at least one")
        self.positions = positions
        self.size = len(keys)
        self.first = int(positions[0])
        self.contiguous = int(positions[-1]) - self.first + 1 == self.size
        self.dead: Mask = np.zeros(self.size, np.bool_)
        self.dead_count = 0
        self._build("\x00".join(keys) + "\x00", keys)

    @property
    def live(self) -> int:
        return self.size - self.dead_count

    def _build(self, text: str, keys: list[str]) -> None:
        n = len(text)
        try:
            codes: npt.NDArray[np.integer] = np.frombuffer(text.encode("latin-1"), np.uint8)
            counts = np.bincount(codes, minlength=256)
            alphabet = np.flatnonzero(counts)
            counts = counts[alphabet]
        except UnicodeEncodeError:
            codes = np.frombuffer(text.encode("utf-32-le"), np.uint32)
            alphabet, counts = np.unique(codes, return_counts=True)
        # rank 0 pads the text's end; the most frequent chars get the small ranks, so
        # only the rarest ones share the last bigram bucket rank
        by_freq = alphabet[np.argsort(-counts, kind="stable")]
        width = 1 if len(by_freq) < 1 << 8 else 2 if len(by_freq) < 1 << 16 else 4
        lut = np.zeros(int(by_freq.max()) + 1, {1: np.uint8, 2: np.uint16, 4: np.uint32}[width])
        lut[by_freq] = np.arange(1, len(by_freq) + 1)
        self._rank = {chr(int(c)): r for r, c in enumerate(by_freq.tolist(), 1)}
        ranks = np.zeros(n + WORD, lut.dtype)  # zero pad: words past the end read zeros
        ranks[:n] = lut[codes]
        self._ranks = ranks
        self._width = width
        self._words = np.ndarray((n,), "<u8", buffer=ranks, strides=(width,))
        self._n = n

        # sort every position by its first K clamped ranks (one packed np.sort), then
        # once more by pairs of those ranks (first 2K), if the pair still fits 63 bits
        clamp = min(len(by_freq), (1 << SORT_BITS) - 1)
        bits = clamp.bit_length()
        shift = max(n.bit_length(), 1)
        per = max((63 - shift) // bits, 1)
        sort_ranks = np.zeros(n + per, np.uint8)
        np.minimum(ranks[:n], clamp, out=sort_ranks[:n], casting="unsafe")
        key = np.zeros(n, np.int64)
        for j in range(per):
            key <<= bits
            key |= sort_ranks[j : j + n]
        order, sorted_keys = _sort_with_positions(key, shift)
        depth = per
        fresh = np.empty(n, np.bool_)
        fresh[0] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=fresh[1:])
        dense = np.cumsum(fresh, dtype=np.int64)
        rank_bits = int(dense[-1]).bit_length()
        if 2 * rank_bits + shift <= 63 and per < n:
            by_position = np.empty(n, np.int64)
            by_position[order] = dense
            key = by_position << rank_bits
            key[: n - per] |= by_position[per:]
            del by_position
            order, _ = _sort_with_positions(key, shift)
            depth = 2 * per
        del key, sorted_keys, dense, fresh
        self._sa = order.astype(np.int32)
        self._sa_view = self._sa.data
        self._sort_bytes = sort_ranks.tobytes()
        self._clamp = clamp
        self._shared = len(by_freq) > clamp  # the clamp rank stands for several chars
        self._depth = depth

        lengths = np.fromiter((len(k) + 1 for k in keys), np.int64, len(keys))
        owner_type = np.uint16 if self.size <= 1 << 16 else np.int32
        owner_by_position = np.repeat(np.arange(self.size, dtype=owner_type), lengths)
        self._owner = owner_by_position[self._sa]
        del owner_by_position

        self._bitmasks: dict[int, npt.NDArray[np.uint8]] = {}
        for rank in range(1, clamp if self._shared else clamp + 1):
            lo, hi = self._range(bytes((rank,)))
            if hi - lo > self.size // BITMASK_SHARE:
                hit = np.zeros(self.size, np.bool_)
                hit[self._owner[lo:hi]] = True
                self._bitmasks[rank] = np.packbits(hit)

    def _range(self, prefix: bytes) -> tuple[int, int]:
        """The ``_sa`` slice of positions whose first clamped ranks are ``prefix``."""
        size, text = len(prefix), self._sort_bytes

        def head(p: int) -> bytes:
            return text[p : p + size]

        lo = bisect_left(self._sa_view, prefix, key=head)
        return lo, bisect_right(self._sa_view, prefix, lo, key=head)

    def kill(self, position: int) -> None:
        """The entry at this global position no longer holds its account's key."""
        local = (
            position - self.first
            if self.contiguous
            else int(np.searchsorted(self.positions, position))
        )
        if not self.dead[local]:
            self.dead[local] = True
            self.dead_count += 1

    def live_positions(self) -> Positions:
        return self.positions[~self.dead]

    def mark(self, query: str, into: Mask) -> None:
        """Set ``into[p]`` for every live entry at global position p whose key contains
        ``query`` (lower-cased, without separators)."""
        hit = self._hits(query)
        if hit is None:
            return
        if self.dead_count:
            hit &= ~self.dead
        if self.contiguous:
            into[self.first : self.first + self.size] |= hit
        else:
            into[self.positions[hit]] = True

    def _hits(self, query: str) -> Mask | None:
        """Entry mask of keys containing ``query``, dead ones included; None if none can."""
        ranks = [self._rank.get(c, 0) for c in query]
        if 0 in ranks or len(query) > self._n:
            return None
        if len(ranks) == 1 and ranks[0] in self._bitmasks:
            return np.unpackbits(self._bitmasks[ranks[0]], count=self.size).view(np.bool_)
        lo, hi, at = self._narrowest(ranks)
        if lo == hi:
            return None
        owners = self._owner[lo:hi]
        if len(ranks) > self._depth or (self._shared and max(ranks) >= self._clamp):
            starts = self._sa[lo:hi].astype(np.int64) - at
            keep = (starts >= 0) & (starts <= self._n - len(ranks))
            owners, starts = owners[keep], starts[keep]
            for offset, word, mask in self._query_words(ranks):
                keep = (self._words[starts + offset] & mask) == word
                owners, starts = owners[keep], starts[keep]
        hit = np.zeros(self.size, np.bool_)
        hit[owners] = True
        return hit

    def _narrowest(self, ranks: list[int]) -> tuple[int, int, int]:
        """(lo, hi, offset in the query) of the smallest ``_sa`` slice sure to hold every
        occurrence: the whole query if it fits the sort depth, else its rarest window."""
        clamped = bytes(min(r, self._clamp) for r in ranks)
        depth = self._depth
        if len(clamped) <= depth:
            return (*self._range(clamped), 0)
        last = len(clamped) - depth
        offsets = sorted({*range(0, last, max(depth // 2, 1))[: MAX_WINDOWS - 1], last})
        best = (0, 1 << 62, 0)
        for at in offsets:
            lo, hi = self._range(clamped[at : at + depth])
            if hi - lo < best[1] - best[0]:
                best = (lo, hi, at)
        return best

    def _query_words(self, ranks: list[int]) -> list[tuple[int, int, int]]:
        """(char offset, word, mask) covering the query with little-endian rank words."""
        per = WORD // self._width
        bits = 8 * self._width
        out = []
        for start in range(0, len(ranks), per):
            chunk = ranks[start : start + per]
            word = sum(r << (bits * i) for i, r in enumerate(chunk))
            mask = (1 << (bits * len(chunk))) - 1
            out.append((start, word, mask))
        return out

    def nbytes(self) -> int:
        arrays = [self.positions, self.dead, self._ranks, self._sa, self._owner]
        extra = len(self._sort_bytes) + sum(b.nbytes for b in self._bitmasks.values())
        return sum(a.nbytes for a in arrays) + extra


def _sort_with_positions(key: npt.NDArray[np.int64], shift: int) -> tuple[Positions, Positions]:
    """(positions ordered by key then position, the sorted keys): one SIMD ``np.sort`` of
    ``key << shift | position`` instead of a much slower ``argsort``."""
    packed = np.sort((key << shift) | np.arange(len(key), dtype=np.int64))
    return packed & ((1 << shift) - 1), packed >> shift
