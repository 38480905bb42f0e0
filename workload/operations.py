"""Every operation of the contract, once: method, the seed's label and figures, its call.

The latency phase's order, the tables' labels and order, the seed's published
figures, Locust's request types and the operations a scenario may weight all
read this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import astuple, dataclass
from types import MappingProxyType
from typing import Any

from client import calls
from client.calls import Call


@dataclass(frozen=True, slots=True)
class SeedLatency:
    """A row of the seed README's "Single Request Latency" table, in ms."""

    avg_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def as_tuple(self) -> tuple[float, float, float, float]:
        return astuple(self)


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    method: str
    #: the operation's name in the seed's tables
    label: str
    #: the ``client.calls`` function that turns arguments into this operation's ``Call``
    build: Callable[..., Call[Any]]
    #: a scenario may weight it (the workload policy has a flow for it)
    in_mix: bool
    #: measured one at a time in the latency phase ("Single Request Latency")
    in_latency_table: bool
    seed: SeedLatency | None = None

    @property
    def mutates(self) -> bool:
        """Creates, changes or deletes an account (every method but GET): the harness only
        ever sends these to accounts it created."""
        return self.method != "GET"


def _registry(*operations: Operation) -> Mapping[str, Operation]:
    return MappingProxyType({op.name: op for op in operations})


#: in the order of the seed's tables: its six, then the operations it has no figures for
OPERATIONS: Mapping[str, Operation] = _registry(
    Operation(
        "get_account_profile",
        "GET",
        "Get Profile",
        calls.get_account_profile,
        in_mix=True,
        in_latency_table=True,
        seed=SeedLatency(15.0, 12.0, 30.0, 45.0),
    ),
    Operation(
        "ensure_account",
        "POST",
        "Ensure Account",
        calls.ensure_account,
        in_mix=True,
        in_latency_table=True,
        seed=SeedLatency(20.0, 18.0, 35.0, 50.0),
    ),
    Operation(
        "update_account_profile",
        "PUT",
        "Update Profile",
        calls.update_account_profile,
        in_mix=True,
        in_latency_table=True,
        seed=SeedLatency(18.0, 15.0, 32.0, 48.0),
    ),
    Operation(
        "update_account_preferences",
        "PUT",
        "Update Preferences",
        calls.update_account_preferences,
        in_mix=True,
        in_latency_table=True,
        seed=SeedLatency(16.0, 14.0, 28.0, 42.0),
    ),
    Operation(
        "list_accounts",
        "GET",
        "List Accounts (page=50)",
        calls.list_accounts,
        in_mix=True,
        in_latency_table=True,
        seed=SeedLatency(25.0, 22.0, 45.0, 65.0),
    ),
    Operation(
        "search_accounts",
        "GET",
        "Search Accounts",
        calls.search_accounts,
        in_mix=True,
        in_latency_table=True,
        seed=SeedLatency(22.0, 20.0, 40.0, 60.0),
    ),
    Operation(
        "get_account_by_email",
        "GET",
        "Get Profile by Email",
        calls.get_account_by_email,
        in_mix=True,
        in_latency_table=True,
    ),
    # status changes and deletes use up disposable accounts: measured in the mix only
    Operation(
        "change_account_status",
        "PUT",
        "Change Status",
        calls.change_account_status,
        in_mix=True,
        in_latency_table=False,
    ),
    Operation(
        "delete_account",
        "DELETE",
        "Delete Account",
        calls.delete_account,
        in_mix=True,
        in_latency_table=False,
    ),
    Operation(
        "get_service_stats",
        "GET",
        "Service Stats",
        calls.get_service_stats,
        in_mix=False,
        in_latency_table=False,
    ),
    Operation(
        "health_check",
        "GET",
        "Health Check",
        calls.health_check,
        in_mix=False,
        in_latency_table=False,
    ),
)

#: the operations a scenario's ``[weights]`` may name
MIX_OPERATIONS: tuple[str, ...] = tuple(op.name for op in OPERATIONS.values() if op.in_mix)
#: the rows of the "Single Request Latency" table, in order
LATENCY_OPERATIONS: tuple[str, ...] = tuple(
    op.name for op in OPERATIONS.values() if op.in_latency_table
)


def label(name: str) -> str:
    """The seed's name for an operation (``Get Profile``), else a readable one."""
    op = OPERATIONS.get(name)
    return op.label if op is not None else name.replace("_", " ").title()


def table_order(names: Iterable[str]) -> list[str]:
    """Operations in the seed's table order; any the registry does not know, sorted, last."""
    present = set(names)
    known = [name for name in OPERATIONS if name in present]
    return known + sorted(present - set(known))
