"""Locust users of the account service, calling it through the reference client.

    locust -f locustfiles/account_service.py --host http://127.0.0.1:8202          # web UI
    locust -f locustfiles/account_service.py --host URL --headless -u 50 -r 10 -t 1m
    python locustfiles/account_service.py [--host URL]     # one user, every operation once

Every call goes through :class:`~client.SyncAccountClient` (on the gevent
transport unless ``--account-pool transport=httpx``) and reaches Locust's
statistics as one row per operation; failures carry the client's error
class. The task weights are the scenario's (``scenarios/default.toml``, the
same file as ``bench.py``); see ``locustfiles/options.py`` for every option
and its environment variable. Each user creates its own accounts in
``on_start`` under a run-specific prefix and mutates only those; reads also
go to a shared set of existing accounts that no user mutates.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Locust imports a locustfile by path: make the harness's packages importable from any cwd
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib
import functools
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent.lock
from locust import User, events
from locust.env import Environment

from client import AccountServiceError, SyncAccountClient
from client.models import AccountSummary
from locustfiles import options
from locustfiles.pacing import Pacer
from locustfiles.plugin import MEASUREMENT

THEMES = ("light", "dark", "auto")
LANGUAGES = ("en", "de", "fr", "es", "ja")
#: share of profile reads that go to the shared set rather than the user's own accounts
SHARED_READ_SHARE = 0.85
SHARED_SET_SIZE = 100
ID_MARK = "loadtest-"
EMAIL_DOMAIN = "@loadtest.example.com"
_user_numbers = itertools.count()


@dataclass(slots=True)
class Owned:
    user_id: str
    email: str
    name: str


class SharedReads:
    """Accounts that no user mutates, listed once per process by the first user to ask."""

    def __init__(self) -> None:
        self.accounts: list[AccountSummary] | None = None
        self.words: list[str] = []
        self._lock = gevent.lock.Semaphore()

    def reset(self) -> None:
        self.accounts, self.words = None, []

    def get(self, client: SyncAccountClient) -> list[AccountSummary]:
        with self._lock:
            if self.accounts is None:
                try:
                    page = client.list_accounts(page=1, page_size=SHARED_SET_SIZE, is_active=True)
                except AccountServiceError:
                    page = {"accounts": []}
                # never read what load-test users (of this or another run) may deactivate
                self.accounts = [a for a in page["accounts"] if not _is_load_test(a)]
                self.words = sorted({w for a in self.accounts for w in a.name.split() if w})
            return self.accounts


def _is_load_test(account: AccountSummary) -> bool:
    return account.user_id.startswith(ID_MARK) or account.email.endswith(EMAIL_DOMAIN)


SHARED = SharedReads()
_shared_clients: dict[tuple[str, options.UserSettings], SyncAccountClient] = {}


def _quiet(operation: Callable[[AccountServiceUser], Any]) -> Callable[[AccountServiceUser], Any]:
    """Failures are already in Locust's statistics (via the client's record): carry on."""

    @functools.wraps(operation)
    def task(self: AccountServiceUser) -> Any:
        try:
            return operation(self)
        except AccountServiceError:
            return None

    return task


class AccountServiceUser(User):
    """One simulated caller; its tasks are the client's operations, weighted by the scenario."""

    host = "http://127.0.0.1:8202"

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.settings = MEASUREMENT.settings
        self.rng = random.Random()
        self.number = next(_user_numbers)
        self.active: list[Owned] = []
        self.inactive: list[Owned] = []
        self.created = 0
        self.shared: list[AccountSummary] = []
        self.client = self._client()
        self.pacer = Pacer(self.settings.rate, self.rng) if self.settings.rate else None

    def _client(self) -> SyncAccountClient:
        s = self.settings
        if s.client_scope == "process":
            key = (self.host, s)
            client = _shared_clients.get(key)
            if client is None:
                client = _shared_clients[key] = _new_client(self.host, s)
            return client
        return _new_client(self.host, s)

    def wait_time(self) -> float:
        if self.pacer is not None:
            return self.pacer.wait()
        low, high = self.settings.wait
        return low if high == low else self.rng.uniform(low, high)

    # -- lifecycle -----------------------------------------------------------------

    def on_start(self) -> None:
        for _ in range(self.settings.own_accounts):
            with contextlib.suppress(AccountServiceError):
                self._create()
        self.shared = SHARED.get(self.client)
        if self.pacer is not None:
            self.pacer.start()

    def on_stop(self) -> None:
        if self.settings.client_scope == "user":
            self.client.close()

    # -- own accounts ----------------------------------------------------------------

    def _create(self) -> Owned:
        n = self.created
        self.created += 1
        tag = f"{ID_MARK}{MEASUREMENT.run_prefix}-{self.number}-{n}"
        account = self.client.ensure_account(
            auth0_id=tag, email=f"{tag}{EMAIL_DOMAIN}", name=f"Load User {self.number}"
        )
        owned = Owned(account.user_id, account.email, account.name)
        self.active.append(owned)
        return owned

    def _own(self) -> Owned:
        """An active account of this user's (creating one when none is left)."""
        return self.rng.choice(self.active) if self.active else self._create()

    def _read_target(self) -> str:
        if self.shared and self.rng.random() < SHARED_READ_SHARE:
            return self.rng.choice(self.shared).user_id
        return self._own().user_id

    # -- tasks: one per operation, named as the client's methods ----------------------------

    @_quiet
    def get_account_profile(self) -> None:
        self.client.get_account_profile(self._read_target())

    @_quiet
    def search_accounts(self) -> None:
        words = SHARED.words or ["Load"]
        self.client.search_accounts(self.rng.choice(words), limit=20)

    @_quiet
    def list_accounts(self) -> None:
        self.client.list_accounts(page=self.rng.randint(1, 5), page_size=50)  # as bench.py's mix

    @_quiet
    def get_account_by_email(self) -> None:
        if self.shared and self.rng.random() < 0.5:
            self.client.get_account_by_email(self.rng.choice(self.shared).email)
        else:
            self.client.get_account_by_email(self._own().email)

    @_quiet
    def ensure_account(self) -> None:
        """Login: ensure an existing account; replace accounts that were deleted."""
        if len(self.active) < self.settings.own_accounts:
            self._create()
            return
        own = self._own()
        self.client.ensure_account(auth0_id=own.user_id, email=own.email, name=own.name)

    @_quiet
    def update_account_preferences(self) -> None:
        self.client.update_account_preferences(
            self._own().user_id,
            theme=self.rng.choice(THEMES),
            language=self.rng.choice(LANGUAGES),
            notification_email=self.rng.random() < 0.5,
        )

    @_quiet
    def update_account_profile(self) -> None:
        self.client.update_account_profile(
            self._own().user_id, name=f"Load User {self.number}.{self.rng.randint(0, 999)}"
        )

    @_quiet
    def change_account_status(self) -> None:
        """Deactivate one of this user's accounts, or reactivate one it deactivated."""
        if self.inactive and (len(self.active) > 1 or self.rng.random() < 0.5):
            owned = self.inactive.pop(self.rng.randrange(len(self.inactive)))
            self.client.change_account_status(owned.user_id, True, reason="load test")
            self.active.append(owned)
            return
        owned = self._own()
        self.client.change_account_status(owned.user_id, False, reason="load test")
        self.active.remove(owned)
        self.inactive.append(owned)

    @_quiet
    def delete_account(self) -> None:
        """Soft-delete one of this user's accounts; ``ensure_account`` replaces it later."""
        owned = self._own()
        self.client.delete_account(owned.user_id, reason="load test")
        self.active.remove(owned)


