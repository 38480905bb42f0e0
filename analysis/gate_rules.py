"""The gates' one grammar: thresholds (``p95<200ms``) and change rules (``p95:+10%``).

``--threshold`` (``run``, ``sweep``, ``locust`` and a scenario's ``[thresholds]``),
``compare --fail-on`` and ``history --fail-on-change`` all read their rules here,
with the same statistic names and the same scopes: an operation
(``get_account_profile:p99<50ms``) and/or a concurrency level
(``c=100:p95<300ms``). :mod:`analysis.gates` judges them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from client.metrics import PERCENTILE_NAMES, percentile_name
from results.errors import RunInputError
from workload import operations

THROUGHPUT = "throughput"
Outcome = Literal["pass", "fail", "inconclusive"]
PASS, FAIL, INCONCLUSIVE = get_args(Outcome)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
#: what an inconclusive cell does to the exit code (``--inconclusive``)
Inconclusive = Literal["fail", "pass"]
INCONCLUSIVE_CHOICES: tuple[Inconclusive, ...] = get_args(Inconclusive)

#: the percentiles a threshold may name; the reported set (``PERCENTILE_NAMES``) among them
THRESHOLD_PERCENTILES: tuple[float, ...] = (50, 90, 95, 99, 99.9)
LATENCY_STATISTICS: tuple[str, ...] = (
    "avg",
    *(percentile_name(p) for p in THRESHOLD_PERCENTILES),
    "max",
)
ERROR_RATE = "error_rate"
#: every statistic a threshold may name, in the order gates are listed
STATISTICS: tuple[str, ...] = (*LATENCY_STATISTICS, ERROR_RATE, THROUGHPUT)
#: the statistics a change rule may name: the cells compare and history measure
CHANGE_METRICS: tuple[str, ...] = (*PERCENTILE_NAMES, THROUGHPUT)
assert set(CHANGE_METRICS) <= set(STATISTICS)

#: a threshold's unit -> its factor to the statistic's unit (ms, a fraction, req/s)
_LATENCY_UNITS = {"ms": 1.0, "s": 1000.0, "us": 0.001, "µs": 0.001}
THRESHOLD_FORMS = (
    "'p95<200ms', 'error_rate<1%', 'c=50:throughput>500', 'get_account_profile:p99<50ms'"
)
CHANGE_FORMS = "'p95:+10%', 'throughput:-5%', 'c=100:p99:+20%'"

_NUMBER = r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_THRESHOLD = re.compile(
    rf"^(?P<stat>[a-z0-9_.]+)(?P<op><=|>=|<|>)(?P<value>{_NUMBER})(?P<unit>[a-zµ/%]*)$"
)
_CHANGE = re.compile(rf"^(?P<stat>[a-z0-9_.]+):(?P<sign>[+-]?)(?P<value>{_NUMBER})%$")
_LEVEL = re.compile(r"^c=(\d+)$")


class GateRuleError(RunInputError):
    """A gate rule that does not read, or a scope that matches nothing: one line naming the
    flag, the rule and what is accepted (``bench.py`` exits 2)."""


@dataclass(frozen=True)
class Scope:
    """Which requests a rule judges: one operation and/or one concurrency level (None: all)."""

    operation: str | None = None
    level: int | None = None

    def __str__(self) -> str:
        parts = [self.operation] if self.operation else []
        parts += [f"c={self.level}"] if self.level is not None else []
        return ":".join(parts)


@dataclass(frozen=True)
class Threshold:
    """An absolute limit: ``statistic op limit`` over the scope's requests of one run."""

    text: str
    scope: Scope
    statistic: str
    op: str  # "<", "<=", ">", ">="
    limit: float  # in the statistic's unit: ms, a fraction (error_rate), req/s

    @property
    def unit(self) -> str:
        return unit_of(self.statistic)

    def holds(self, value: float) -> bool:
        return {
            "<": value < self.limit,
            "<=": value <= self.limit,
            ">": value > self.limit,
            ">=": value >= self.limit,
        }[self.op]


@dataclass(frozen=True)
class ChangeRule:
    """A limit on the regression of ``metric`` between two runs, a fraction (0.1: 10%)."""

    text: str
    scope: Scope
    metric: str
    threshold: float

    def __str__(self) -> str:
        return self.text

    def applies(self, metric: str, key: str, group: str) -> bool:
        """Whether this rule judges ``metric`` of the cell ``key`` of ``group``: an operation
        (its name or label), or a window (its key or name, which hold ``c=N``)."""
        if metric != self.metric:
            return False
        op = self.scope.operation
        if op is not None and (group != "operation" or key not in (op, operations.label(op))):
            return False
        if self.scope.level is not None:
            return group == "concurrency" and _key_level(key) == self.scope.level
        return True

    def broken_by(self, metric: str, change: float) -> bool:
        """Whether a regression of ``metric`` by ``change`` (a fraction) goes past this rule."""
        return metric == self.metric and abs(change) > self.threshold


def unit_of(statistic: str) -> str:
    if statistic == ERROR_RATE:
        return "%"
    return "req/s" if statistic == THROUGHPUT else "ms"


