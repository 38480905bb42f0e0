"""Which account, search term, page and values each operation uses: one policy for all.

Every call is built from the run's own data (:class:`~workload.run_data.RunData`):

* reads, updates and logins (ensure) pick one of the run's *stable* accounts;
* status changes and deletes pick one of its *disposable* accounts, creating
  one when none is left in the needed state, so stable accounts stay readable;
* search asks for the run's prefix, a substring of every email the run made,
  with the seed's ``limit=50``; list asks for the seed's first page of 50.

Only list reads past the run's data (its first page is the target's newest
accounts, the run's own once it has made 50); every other call is on accounts
the run created, so results depend little on what the target held before,
and the run never changes anyone else's account. ``bench.py``'s drivers and
the Locust users run these same flows (``workload.flow``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from client import AccountProfile, AccountSummary, calls
from workload.flow import Flow
from workload.operations import MIX_OPERATIONS
from workload.run_data import OwnAccount, RunData

#: the seed's "List Accounts (page=50)": the first page, 50 rows
LIST_PAGE = 1
LIST_PAGE_SIZE = 50
#: the seed's ``search_accounts(query, limit=50)``
SEARCH_LIMIT = 50
#: every fourth account made by :meth:`Policy.create_account` is disposable
DISPOSABLE_EVERY = 4
THEMES = ("light", "dark", "auto")
REASON = "harness"


@contextmanager
def _changing(account: OwnAccount) -> Iterator[None]:
    """Hold ``account`` while its change is in flight, so state and service agree.

    Two concurrent flows on one account (both reactivating it, say) would
    each flip the recorded state, leaving it wrong and the account active
    after the clean-up. A failed call ends the flow here too (``run_flow``
    closes it): the state stays as it was.
    """
    account.busy = True
    try:
        yield
    finally:
        account.busy = False


class Policy:
    """Turns an operation's name into a flow of calls on the run's own accounts.

    The methods named after operations are the flows; :meth:`flow` picks one
    by name. Callers that share a :class:`RunData` (asyncio tasks, one
    process's greenlets) share its accounts, as they would share a service.
    """

    def __init__(self, data: RunData) -> None:
        self.data = data

    def flow(self, operation: str) -> Flow[Any]:
        if operation not in MIX_OPERATIONS:
            raise ValueError(f"no flow for {operation!r}; the mix has {', '.join(MIX_OPERATIONS)}")
        return getattr(self, operation)()

    # -- the run's own accounts ----------------------------------------------------

    def create_account(self, *, disposable: bool | None = None) -> Flow[OwnAccount]:
        """Create the run's next account: by default three in four stable, one disposable."""
        user_id, email, name = self.data.new_identity()
        if disposable is None:
            disposable = self.data.issued % DISPOSABLE_EVERY == 0
        yield calls.ensure_account(user_id, email, name)
        return self.data.add(user_id, email, disposable=disposable)

    def _stable(self) -> Flow[OwnAccount]:
        if not self.data.stable:  # a Locust user may start before any creation succeeded
            return (yield from self.create_account(disposable=False))
        return self.data.any_stable()

    def _disposable(self, *, active: bool) -> Flow[OwnAccount]:
        account = self.data.pick_disposable(active=active)
        if account is None:
            account = yield from self.create_account(disposable=True)
        return account

    # -- the flows, one per operation of the mix --------------------------------------

    def get_account_profile(self) -> Flow[AccountProfile]:
        account = yield from self._stable()
        return (yield calls.get_account_profile(account.user_id))

    def get_account_by_email(self) -> Flow[AccountProfile | None]:
        account = yield from self._stable()
        return (yield calls.get_account_by_email(account.email))

    def ensure_account(self) -> Flow[AccountProfile]:
        """The login flow: ensure an account that exists."""
        account = yield from self._stable()
        return (yield calls.ensure_account(account.user_id, account.email, "Harness User"))

    def update_account_profile(self) -> Flow[AccountProfile]:
        account = yield from self._stable()
        name = f"Harness User {self.data.rng.randrange(10**6):06d}"
        return (yield calls.update_account_profile(account.user_id, name=name))

    def update_account_preferences(self) -> Flow[bool]:
        account = yield from self._stable()
        rng = self.data.rng
        return (
            yield calls.update_account_preferences(
                account.user_id, theme=rng.choice(THEMES), notification_email=rng.random() < 0.5
            )
        )

    def list_accounts(self) -> Flow[dict[str, Any]]:
        return (yield calls.list_accounts(page=LIST_PAGE, page_size=LIST_PAGE_SIZE))

    def search_accounts(self) -> Flow[list[AccountSummary]]:
        return (yield calls.search_accounts(self.data.prefix, limit=SEARCH_LIMIT))

    def change_account_status(self) -> Flow[bool]:
        """Reactivate a deactivated disposable account, else deactivate an active one."""
        account = self.data.pick_disposable(active=False)
        if account is None:
            account = yield from self._disposable(active=True)
        with _changing(account):
            result = yield calls.change_account_status(
                account.user_id, is_active=not account.active, reason=REASON
            )
            account.active = not account.active
        return result

    def delete_account(self) -> Flow[bool]:
        account = yield from self._disposable(active=True)
        with _changing(account):
            result = yield calls.delete_account(account.user_id, reason=REASON)
            account.active = False
        return result

    # -- single reads, for the seed's pooling and batch phases --------------------------

    def profile_read(self) -> calls.Call[AccountProfile]:
        """One profile read of a stable account (the run's set-up made them)."""
        return calls.get_account_profile(self.data.any_stable().user_id)
