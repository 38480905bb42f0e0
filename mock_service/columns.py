"""Per-account (plan, active) codes in one numpy array, so filters are vectorized.

Walking accounts in Python to apply ``is_active``/``subscription_status`` costs
~1 us per account skipped, so a deep page of a rare filter at 100,000 accounts
blows the 2 ms budget. Here each account's group is one int16,
``plan_code * 2 + active``, kept in step with creates and status changes;
a filtered page is a numpy test over a window of positions that widens from the
newest end only as far as the page needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from mock_service.query_cache import Group

Positions = npt.NDArray[np.int64]
Test = Callable[[npt.NDArray[np.int16]], npt.NDArray[np.bool_]]


class AccountColumns:
    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._plans: list[str] = []
        self._group = np.zeros(1024, np.int16)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def _code(self, plan: str) -> int:
        code = self._codes.get(plan)
        if code is None:
            code = self._codes[plan] = len(self._plans)
            self._plans.append(plan)
        return code

    def append(self, plan: str, active: bool) -> None:
        if self._n == len(self._group):
            self._group = np.concatenate([self._group, np.zeros_like(self._group)])
        self._group[self._n] = self._code(plan) * 2 + active
        self._n += 1

    def set_active(self, position: int, active: bool) -> None:
        self._group[position] = (self._group[position] & ~1) | active

    def nbytes(self) -> int:
        return self._group.nbytes

    def group_counts(self, positions: Positions) -> Counter[Group]:
        """How many of ``positions`` fall in each (plan, active) group."""
        counts = np.bincount(self._group[positions], minlength=2 * len(self._plans))
        return Counter(
            {(self._plans[g >> 1], bool(g & 1)): int(c) for g, c in enumerate(counts) if c}
        )

    def newest(
        self,
        offset: int,
        limit: int,
        *,
        is_active: bool | None = None,
        plan: str | None = None,
        positions: Positions | None = None,
    ) -> list[int]:
        """Positions ``offset .. offset+limit`` (newest first) among ``positions``
        (ascending; default every account) that pass the filters."""
        n = self._n if positions is None else len(positions)
        want = offset + limit
        if plan is not None and plan not in self._codes:
            return []
        test = self._test(is_active, plan)
        window = min(n, max(2 * want, 256))
        while True:
            lo = n - window
            if positions is None:
                chosen: Positions = np.arange(lo, n)
                groups = self._group[lo:n]
            else:
                chosen = positions[lo:]
                groups = self._group[chosen]
            if test is not None:
                chosen = chosen[test(groups)]
            if len(chosen) >= want or lo == 0:
                stop = len(chosen) - offset
                return chosen[max(stop - limit, 0) : max(stop, 0)][::-1].tolist()
            window = min(n, window * 4)

    def _test(self, is_active: bool | None, plan: str | None) -> Test | None:
        """A vectorized predicate over group codes, or None for no filter."""
        if plan is None and is_active is None:
            return None
        if plan is None:
            bit = int(bool(is_active))
            return lambda g: (g & 1) == bit
        code = self._codes[plan]
        if is_active is None:
            return lambda g: (g >> 1) == code
        exact = code * 2 + int(is_active)
        return lambda g: g == exact
