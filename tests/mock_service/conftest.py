"""Fixtures: a mock app served by a real uvicorn (tests/conftest.py's live_server)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mock_service import create_app

# uvloop, as `python -m mock_service` runs it; the drop test also covers asyncio.
LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


@pytest.fixture(autouse=True)
def _fast_thread_switches() -> Iterator[None]:
    """The server thread and the test share the GIL: hand it over faster than every 5 ms."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    yield
    sys.setswitchinterval(previous)


@pytest.fixture
def serve_mock(live_server: Callable[..., Any]) -> Callable[..., str]:
    """``serve_mock(profile, accounts=..., ...)`` -> base URL of a freshly created mock."""

    def start(profile: Any = "fast", *, loop: str = LOOP, **kwargs: Any) -> str:
        return live_server(create_app(profile, **kwargs), loop=loop).url

    return start


@pytest.fixture
def api(serve_mock: Callable[..., str]) -> Iterator[httpx.Client]:
    """A client on a fast mock seeded with 200 accounts."""
    with httpx.Client(base_url=serve_mock("fast", accounts=200, seed=7), timeout=10) as client:
        yield client
