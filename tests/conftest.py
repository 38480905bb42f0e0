from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests._live_server import LiveServer, serve


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    """Factory: ``live_server(app)`` serves ``app`` under uvicorn for the test's duration."""
    with ExitStack() as stack:

        def start(app: Any, **config: Any) -> LiveServer:
            return stack.enter_context(serve(app, **config))

        yield start
