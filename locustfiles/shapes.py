"""Load shapes: the seed's throughput table (1, 10, 50, 100 users) as Locust stages.

Use it by adding this file to the locustfile list::

    locust -f locustfiles/account_service.py,locustfiles/shapes.py --headless --host URL

Each stage ramps to its user count, warms up for the scenario's
``throughput.warmup_s`` (unmeasured: rows labelled ``ramp``), then holds the
count for ``throughput.duration_s`` (rows labelled ``users=N``), so the
summary's throughput rows line up with ``bench.py run``'s ``c=N`` rows.
``--account-steps 1,10,50,100`` and ``--account-step-seconds 30`` override.
"""

from __future__ import annotations

from locust import LoadTestShape

from locustfiles import options
from locustfiles.stages import MIN_WARMUP_S, Stage, plan_stages

__all__ = ["MIN_WARMUP_S", "Stage", "StepShape", "plan_stages"]


class StepShape(LoadTestShape):
    """Step ramp with a plateau per step; ``stage_label`` names the measured part."""

    def __init__(self) -> None:
        super().__init__()
        self._stages: tuple[Stage, ...] | None = None

    @property
    def stages(self) -> tuple[Stage, ...]:
        if self._stages is None:
            parsed = self.runner.environment.parsed_options if self.runner else None
            settings = options.resolve(parsed)
            warmup = max(MIN_WARMUP_S, settings.scenario.throughput.warmup_s)
            self._stages = plan_stages(settings.step_levels, settings.plateau_s, warmup)
        return self._stages

    @property
    def planned_seconds(self) -> float:
        return self.stages[-1].end_s if self.stages else 0.0

    def _current(self) -> Stage | None:
        t = self.get_run_time()
        return next((s for s in self.stages if t < s.end_s), None)

    def tick(self) -> tuple[int, float] | None:
        stage = self._current()
        if stage is None:
            return None
        # reach each level within about a second; users create their accounts as they start
        return stage.users, float(max(stage.users, 1))

    def stage_label(self) -> str | None:
        """The stage being measured now, or None while ramping or warming up."""
        stage = self._current()
        if stage is None or self.get_run_time() < stage.measure_from_s:
            return None
        if self.get_current_user_count() != stage.users:
            return None
        return stage.label
