"""The scenario: weights, request counts, durations and concurrency levels, from TOML.

One file drives both ``bench.py`` and the Locust users; with the workload
policy (``workload.policy``) both load the service with the same mix and the
same parameters.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from workload.operations import MIX_OPERATIONS

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"

DEFAULT_WEIGHTS = {
    "get_account_profile": 35,
    "search_accounts": 14,
    "list_accounts": 12,
    "get_account_by_email": 10,
    "ensure_account": 10,
    "update_account_preferences": 8,
    "update_account_profile": 8,
    "change_account_status": 2,
    "delete_account": 1,
}


class ScenarioError(ValueError):
    """The scenario file is unreadable or has a bad key or value (the message names it)."""


@dataclass(frozen=True, slots=True)
class LatencyPhase:
    requests: int = 1000
    warmup: int = 20


@dataclass(frozen=True, slots=True)
class ThroughputPhase:
    concurrency: tuple[int, ...] = (1, 10, 50, 100)
    duration_s: float = 10.0
    warmup_s: float = 2.0


@dataclass(frozen=True, slots=True)
class PoolingPhase:
    requests: int = 60


@dataclass(frozen=True, slots=True)
class BatchPhase:
    count: int = 100


@dataclass(frozen=True, slots=True)
class DataSettings:
    accounts: int = 200


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str = "default"
    weights: tuple[tuple[str, int], ...] = tuple(DEFAULT_WEIGHTS.items())
    latency: LatencyPhase = field(default_factory=LatencyPhase)
    throughput: ThroughputPhase = field(default_factory=ThroughputPhase)
    pooling: PoolingPhase = field(default_factory=PoolingPhase)
    batch: BatchPhase = field(default_factory=BatchPhase)
    data: DataSettings = field(default_factory=DataSettings)
    #: ``[thresholds]``: rules in the gate grammar (``analysis.gate_rules``), read at start
    thresholds: tuple[str, ...] = ()

    @property
    def weight_map(self) -> dict[str, int]:
        return dict(self.weights)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["weights"] = self.weight_map
        out["thresholds"] = {"all": list(self.thresholds)}  # each rule carries its own scope
        return out


_SECTIONS = {
    "latency": LatencyPhase,
    "throughput": ThroughputPhase,
    "pooling": PoolingPhase,
    "batch": BatchPhase,
    "data": DataSettings,
}


def load_scenario(source: str | Path | None = None, *, quick: bool = False) -> Scenario:
    """A built-in name (``default``, ``quick``), a TOML path, or None for the default."""
    if source is None:
        source = "quick" if quick else "default"
    path = Path(source)
    if not path.suffix:
        path = SCENARIOS_DIR / f"{source}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        builtins = ", ".join(sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml")))
        raise ScenarioError(
            f"no scenario {source!r}: give a .toml path or one of {builtins}"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    return scenario_from_dict(data, origin=str(path))


def scenario_from_dict(data: dict[str, Any], origin: str = "scenario") -> Scenario:
    known = {"name", "weights", "thresholds", *_SECTIONS}
    unknown = set(data) - known
    if unknown:
        accepted = ", ".join(sorted(known))
        raise ScenarioError(
            f"{origin}: unknown section {sorted(unknown)[0]!r}; accepted: {accepted}"
        )
    scenario = Scenario(name=str(data.get("name", Path(origin).stem)))
    if "weights" in data:
        scenario = replace(scenario, weights=_weights(data["weights"], origin))
    if "thresholds" in data:
        scenario = replace(scenario, thresholds=_thresholds(data["thresholds"], origin))
    for section, kind in _SECTIONS.items():
        if section in data:
            scenario = replace(
                scenario, **{section: _section(kind, data[section], origin, section)}
            )
    return scenario


def _weights(raw: Any, origin: str) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{origin}: [weights] must be a table of operation = weight")
    merged = dict(DEFAULT_WEIGHTS)
    for op, weight in raw.items():
        if op not in MIX_OPERATIONS:
            raise ScenarioError(
                f"{origin}: unknown operation {op!r} in [weights]; accepted: "
                f"{', '.join(MIX_OPERATIONS)}"
            )
        if not isinstance(weight, int) or weight < 0:
            raise ScenarioError(f"{origin}: weight of {op} must be a whole number >= 0")
        merged[op] = weight
    if not any(merged.values()):
        raise ScenarioError(f"{origin}: [weights] are all zero")
    return tuple(merged.items())


def _thresholds(raw: Any, origin: str) -> tuple[str, ...]:
    """``[thresholds]``: scope = [conditions]; the scope ``all`` judges every request.

    [thresholds]
    all = ["p95<200ms", "error_rate<1%"]
    "c=50" = ["throughput>500"]
    get_account_profile = ["p99<50ms"]
    """
    if not isinstance(raw, dict):
        raise ScenarioError(f"{origin}: [thresholds] must be a table of scope = [conditions]")
    rules = []
    for scope, conditions in raw.items():
        if not isinstance(conditions, list) or not all(isinstance(c, str) for c in conditions):
            raise ScenarioError(
                f"{origin}: thresholds.{scope} must be a list of conditions such as "
                '["p95<200ms", "error_rate<1%"]'
            )
        rules += [c if scope == "all" else f"{scope}:{c}" for c in conditions]
    return tuple(rules)


def _section(kind: type, raw: Any, origin: str, name: str) -> Any:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{origin}: [{name}] must be a table")
    accepted = {f.name: f for f in fields(kind)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in accepted:
            raise ScenarioError(
                f"{origin}: unknown key {name}.{key}; accepted: {', '.join(accepted)}"
            )
        default = getattr(kind(), key)
        if isinstance(default, tuple):
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, int) and v >= 1 for v in value)
            ):
                raise ScenarioError(f"{origin}: {name}.{key} must be a list of whole numbers >= 1")
            value = tuple(value)
        elif isinstance(default, float):
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ScenarioError(f"{origin}: {name}.{key} must be a number >= 0")
            value = float(value)
        elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ScenarioError(f"{origin}: {name}.{key} must be a whole number >= 1")
        values[key] = value
    return kind(**values)
