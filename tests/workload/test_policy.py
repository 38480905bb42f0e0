"""The data-selection policy: which account, term, page and values; flows run by both clients."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
import pytest

from client import AccountClient, SyncAccountClient
from client.calls import Call
from mock_service import create_app
from tests._live_server import LiveServer
from workload.flow import Flow, run_flow, run_flow_sync
from workload.operations import MIX_OPERATIONS, OPERATIONS
from workload.policy import LIST_PAGE_SIZE, SEARCH_LIMIT, Policy
from workload.run_data import RunData

PREFIX = "hx-test-0001"


def _policy(accounts: int = 8, seed: int = 5) -> Policy:
    """A policy over ``accounts`` own accounts, created by its own set-up flow."""
    policy = Policy(RunData(prefix=PREFIX, rng=random.Random(seed)))
    for _ in range(accounts):
        _drive(policy.create_account())
    return policy


def _drive(flow: Flow[Any], answer: Callable[[Call[Any]], Any] = lambda call: True) -> list[Call]:
    """Run ``flow`` to its end, answering every call; the calls it made."""
    sent: list[Call] = []
    result: Any = None
    try:
        while True:
            call = flow.send(result)
            sent.append(call)
            result = answer(call)
    except StopIteration:
        return sent


def _user_id(call: Call) -> str:
    return unquote(urlsplit(call.target).path.rsplit("/", 1)[1])


def _query(call: Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.target).query)


def test_the_policy_has_a_flow_for_every_operation_of_the_mix() -> None:
    policy = _policy()
    for name in MIX_OPERATIONS:
        calls = _drive(policy.flow(name))
        assert calls and calls[-1].operation == name
    for name in set(OPERATIONS) - set(MIX_OPERATIONS):
        with pytest.raises(ValueError, match="no flow"):
            policy.flow(name)


def test_mutations_only_ever_touch_the_runs_own_accounts() -> None:
    policy = _policy()
    mix = random.Random(1)
    for _ in range(2000):
        for call in _drive(policy.flow(mix.choice(MIX_OPERATIONS))):
            if not OPERATIONS[call.operation].mutates:
                continue
            if call.operation == "ensure_account":
                user_id = orjson.loads(call.body or b"{}")["user_id"]
            else:
                user_id = _user_id(call)
            assert policy.data.owns(user_id), call


def test_every_read_and_search_stays_on_the_runs_data() -> None:
    policy = _policy()
    own = {a.user_id for a in policy.data.stable}
    emails = {a.email for a in policy.data.stable}
    for _ in range(50):
        [profile] = _drive(policy.flow("get_account_profile"))
        [by_email] = _drive(policy.flow("get_account_by_email"))
        assert _user_id(profile) in own and _user_id(by_email) in emails
    [search] = _drive(policy.flow("search_accounts"))
    assert _query(search) == {
        "query": [PREFIX],
        "limit": [str(SEARCH_LIMIT)],
        "include_inactive": ["false"],
    }
    assert all(PREFIX in email for email in emails)  # the term finds every own account
    [listing] = _drive(policy.flow("list_accounts"))
    assert _query(listing) == {"page": ["1"], "page_size": [str(LIST_PAGE_SIZE)]}


def test_set_up_makes_one_account_in_four_disposable() -> None:
    policy = _policy(accounts=40)
    assert len(policy.data.stable) == 30 and len(policy.data.disposable) == 10


def test_a_policy_without_accounts_creates_one_before_reading() -> None:
    policy = Policy(RunData(prefix=PREFIX))
    ensure, read = _drive(policy.flow("get_account_profile"))
    assert ensure.operation == "ensure_account"
    assert _user_id(read) == orjson.loads(ensure.body or b"{}")["user_id"]
    assert len(policy.data.stable) == 1


def test_two_changes_in_flight_never_pick_the_same_account() -> None:
    """Both reactivating one account would flip its recorded state twice (and leak it)."""
    policy = _policy(accounts=4)  # one disposable account
    [account] = policy.data.disposable
    first = policy.flow("change_account_status")
    second = policy.flow("change_account_status")
    a, b = first.send(None), second.send(None)
    assert _user_id(a) == account.user_id
    assert b.operation == "ensure_account"  # the second makes its own disposable account
    with pytest.raises(StopIteration):
        first.send(True)
    assert account.active is False and account.busy is False


def test_a_failed_change_leaves_the_recorded_state_as_it_was() -> None:
    policy = _policy(accounts=4)
    [account] = policy.data.disposable
    flow = policy.flow("delete_account")
    assert _user_id(flow.send(None)) == account.user_id
    flow.close()  # what run_flow does when the call raised
    assert account.active is True and account.busy is False
    assert policy.data.pick_disposable(active=True) is account


def _service_state(url: str, data: RunData) -> dict[str, bool]:
    with SyncAccountClient(url) as client:
        page = client.list_accounts(page=1, page_size=100, search=data.prefix)
    return {row.user_id: row.is_active for row in page["accounts"]}


def _recorded_state(data: RunData) -> dict[str, bool]:
    return {a.user_id: a.active for a in (*data.stable, *data.disposable)}


async def test_flows_run_on_the_async_client_keep_state_and_service_in_step(
    live_server: Callable[..., LiveServer],
) -> None:
    url = live_server(create_app("fast", accounts=20)).url
    policy = Policy(RunData(prefix="hx-async-0001", rng=random.Random(3)))
    mix = random.Random(2)
    async with AccountClient(url) as client:
        for _ in range(12):
            await run_flow(client, policy.create_account())
        for _ in range(300):
            await run_flow(client, policy.flow(mix.choice(MIX_OPERATIONS)))
        found = await run_flow(client, policy.flow("search_accounts"))
    recorded = _recorded_state(policy.data)
    assert recorded == _service_state(url, policy.data)
    assert found and {row.user_id for row in found} <= set(recorded)


def test_flows_run_on_the_sync_client_keep_state_and_service_in_step(
    live_server: Callable[..., LiveServer],
) -> None:
    url = live_server(create_app("fast", accounts=20)).url
    policy = Policy(RunData(prefix="hx-sync-0001", rng=random.Random(4)))
    mix = random.Random(3)
    with SyncAccountClient(url) as client:
        for _ in range(12):
            run_flow_sync(client, policy.create_account())
        for _ in range(300):
            run_flow_sync(client, policy.flow(mix.choice(MIX_OPERATIONS)))
    recorded = _recorded_state(policy.data)
    assert recorded == _service_state(url, policy.data)
    assert any(not active for active in recorded.values()), "statuses and deletes ran"