def weighted_tasks(weights: dict[str, int]) -> list[Callable[..., Any]]:
    """Locust's task list: each operation's method repeated by its weight."""
    return [
        getattr(AccountServiceUser, op)
        for op, weight in weights.items()
        for _ in range(weight)
        if hasattr(AccountServiceUser, op)
    ]


def _new_client(host: str, s: options.UserSettings) -> SyncAccountClient:
    client = SyncAccountClient(
        s.client_url(host), timeout=s.timeout, max_retries=s.max_retries, pool=s.pool, token=s.token
    )
    client.metrics.subscribe(MEASUREMENT.observe)
    return client


AccountServiceUser.tasks = weighted_tasks(MEASUREMENT.settings.weights)


@events.test_start.add_listener
def _configure(environment: Environment, **_: Any) -> None:
    """Apply this test's settings (on workers: the master's) before users spawn."""
    settings = options.resolve(environment.parsed_options)
    AccountServiceUser.tasks = weighted_tasks(settings.weights)
    SHARED.reset()


@events.test_stop.add_listener
def _close_shared(environment: Environment, **_: Any) -> None:
    clients = list(_shared_clients.values())
    _shared_clients.clear()
    for client in clients:
        client.close()


if __name__ == "__main__":
    from contextlib import ExitStack

    from locust import run_single_user
    from locust.exception import StopUser

    class OnceUser(AccountServiceUser):
        """Every weighted operation once, then stop: for stepping through in a debugger."""

        def every_operation_once(self) -> None:
            for op, weight in self.settings.weights.items():
                if weight:
                    getattr(self, op)()
            raise StopUser

    OnceUser.tasks = [OnceUser.every_operation_once]

    with ExitStack() as stack:
        if "--host" not in sys.argv and "-H" not in sys.argv:
            from mock_service.launcher import launch

            OnceUser.host = stack.enter_context(launch("seed", accounts=200))
        run_single_user(OnceUser, include_time=True, include_length=True)
