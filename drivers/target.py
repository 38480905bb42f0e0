"""Where the load goes: the embedded mock (started and stopped here) or a given URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from mock_service.launcher import launch


class TargetUnreachable(RuntimeError):
    """``--target`` does not answer at all."""


def pin_driver() -> int | None:
    """On 2+ cores the mock gets core 0 and the driver core 1, so neither steals from the other."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return None
    os.sched_setaffinity(0, {1})
    return 0


@contextmanager
def target(
    url: str | None, *, profile: str, accounts: int, pin: bool = True, token: str | None = None
) -> Iterator[str]:
    """Yield the base URL to load: ``url`` if given (checked to answer), else a fresh mock."""
    if url:
        try:
            httpx.get(url.rstrip("/") + "/health", timeout=5.0)
        except httpx.HTTPError as error:
            raise TargetUnreachable(
                f"--target {url} does not answer: {type(error).__name__}: {error}"
            ) from None
        yield url.rstrip("/")
        return
    mock_cpu = pin_driver() if pin else None
    with launch(profile, accounts=accounts, cpu=mock_cpu, require_token=token) as mock_url:
        yield mock_url
