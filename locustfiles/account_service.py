"""Locust users of the account service, calling it through the reference client.

    locust -f locustfiles/account_service.py --host http://127.0.0.1:8202          # web UI
    locust -f locustfiles/account_service.py --host URL --headless -u 50 -r 10 -t 1m
    python locustfiles/account_service.py [--host URL]     # one user, every operation once

Every call goes through :class:`~client.SyncAccountClient` (on the gevent
transport unless ``--account-pool transport=httpx``) and reaches Locust's
statistics as one row per operation; failures carry the client's error
class. The task weights are the scenario's (``scenarios/default.toml``, the
same file as ``bench.py``) and each task runs the workload policy's flow for
its operation (``workload.policy``), the very calls ``bench.py run`` makes.
See ``locustfiles/options.py`` for every option and its environment variable.

Each user creates its own accounts in ``on_start`` under the process's
run-specific prefix; the users of a process share those accounts, as the
asyncio drivers' workers share the run's, and mutate nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Locust imports a locustfile by path: make the harness's packages importable from any cwd
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib
import random
from collections.abc import Callable
from typing import Any

from locust import User, events
from locust.env import Environment
from locust.user.task import get_tasks_from_base_classes

from client import AccountServiceError, SyncAccountClient
from locustfiles import options
from locustfiles.pacing import Pacer
from locustfiles.plugin import MEASUREMENT
from workload.flow import run_flow_sync
from workload.policy import Policy
from workload.run_data import RunData

#: marks the accounts of Locust runs (``bench.py run``'s are ``hx-...@harness.example.com``)
ID_MARK = "loadtest-"
EMAIL_DOMAIN = "loadtest.example.com"


class ProcessAccounts:
    """The accounts this process's users created, and the policy over them.

    Renewed when the run prefix changes (a new test in the web UI), so a test
    never works on the accounts of the one before.
    """

    def __init__(self) -> None:
        self._policy: Policy | None = None

    def policy(self, run_prefix: str) -> Policy:
        prefix = f"{ID_MARK}{run_prefix}"
        if self._policy is None or self._policy.data.prefix != prefix:
            data = RunData(prefix=prefix, rng=random.Random(), domain=EMAIL_DOMAIN)
            self._policy = Policy(data)
        return self._policy


ACCOUNTS = ProcessAccounts()
_shared_clients: dict[tuple[str, options.UserSettings], SyncAccountClient] = {}


def operation_task(operation: str) -> Callable[[AccountServiceUser], None]:
    """A Locust task that performs ``operation``, named after it."""

    def task(user: AccountServiceUser) -> None:
        user.perform(operation)

    task.__name__ = task.__qualname__ = operation
    return task


def weighted_tasks(weights: dict[str, int]) -> dict[Callable[..., Any], int]:
    """Locust's ``{task: weight}`` declaration of the scenario's operation mix."""
    return {operation_task(op): weight for op, weight in weights.items() if weight > 0}


class AccountServiceUser(User):
    """One simulated caller; its tasks are the workload's operations, weighted by the scenario."""

    host = "http://127.0.0.1:8202"
    # Locust documents {task: weight}; its annotation of ``tasks`` only knows the list
    tasks = weighted_tasks(MEASUREMENT.settings.weights)  # type: ignore[assignment]

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.settings = MEASUREMENT.settings
        self.rng = random.Random()
        self.client = self._client()
        self.policy = ACCOUNTS.policy(MEASUREMENT.run_prefix)
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
                run_flow_sync(self.client, self.policy.create_account())
        if self.pacer is not None:
            self.pacer.start()

    def on_stop(self) -> None:
        if self.settings.client_scope == "user":
            self.client.close()

    def perform(self, operation: str) -> None:
        """Run the policy's flow for ``operation``; a failure is already in Locust's statistics."""
        with contextlib.suppress(AccountServiceError):
            run_flow_sync(self.client, self.policy.flow(operation))


def _new_client(host: str, s: options.UserSettings) -> SyncAccountClient:
    client = SyncAccountClient(
        s.client_url(host), timeout=s.timeout, max_retries=s.max_retries, pool=s.pool, token=s.token
    )
    client.metrics.subscribe(MEASUREMENT.observe)
    return client


@events.test_start.add_listener
def _configure(environment: Environment, **_: Any) -> None:
    """Apply this test's settings (on workers: the master's) before users spawn."""
    settings = options.resolve(environment.parsed_options)
    # Locust expands ``{task: weight}`` when it creates the class; this test's mix is known
    # only now, so it is expanded the same way, by Locust's own function
    AccountServiceUser.tasks = get_tasks_from_base_classes(
        (), {"tasks": weighted_tasks(settings.weights)}
    )


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
                    self.perform(op)
            raise StopUser

    OnceUser.tasks = [OnceUser.every_operation_once]  # type: ignore[assignment]

    with ExitStack() as stack:
        if "--host" not in sys.argv and "-H" not in sys.argv:
            from mock_service.launcher import launch

            OnceUser.host = stack.enter_context(launch("seed", accounts=200))
        run_single_user(OnceUser, include_time=True, include_length=True)
