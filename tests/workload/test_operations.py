"""The operation registry: one entry per call of the client, the seed's labels and figures."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from analysis import reference as seed_reference
from client import calls
from client.settings import POOL_MODES
from drivers import phases
from workload import operations
from workload.operations import LATENCY_OPERATIONS, MIX_OPERATIONS, OPERATIONS
from workload.scenario import DEFAULT_WEIGHTS

SEED_README = Path(__file__).resolve().parents[1] / "client" / "seed_readme.md"

#: arguments that build each operation's call (the contract's own example values)
SAMPLE_ARGS = {
    "get_account_profile": ("auth0|1",),
    "ensure_account": ("auth0|1", "a@example.com", "A"),
    "update_account_profile": ("auth0|1", "New Name"),
    "update_account_preferences": ("auth0|1",),
    "list_accounts": (),
    "search_accounts": ("john",),
    "get_account_by_email": ("a@example.com",),
    "change_account_status": ("auth0|1", False),
    "delete_account": ("auth0|1",),
    "get_service_stats": (),
    "health_check": (),
}


def _call_builders() -> dict[str, object]:
    """Every public function of ``client.calls`` that returns a ``Call``."""
    return {
        name: fn
        for name, fn in inspect.getmembers(calls, inspect.isfunction)
        if fn.__module__ == calls.__name__
        and not name.startswith("_")
        and str(inspect.signature(fn).return_annotation).startswith("Call[")
    }


def _seed_latency_table() -> dict[str, tuple[float, ...]]:
    """label -> (avg, p50, p95, p99) from the seed README's "Single Request Latency" block."""
    text = SEED_README.read_text(encoding="utf-8")
    block = text.split("### Single Request Latency", 1)[1].split("```")[1]
    rows = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 5 and cells[1].endswith("ms"):
            rows[cells[0]] = tuple(float(re.sub("ms$", "", c)) for c in cells[1:])
    return rows


def test_every_call_of_the_client_has_exactly_one_entry() -> None:
    builders = _call_builders()
    assert builders, "the client's calls were found"
    assert set(OPERATIONS) == set(builders) == set(SAMPLE_ARGS)
    assert len({id(op.build) for op in OPERATIONS.values()}) == len(OPERATIONS)
    for name, op in OPERATIONS.items():
        assert op.name == name and op.build is builders[name]
        call = op.build(*SAMPLE_ARGS[name])
        assert call.operation == name
        assert call.method == op.method, name


def test_labels_are_unique_and_only_reads_leave_accounts_alone() -> None:
    labels = [op.label for op in OPERATIONS.values()]
    assert len(set(labels)) == len(labels)
    mutating = {name for name, op in OPERATIONS.items() if op.mutates}
    assert mutating == {
        "ensure_account",
        "update_account_profile",
        "update_account_preferences",
        "change_account_status",
        "delete_account",
    }


def test_seed_labels_figures_and_order_are_the_seed_readmes() -> None:
    table = _seed_latency_table()
    assert len(table) == 6
    with_figures = [op for op in OPERATIONS.values() if op.seed is not None]
    assert [op.label for op in with_figures] == list(table)
    for op in with_figures:
        assert op.seed is not None and op.seed.as_tuple() == table[op.label]
    # the report's side-by-side tables read the same figures
    assert dict(seed_reference.LATENCY_MS) == {op.name: table[op.label] for op in with_figures}
    # the latency table: the seed's six in its order, then the ones it has no figures for
    assert LATENCY_OPERATIONS[: len(table)] == tuple(op.name for op in with_figures)
    assert set(LATENCY_OPERATIONS) <= set(MIX_OPERATIONS)


def test_the_scenario_and_the_drivers_read_the_registry() -> None:
    assert set(DEFAULT_WEIGHTS) == set(MIX_OPERATIONS)
    assert phases.LATENCY_OPERATIONS is LATENCY_OPERATIONS
    assert phases.POOL_MODES is POOL_MODES  # one list of pool modes: the client's


def test_table_order_and_labels_of_unknown_operations() -> None:
    names = ["zeta_op", "search_accounts", "get_account_profile", "alpha_op"]
    assert operations.table_order(names) == [
        "get_account_profile",
        "search_accounts",
        "alpha_op",
        "zeta_op",
    ]
    assert operations.label("list_accounts") == "List Accounts (page=50)"
    assert operations.label("alpha_op") == "Alpha Op"