def _key_level(key: str) -> int | None:
    """The concurrency of a window key (``throughput/c=10/``, ``sweep/c=10/pool``)."""
    for part in re.split(r"[/ ]", key):
        match = _LEVEL.match(part)
        if match:
            return int(match.group(1))
    return None


def _scope(parts: Sequence[str], flag: str, rule: str) -> Scope:
    operation, level = None, None
    for part in parts:
        match = _LEVEL.match(part)
        if match:
            level = int(match.group(1))
        elif part in operations.OPERATIONS:
            operation = part
        else:
            raise GateRuleError(
                f"{flag}: {rule!r}: unknown scope {part!r}; a scope is an operation "
                f"({', '.join(operations.OPERATIONS)}) or a level such as c=100"
            )
    return Scope(operation, level)


def parse_threshold(text: str, flag: str = "--threshold") -> Threshold:
    """``[scope:]statistic<limit[unit]`` -> a Threshold; GateRuleError naming ``flag``."""
    rule = text.strip().replace(" ", "")
    *parts, condition = rule.split(":") if rule else [""]
    match = _THRESHOLD.match(condition)
    if match is None:
        raise GateRuleError(
            f"{flag}: cannot read {text.strip()!r}; expected [SCOPE:]STATISTIC<LIMIT such as "
            f"{THRESHOLD_FORMS} (statistics: {', '.join(STATISTICS)})"
        )
    stat, op, value, unit = match.group("stat", "op", "value", "unit")
    if stat not in STATISTICS:
        raise GateRuleError(
            f"{flag}: {text.strip()!r}: unknown statistic {stat!r}; "
            f"accepted: {', '.join(STATISTICS)}"
        )
    limit = float(value)
    if stat == ERROR_RATE:
        if unit not in ("%", ""):
            raise GateRuleError(f"{flag}: {text.strip()!r}: error_rate takes a percentage (1%)")
        limit /= 100 if unit == "%" else 1
    elif stat == THROUGHPUT:
        if unit not in ("", "req/s", "rps"):
            raise GateRuleError(f"{flag}: {text.strip()!r}: throughput takes req/s (500)")
    else:
        if unit not in _LATENCY_UNITS and unit != "":
            raise GateRuleError(
                f"{flag}: {text.strip()!r}: a latency takes {', '.join(_LATENCY_UNITS)} "
                f"(default ms), not {unit!r}"
            )
        limit *= _LATENCY_UNITS.get(unit, 1.0)
    return Threshold(rule, _scope(parts, flag, text.strip()), stat, op, limit)


def parse_change(text: str, flag: str = "--fail-on") -> ChangeRule:
    """``[scope:]metric:±N%`` -> a ChangeRule; GateRuleError naming ``flag`` and the form."""
    rule = text.strip().replace(" ", "")
    parts = rule.split(":")
    match = _CHANGE.match(":".join(parts[-2:])) if len(parts) >= 2 else None
    if match is None or match.group("stat") not in CHANGE_METRICS:
        raise GateRuleError(
            f"{flag}: cannot read {text.strip()!r}; expected [SCOPE:]METRIC:±N% items such as "
            f"{CHANGE_FORMS} (metrics: {', '.join(CHANGE_METRICS)})"
        )
    metric, sign, number = match.group("stat", "sign", "value")
    wrong = "+" if metric == THROUGHPUT else "-"
    if sign == wrong:
        direction = "a drop (-N%)" if metric == THROUGHPUT else "a rise (+N%)"
        raise GateRuleError(
            f"{flag}: {text.strip()!r}: a {metric} regression is {direction}; "
            f"expected a form such as {CHANGE_FORMS}"
        )
    return ChangeRule(rule, _scope(parts[:-2], flag, text.strip()), metric, float(number) / 100)


def parse_changes(text: str | None, flag: str = "--fail-on") -> tuple[ChangeRule, ...]:
    """A comma list of change rules (None or blank: none)."""
    if text is None or not text.strip():
        return ()
    rules = tuple(parse_change(item, flag) for item in text.split(",") if item.strip())
    return rules or (parse_change(text, flag),)  # only commas: say what a rule looks like


def check_scopes(
    thresholds: Iterable[Threshold], *, operations_run: Sequence[str], levels: Sequence[int]
) -> None:
    """Refuse, before any load, a threshold whose scope the run will not measure."""
    for rule in thresholds:
        op, level = rule.scope.operation, rule.scope.level
        if op is not None and op not in operations_run:
            raise GateRuleError(
                f"--threshold {rule.text!r}: this run measures no {op!r}; it measures "
                f"{', '.join(operations_run)}"
            )
        if level is not None and level not in levels:
            shown = ", ".join(f"c={c}" for c in levels) or "no concurrency levels"
            raise GateRuleError(
                f"--threshold {rule.text!r}: this run has no level c={level}; it has {shown}"
            )
        if rule.statistic == THROUGHPUT and op is not None:
            raise GateRuleError(
                f"--threshold {rule.text!r}: throughput is a window's, not an operation's; "
                "scope it to a level (c=50:throughput>500) or to none"
            )
