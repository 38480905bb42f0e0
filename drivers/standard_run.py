"""``bench.py run``: the standard benchmark, from an empty run folder to the printed tables.

What was measured is always written, atomically, even when the run is cut
short by Ctrl-C, SIGTERM or the target dying; the exit code then says so.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from analysis.summary import summarize
from client import PoolSettings, RetryPolicy
from drivers import interrupts, phases
from drivers.exit_codes import ExitCode
from drivers.loops import TargetDown
from drivers.mix import delete_accounts
from drivers.preflight import PreflightFailed, preflight
from drivers.progress import Progress
from drivers.recorder import Recorder
from drivers.sweep import SweepSpec, sweep_phase
from drivers.target import INSECURE_WARNING, target
from drivers.terminal import print_summary
from results import RunFolder, SampleBuffer, Summary, new_run_dir
from results.meta import base_meta, now_iso
from results.redaction import redact_url
from workload.run_data import RunData, run_prefix
from workload.scenario import Scenario

ALL_PHASES = ("latency", "throughput", "pooling", "batch")

EXIT_OK, EXIT_PREFLIGHT, EXIT_TARGET = ExitCode.OK, ExitCode.PREFLIGHT, ExitCode.TARGET_FAILED


@dataclass(frozen=True)
class RunOptions:
    target: str | None = None
    profile: str = "seed"
    mock_accounts: int = 1000
    pool: PoolSettings = field(default_factory=PoolSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 10.0
    scenario: Scenario = field(default_factory=Scenario)
    phases: tuple[str, ...] = ALL_PHASES
    rate: float | None = None
    rate_duration_s: float = 10.0
    label: str = "run"
    runs_root: Path = Path("runs")
    token: str | None = None
    pin: bool = True
    loop: str = "uvloop"
    sweep: SweepSpec | None = None
    tls: bool = False  # the embedded mock on https, with a throwaway CA

    @property
    def kind(self) -> str:
        return "sweep" if self.sweep is not None else "run"


@dataclass
class Outcome:
    run_dir: Path
    summary: Mapping[str, Any]
    exit_code: int

    @property
    def kept(self) -> bool:
        """False when nothing was measured and no run folder was kept."""
        return self.exit_code != EXIT_PREFLIGHT


def execute(options: RunOptions, out: TextIO = sys.stdout) -> Outcome:
    with target(
        options.target,
        profile=options.profile,
        accounts=options.mock_accounts,
        pool=options.pool,
        pin=options.pin,
        token=options.token,
        tls=options.tls,
    ) as found:
        url = found.url
        options = dataclasses.replace(options, pool=found.pool)  # --tls: trusts the mock's CA
        run_dir = new_run_dir(options.label, options.runs_root)  # only once there is a target
        folder = RunFolder(run_dir)
        meta = base_meta(
            options.kind,
            token=options.token,
            label=options.label,
            target=url,
            target_info=found.info,
            embedded_mock=options.target is None,
            mock_profile=options.profile if options.target is None else None,
            pool={**dataclasses.asdict(options.pool), "label": options.pool.label()},
            tls=found.tls_summary(),
            retry={
                **dataclasses.asdict(options.retry),
                "retry_statuses": sorted(options.retry.retry_statuses),
            },
            timeout_s=options.timeout,
            scenario=options.scenario.to_dict(),
            phases=list(options.phases),
            open_loop_rate=options.rate,
            event_loop=options.loop,
            sweep=_sweep_meta(options.sweep),
        )
        folder.write_meta(meta)
        print(f"run folder: {run_dir}\ntarget: {redact_url(url)}", file=out, flush=True)
        if found.version or found.info.get("service"):
            print(f"service: {found.describe()}", file=out, flush=True)
        if found.insecure:
            print(INSECURE_WARNING, file=out, flush=True)
        outcome = _run_loop(options.loop)(_run(url, options, folder, meta))
    if outcome.exit_code == EXIT_PREFLIGHT:
        # nothing was measured: say why, and leave no folder that looks like a result
        shutil.rmtree(outcome.run_dir, ignore_errors=True)
        print(f"{outcome.summary.get('cut_short')}\nno load was sent; no run folder kept", file=out)
        return outcome
    print_summary(outcome.summary, out=out)
    print(f"\nrun folder: {outcome.run_dir}", file=out)
    return outcome


def _run_loop(name: str) -> Callable[[Awaitable[Outcome]], Outcome]:
    if name == "uvloop":
        try:
            import uvloop

            return uvloop.run  # type: ignore[return-value]
        except ImportError:
            pass
    return asyncio.run  # type: ignore[return-value]


async def _run(url: str, options: RunOptions, folder: RunFolder, meta: dict[str, Any]) -> Outcome:
    recorder = Recorder()
    ctx = phases.RunContext(
        url=url,
        pool=options.pool,
        retry=options.retry,
        timeout=options.timeout,
        scenario=options.scenario,
        data=RunData(prefix=run_prefix()),
        recorder=recorder,
        progress=Progress(recorder),
        client_kwargs={"token": options.token} if options.token else {},
    )
    cut_short: str | None = None
    exit_code: int = EXIT_OK
    ctx.client = ctx.new_client()
    with interrupts.SigtermCancels() as stop:  # a second SIGTERM waits for _finish
        try:
            async with ctx.client:
                await preflight(ctx)
                await phases.prepare_data(ctx)
                if options.sweep is not None:
                    await sweep_phase(ctx, options.sweep)
                for name in options.phases if options.sweep is None else ():
                    await getattr(phases, f"{name}_phase")(ctx)
                if options.rate:
                    await phases.open_loop_phase(ctx, options.rate, options.rate_duration_s)
                async with ctx.progress.track("clean-up: deleting run accounts"):
                    await delete_accounts(ctx.client, ctx.data)
        except PreflightFailed as error:
            cut_short, exit_code = str(error), EXIT_PREFLIGHT
        except TargetDown as error:
            cut_short, exit_code = str(error), EXIT_TARGET
        except (asyncio.CancelledError, KeyboardInterrupt) as error:
            signum = stop.signal_of(error)
            cut_short, exit_code = interrupts.reason(signum), interrupts.exit_code(signum)
        summary = _finish(ctx, folder, meta, cut_short)
    headline = summary.get("headline")
    if exit_code == EXIT_OK and headline and headline["requests"] == headline["errors"] > 0:
        exit_code = EXIT_TARGET  # every measured request failed: nothing of the service measured
    return Outcome(folder.path, summary, exit_code)


def _finish(
    ctx: phases.RunContext, folder: RunFolder, meta: dict[str, Any], cut_short: str | None
) -> Summary:
    """Write samples, summary and the completed meta; every file atomically."""
    table = ctx.recorder.samples.to_arrow()
    ctx.recorder.samples = SampleBuffer()  # the table holds the columns now; keep one copy
    folder.write_samples(table)
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    extras = {  # what was recorded beside the samples; the analysis adds every table
        "open_loop_runs": [],
        **ctx.extras,
        "generator_health": ctx.health,
        "generator_saturated": any(h["saturated"] for h in ctx.health),
        "data": {
            "prefix": ctx.data.prefix,
            "accounts_created": len(ctx.data.stable) + len(ctx.data.disposable),
            "accounts_left_active": sum(a.active for a in (*ctx.data.stable, *ctx.data.disposable)),
        },
    }
    summary = summarize(
        frame,
        ctx.steps,
        extras=extras,
        complete=cut_short is None,
        cut_short=cut_short,
        meta=meta,
    )
    folder.write_summary(summary)
    folder.write_meta({**meta, "ended_at": now_iso(), "complete": cut_short is None})
    return summary


def _sweep_meta(spec: SweepSpec | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {
        "pools": [{**dataclasses.asdict(p), "label": p.label()} for p in spec.pools],
        "concurrency": list(spec.concurrency),
        "duration_s": spec.duration_s,
        "warmup_s": spec.warmup_s,
    }
