"""Profiles: a frozen, typed description of how the mock behaves under load.

A profile sets per-endpoint latency (p50/p95/p99 and optional avg, fitted to
a lognormal), a capacity (slots held for each request's service time), a
new-connection cost, fault rates and the seed for every random decision.
Built-ins live as TOML files in ``profiles/``; ``load_profile`` also reads any
TOML path or a dict (``PUT /_mock/profile`` sends JSON).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from mock_service import endpoints
from mock_service.lognormal import LogNormal, fit
from mock_service.schemas import Text

PROFILES_DIR = Path(__file__).with_name("profiles")
BUILTINS: tuple[str, ...] = ("fast", "seed")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Latency(_Frozen):
    """Service time of one endpoint in ms; all zero means no injected delay."""

    p50: float = Field(ge=0)
    p95: float = Field(ge=0)
    p99: float = Field(ge=0)
    avg: float | None = Field(default=None, ge=0, description="optional target mean for the fit")
    _dist: LogNormal | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _fit(self) -> Latency:
        if not self.p50 <= self.p95 <= self.p99:
            raise ValueError("need p50 <= p95 <= p99")
        if self.p50 == 0:
            if self.p99 != 0 or self.avg:
                raise ValueError("p50 = 0 means no delay: p95, p99 and avg must be 0 too")
            return self
        if self.avg is not None and self.avg < self.p50 * 0.5:
            raise ValueError("avg far below p50 cannot come from a lognormal")
        self._dist = fit(self.p50, self.p95, self.p99, self.avg)
        return self

    @property
    def distribution(self) -> LogNormal | None:
        """The fitted lognormal, or None for zero latency."""
        return self._dist


ZERO = Latency(p50=0, p95=0, p99=0)


class Faults(_Frozen):
    """Fault rates per API request; at most one fault per request (they sum to <= 1)."""

    error_503_rate: float = Field(default=0.0, ge=0, le=1)
    error_429_rate: float = Field(default=0.0, ge=0, le=1)
    retry_after_s: int = Field(default=1, ge=0, le=3600, description="Retry-After on 503/429")
    slow_rate: float = Field(default=0.0, ge=0, le=1)
    slow_ms: float = Field(default=5000.0, ge=0, le=600_000)
    drop_rate: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _sum(self) -> Faults:
        if self.total_rate > 1:
            raise ValueError("fault rates must sum to at most 1")
        return self

    @property
    def total_rate(self) -> float:
        return self.error_503_rate + self.error_429_rate + self.slow_rate + self.drop_rate


class Profile(_Frozen):
    """How the mock behaves under load; immutable, replace it whole to change it."""

    name: Text = Field(default="custom", min_length=1, max_length=100)
    seed: int = Field(default=42, ge=0, lt=2**63)
    default_latency: Latency = ZERO
    latency: Mapping[str, Latency] = Field(
        default_factory=dict, description="per endpoint: route template or alias (get_profile...)"
    )
    capacity: int | None = Field(default=None, ge=1, le=100_000, description="None: unlimited")
    new_connection_ms: float = Field(default=0.0, ge=0, le=60_000)
    contention: float = Field(
        default=0.0, ge=0, le=1, description="USL sigma: serialisation cost per request in service"
    )
    coherency: float = Field(
        default=0.0, ge=0, le=1, description="USL kappa: crosstalk cost per pair in service"
    )
    faults: Faults = Faults()

    def slowdown(self, in_service: int) -> float:
        """The service-time factor with ``in_service`` requests in service (itself included).

        The Universal Scalability Law's denominator, ``1 + σ(n−1) + κn(n−1)``:
        with N closed-loop workers the mock's throughput follows
        ``X(N) = N / (S · slowdown(N))``, rising, flattening, and (with κ > 0)
        falling again, as real services do under contention and crosstalk.
        """
        n = in_service
        return 1.0 + self.contention * (n - 1) + self.coherency * n * (n - 1)

    @field_validator("latency", mode="before")
    @classmethod
    def _normalize_keys(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {endpoints.normalize(str(k)): v for k, v in value.items()}
        return value

    def latency_for(self, endpoint: str) -> Latency:
        """Latency of a route template (or OTHER): its own entry or the default."""
        return self.latency.get(endpoint, self.default_latency)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form; ``load_profile(p.to_dict()) == p``."""
        return self.model_dump(mode="json")


def load_profile(source: Profile | Mapping[str, Any] | str | Path) -> Profile:
    """A Profile from itself, a dict, a built-in name, or a path to a ``.toml`` file."""
    if isinstance(source, Profile):
        return source
    if isinstance(source, Mapping):
        return Profile.model_validate(dict(source))
    text = str(source)
    if isinstance(source, Path) or text.endswith(".toml"):
        path = Path(text)
    elif text in BUILTINS:
        path = PROFILES_DIR / f"{text}.toml"
    else:
        raise ValueError(f"unknown profile {text!r}: use {', '.join(BUILTINS)} or a .toml path")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.setdefault("name", path.stem)
    return Profile.model_validate(data)
