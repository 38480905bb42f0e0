"""One immutable block of search keys, indexed for substring search in numpy.

Scanning 100,000 names and emails in Python for a never-seen query costs
2-200 ms; the budget is 2 ms. A segment joins its keys with ``"\\x00"``, turns
each character into a small rank, and sorts every character position by the
bigram starting there (one ``np.sort`` of packed int64s), so all positions of a
bigram form one contiguous, ascending slice of ``_sa``. A query takes the slice
of its rarest bigram, checks the whole query at those positions with
overlapping 8-byte word compares, and maps positions to entries through
``_owner`` (parallel to ``_sa``): C-level work proportional to the candidates,
never to the text. Characters frequent enough to make that slice big (``a``,
``e``, ``@``) get a precomputed bitmask of entries instead.

Entries are immutable: when an entry's key changes, the owning index marks it
dead here (``kill``) and indexes the new key elsewhere.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.int64]

MAX_BUCKET_RANK = 255  # bigram table of at most 256 x 256 buckets; rarer chars share one
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

        base = min(len(by_freq), MAX_BUCKET_RANK) + 1
        bucket = np.minimum(ranks[: n + 1], MAX_BUCKET_RANK).astype(np.int64)
        bigram = bucket[:n] * base + bucket[1:]
        shift = max(n.bit_length(), 1)
        packed = np.sort((bigram << shift) | np.arange(n, dtype=np.int64))
        self._sa = (packed & ((1 << shift) - 1)).astype(np.int32)
        del packed
        self._base = base
        self._offsets = np.zeros(base * base + 1, np.int64)
        np.cumsum(np.bincount(bigram, minlength=base * base), out=self._offsets[1:])

        lengths = np.fromiter((len(k) + 1 for k in keys), np.int64, len(keys))
        owner_type = np.uint16 if self.size <= 1 << 16 else np.int32
        by_position = np.repeat(np.arange(self.size, dtype=owner_type), lengths)
        self._owner = by_position[self._sa]
        del by_position

        self._bitmasks: dict[int, npt.NDArray[np.uint8]] = {}
        for rank in range(1, min(len(by_freq), MAX_BUCKET_RANK - 1) + 1):
            lo, hi = self._first_char_range(rank)
            if hi - lo > self.size // BITMASK_SHARE:
                hit = np.zeros(self.size, np.bool_)
                hit[self._owner[lo:hi]] = True
                self._bitmasks[rank] = np.packbits(hit)

    def _first_char_range(self, bucket_rank: int) -> tuple[int, int]:
        lo = int(self._offsets[bucket_rank * self._base])
        return lo, int(self._offsets[(bucket_rank + 1) * self._base])

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
        lo, hi, at = self._rarest(ranks)
        if lo == hi:
            return None
        owners = self._owner[lo:hi]
        if len(ranks) > 2 or max(ranks) >= MAX_BUCKET_RANK:
            starts = self._sa[lo:hi].astype(np.int64) - at
            keep = (starts >= 0) & (starts <= self._n - len(ranks))
            owners, starts = owners[keep], starts[keep]
            for offset, word, mask in self._query_words(ranks):
                keep = (self._words[starts + offset] & mask) == word
                owners, starts = owners[keep], starts[keep]
        hit = np.zeros(self.size, np.bool_)
        hit[owners] = True
        return hit

    def _rarest(self, ranks: list[int]) -> tuple[int, int, int]:
        """(lo, hi, offset in query) of the smallest ``_sa`` slice holding the query."""
        base, offsets = self._base, self._offsets
        bucket = [min(r, MAX_BUCKET_RANK) for r in ranks]
        if len(bucket) == 1:
            lo, hi = self._first_char_range(bucket[0])
            return lo, hi, 0
        best = (0, 1 << 62, 0)
        for i in range(len(bucket) - 1):
            b = bucket[i] * base + bucket[i + 1]
            lo, hi = int(offsets[b]), int(offsets[b + 1])
            if hi - lo < best[1] - best[0]:
                best = (lo, hi, i)
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
        arrays = [self.positions, self.dead, self._ranks, self._sa, self._offsets, self._owner]
        return sum(a.nbytes for a in arrays) + sum(b.nbytes for b in self._bitmasks.values())
