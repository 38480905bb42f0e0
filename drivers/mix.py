"""The weighted operation mix, and the run's set-up and clean-up of its own accounts.

Which calls an operation makes is the workload policy's (``workload.policy``),
the same for Locust's users; this module only draws names by weight.
"""

from __future__ import annotations

import asyncio
import random

from client import AccountClient
from workload.flow import run_flow
from workload.policy import Policy
from workload.run_data import RunData

#: set-up and clean-up send this many calls at a time
BATCH = 20


class Mix:
    """Draws operation names by weight from a seeded generator, a block at a time."""

    def __init__(self, weights: dict[str, int], seed: int = 1) -> None:
        names = [op for op, w in weights.items() if w > 0]
        self._names = names
        self._weights = [weights[op] for op in names]
        self._rng = random.Random(seed)
        self._block: list[str] = []

    def next(self) -> str:
        if not self._block:
            self._block = self._rng.choices(self._names, self._weights, k=1024)
        return self._block.pop()


async def create_accounts(client: AccountClient, policy: Policy, count: int) -> None:
    """The run's own accounts, 20 at a time (the policy makes a quarter of them disposable)."""
    for first in range(0, count, BATCH):
        batch = min(BATCH, count - first)
        await asyncio.gather(*(run_flow(client, policy.create_account()) for _ in range(batch)))


async def delete_accounts(client: AccountClient, data: RunData, *, budget_s: float = 60.0) -> int:
    """Soft-delete every account the run created and left active, 20 at a time (unmeasured).

    The contract has no hard delete: the accounts stay, inactive, under the run's
    prefix. A target too slow to finish within ``budget_s`` keeps the rest active.
    """
    active = [a for a in (*data.stable, *data.disposable) if a.active]
    deleted = 0
    try:
        async with asyncio.timeout(budget_s):
            for first in range(0, len(active), BATCH):
                batch = active[first : first + BATCH]
                answers = await asyncio.gather(
                    *(client.delete_account(a.user_id, reason="harness clean-up") for a in batch),
                    return_exceptions=True,
                )
                for account, answer in zip(batch, answers, strict=True):
                    if answer is True:
                        account.active = False
                        deleted += 1
    except TimeoutError:
        pass
    return deleted
