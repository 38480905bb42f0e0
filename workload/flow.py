"""A flow: the calls one operation of the workload makes, executed by either client.

A flow is a generator that yields :class:`~client.calls.Call` objects and
receives each one's result, like an httpx auth flow: the policy decides what
to send and what it learned, the harness only sends. The asyncio drivers run
flows with :func:`run_flow`, the Locust users with :func:`run_flow_sync`, so
both issue exactly the same calls.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

from client import AccountClient, SyncAccountClient
from client.calls import Call

T = TypeVar("T")

#: yields calls, is sent each call's result, returns the operation's result
Flow = Generator[Call[Any], Any, T]


async def run_flow(client: AccountClient, flow: Flow[T]) -> T:
    """Send each call of ``flow`` through ``client.execute``; a failed call ends the flow."""
    result: Any = None
    try:
        while True:
            result = await client.execute(flow.send(result))
    except StopIteration as done:
        return done.value
    finally:
        flow.close()


def run_flow_sync(client: SyncAccountClient, flow: Flow[T]) -> T:
    """:func:`run_flow` for the sync client (Locust's greenlets)."""
    result: Any = None
    try:
        while True:
            result = client.execute(flow.send(result))
    except StopIteration as done:
        return done.value
    finally:
        flow.close()
