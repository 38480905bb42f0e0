from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests._live_server import LiveServer, serve
from tests.client.scripted_app import ScriptedApp, Step


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    """Factory: ``live_server(app)`` serves ``app`` under uvicorn for the test's duration."""
    with ExitStack() as stack:

        def start(app: Any, **config: Any) -> LiveServer:
            return stack.enter_context(serve(app, **config))

        yield start


@pytest.fixture
def scripted(live_server: Callable[..., LiveServer]) -> Callable[..., tuple[ScriptedApp, str]]:
    """``scripted(Step(...), ...)``: a scripted server on loopback; returns (app, url)."""

    def start(*steps: Step, **config: Any) -> tuple[ScriptedApp, str]:
        app = ScriptedApp(*steps)
        return app, live_server(app, **config).url

    return start
