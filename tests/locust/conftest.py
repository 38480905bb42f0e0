from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests._live_server import LiveServer
from tests.client.scripted_app import ScriptedApp, Step


@pytest.fixture
def scripted(live_server: Callable[..., LiveServer]) -> Callable[..., tuple[ScriptedApp, str]]:
    """``scripted(Step(...), ...)``: a scripted server on loopback; returns (app, url)."""

    def start(*steps: Step, **config: Any) -> tuple[ScriptedApp, str]:
        app = ScriptedApp(*steps)
        return app, live_server(app, **config).url

    return start
