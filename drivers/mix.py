"""The weighted operation mix: each operation as a call on the run's own data."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from client import AccountClient
from drivers.run_data import RunData

Operation = Callable[[AccountClient, RunData], Awaitable[Any]]


async def _profile(client: AccountClient, data: RunData) -> Any:
    return await client.get_account_profile(data.any_stable().user_id)


async def _by_email(client: AccountClient, data: RunData) -> Any:
    return await client.get_account_by_email(data.any_stable().email)


async def _ensure(client: AccountClient, data: RunData) -> Any:
    account = data.any_stable()  # the login flow: ensure an account that exists
    return await client.ensure_account(account.user_id, account.email, "Harness User")


async def _update_profile(client: AccountClient, data: RunData) -> Any:
    account = data.any_stable()
    return await client.update_account_profile(
        account.user_id, name=f"Harness User {data.rng.randrange(10**6):06d}"
    )


async def _update_preferences(client: AccountClient, data: RunData) -> Any:
    theme = data.rng.choice(("light", "dark", "auto"))
    return await client.update_account_preferences(
        data.any_stable().user_id, theme=theme, notification_email=data.rng.random() < 0.5
    )


async def _list(client: AccountClient, data: RunData) -> Any:
    return await client.list_accounts(page=1, page_size=50)


async def _search(client: AccountClient, data: RunData) -> Any:
    return await client.search_accounts(data.prefix, limit=50)


async def _status(client: AccountClient, data: RunData) -> Any:
    inactive = data.pick_disposable(active=False)
    account = inactive or data.pick_disposable(active=True)
    if account is None:
        account = await _create_disposable(client, data)
    result = await client.change_account_status(
        account.user_id, is_active=not account.active, reason="harness"
    )
    account.active = not account.active
    return result


async def _delete(client: AccountClient, data: RunData) -> Any:
    account = data.pick_disposable(active=True) or await _create_disposable(client, data)
    result = await client.delete_account(account.user_id, reason="harness")
    account.active = False
    return result


async def _create_disposable(client: AccountClient, data: RunData) -> Any:
    user_id, email, name = data.new_identity()
    await client.ensure_account(user_id, email, name)
    return data.add(user_id, email, disposable=True)


OPERATIONS: dict[str, Operation] = {
    "get_account_profile": _profile,
    "get_account_by_email": _by_email,
    "ensure_account": _ensure,
    "update_account_profile": _update_profile,
    "update_account_preferences": _update_preferences,
    "list_accounts": _list,
    "search_accounts": _search,
    "change_account_status": _status,
    "delete_account": _delete,
}


class Mix:
    """Draws operations by weight from a seeded generator, a block at a time."""

    def __init__(self, weights: dict[str, int], seed: int = 1) -> None:
        names = [op for op, w in weights.items() if w > 0]
        self._names = names
        self._weights = [weights[op] for op in names]
        self._rng = random.Random(seed)
        self._block: list[str] = []

    def next(self) -> Operation:
        if not self._block:
            self._block = self._rng.choices(self._names, self._weights, k=1024)
        return OPERATIONS[self._block.pop()]


async def create_accounts(client: AccountClient, data: RunData, count: int) -> None:
    """The run's own accounts, 20 at a time: three quarters stable, a quarter disposable."""
    identities = [data.new_identity() for _ in range(count)]
    for first in range(0, count, 20):
        batch = identities[first : first + 20]
        await asyncio.gather(*(client.ensure_account(*identity) for identity in batch))
        for i, (user_id, email, _) in enumerate(batch, start=first):
            data.add(user_id, email, disposable=i % 4 == 3)


async def delete_accounts(client: AccountClient, data: RunData, *, budget_s: float = 60.0) -> int:
    """Soft-delete every account the run created and left active, 20 at a time (unmeasured).

    The contract has no hard delete: the accounts stay, inactive, under the run's
    prefix. A target too slow to finish within ``budget_s`` keeps the rest active.
    """
    active = [a for a in (*data.stable, *data.disposable) if a.active]
    deleted = 0
    try:
        async with asyncio.timeout(budget_s):
            for first in range(0, len(active), 20):
                batch = active[first : first + 20]
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
