"""Where the load goes: the embedded mock (started and stopped here) or a given URL.

Either way the target is asked what it is (``/health``, and ``/health/detailed``
when it has one) through the reference client with the run's own pool, TLS
settings and token, so that a wrong URL, an untrusted certificate or a refused
token is one clear line before any run folder exists, and so that the run
records which service and version it measured.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from client import (
    AccountAuthError,
    AccountNotFoundError,
    AccountServiceError,
    AccountTLSError,
    PoolSettings,
    RetryPolicy,
    SyncAccountClient,
)
from client.calls import Call, health_check
from drivers.preflight import CREDENTIALS_HINT
from mock_service.certs import temporary_tls
from mock_service.launcher import launch

INSECURE_WARNING = (
    "WARNING: TLS certificate verification is OFF (--insecure): the harness cannot tell "
    "the service from anything that answers at this address."
)
#: how long the probe waits for each answer; a target slower than this at rest is not ready
PROBE_TIMEOUT_S = 10.0


class TargetUnreachable(RuntimeError):
    """The target does not answer ``/health``: wrong URL, or down (``bench.py`` exits 4)."""


class TargetRefused(RuntimeError):
    """The target answered but refused what we brought: its certificate is not trusted, or
    it refused the credentials. The user fixes the input (``--ca-cert``, the token): exit 2."""


@dataclass(frozen=True)
class Target:
    """A target that answered: its URL, the pool to reach it with, and what it says it is."""

    url: str
    pool: PoolSettings
    embedded: bool
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str | None:
        return self.info.get("version")

    @property
    def insecure(self) -> bool:
        return self.url.startswith("https:") and not self.pool.verify

    def describe(self) -> str:
        """``account_service 2.3.1`` or whatever part of it the target told."""
        parts = [self.info.get("service") or "service", self.version or "(no version reported)"]
        return " ".join(str(p) for p in parts)

    def tls_summary(self) -> dict[str, Any] | None:
        """How the run trusted the target, for meta.json and the report header."""
        if not self.url.startswith("https:"):
            return None
        return {
            "verify": self.pool.verify,
            "ca_cert": self.pool.ca_cert,
            "client_certificate": self.pool.client_cert is not None,
            "throwaway_ca": self.embedded and self.pool.ca_cert is not None,
        }


def pin_driver() -> int | None:
    """On 2+ cores the mock gets core 0 and the driver core 1, so neither steals from the other."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return None
    os.sched_setaffinity(0, {1})
    return 0


@contextmanager
def target(
    url: str | None,
    *,
    profile: str,
    accounts: int,
    pool: PoolSettings,
    pin: bool = True,
    token: str | None = None,
    tls: bool = False,
) -> Iterator[Target]:
    """Yield the target to load: ``url`` if given (checked to answer), else a fresh mock.

    ``tls`` serves the embedded mock on https with a throwaway CA made for this
    run, and the yielded pool trusts that CA (and nothing is left on disk after).
    """
    if url:
        if tls:
            raise ValueError("--tls starts the embedded mock on https; with --target, use https://")
        yield Target(url.rstrip("/"), pool, False, describe(url, pool, token))
        return
    with ExitStack() as stack:
        files = None
        if tls:
            files = stack.enter_context(temporary_tls())
            pool = dataclasses.replace(pool, ca_cert=str(files.ca_cert))
        mock_cpu = pin_driver() if pin else None
        mock_url = stack.enter_context(
            launch(profile, accounts=accounts, cpu=mock_cpu, require_token=token, tls=files)
        )
        yield Target(mock_url, pool, True, describe(mock_url, pool, token))


def describe(url: str, pool: PoolSettings, token: str | None) -> dict[str, Any]:
    """What the target says about itself; raises :class:`TargetUnreachable` or
    :class:`TargetRefused` when it can't say."""
    probe_pool = dataclasses.replace(pool, transport="httpx", mode="pooled", http2=False)
    client = SyncAccountClient(
        url,
        timeout=PROBE_TIMEOUT_S,
        pool=probe_pool,
        retry=RetryPolicy(max_retries=0),
        token=token,
    )
    shown = client.base_url
    with client:
        try:
            health = client.health_check()
        except AccountTLSError as error:
            raise TargetRefused(f"--target {shown}: {error}") from None
        except AccountAuthError as error:
            raise TargetRefused(
                f"--target {shown} refused the credentials on /health (HTTP {error.status}): "
                + CREDENTIALS_HINT
            ) from None
        except AccountServiceError as error:
            raise TargetUnreachable(f"--target {shown} does not answer: {error}") from None
        try:
            detailed: dict[str, Any] | None = client.execute(_detailed_health())
        except AccountNotFoundError:
            detailed = None  # an older service without it
        except AccountServiceError as error:
            detailed = {"error": f"{type(error).__name__}: {error}"}
    return _summarise(health, detailed)


def _detailed_health() -> Call[dict[str, Any]]:
    basic = health_check()
    return dataclasses.replace(basic, operation="health_detailed", target="/health/detailed")


def _summarise(health: dict[str, Any], detailed: dict[str, Any] | None) -> dict[str, Any]:
    """Scalar fields only: enough to recognise the service, nothing that could grow big."""

    def scalars(payload: dict[str, Any] | None) -> dict[str, Any] | None:
        if payload is None:
            return None
        return {k: v for k, v in payload.items() if isinstance(v, str | int | float | bool | None)}

    info: dict[str, Any] = {"health": scalars(health), "health_detailed": scalars(detailed)}
    version = (detailed or {}).get("version") or health.get("version")
    info["service"] = (detailed or {}).get("service") or health.get("service")
    info["version"] = str(version) if version is not None else None
    return info
