"""Stages of the step shape, planned without importing Locust (which patches on import)."""

from __future__ import annotations

from dataclasses import dataclass

MIN_WARMUP_S = 2.0


@dataclass(frozen=True, slots=True)
class Stage:
    label: str
    users: int
    start_s: float  # from the shape's start
    measure_from_s: float
    end_s: float


def plan_stages(levels: tuple[int, ...], plateau_s: float, warmup_s: float) -> tuple[Stage, ...]:
    """Back-to-back stages; a repeated level gets a ``#2`` suffix to keep labels unique."""
    stages: list[Stage] = []
    seen: dict[int, int] = {}
    t = 0.0
    for users in levels:
        seen[users] = seen.get(users, 0) + 1
        label = f"users={users}" + (f"#{seen[users]}" if seen[users] > 1 else "")
        stages.append(Stage(label, users, t, t + warmup_s, t + warmup_s + plateau_s))
        t += warmup_s + plateau_s
    return tuple(stages)
