"""Run Locust headless as subprocesses and leave a run folder like ``bench.py run`` does.

``run_locust(LocustRun(users=100, spawn_rate=20, run_time="60s", processes=2))`` starts the
embedded mock (unless ``target`` is given), one Locust process, or a master
and ``processes`` workers on loopback, and waits for them (bounded). The run
folder then holds Locust's own report (``locust_stats.csv`` and friends,
``locust.html``, the process logs) and the harness's ``meta.json``,
``samples.parquet`` and ``summary.json``. Interrupted (Ctrl-C, SIGTERM) or
overdue runs are stopped with SIGTERM, which lets Locust write what it has;
the summary then says ``complete: false`` and why. No Locust process outlives
the launcher, even one killed with SIGKILL (Linux: ``PR_SET_PDEATHSIG``).

Command line: ``bench.py locust --users 50 --run-time 30s [--processes 2]``.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from analysis.summary import mark_cut_short, summarize
from client.config import TOKEN_ENV, split_userinfo
from client.retry import RetryPolicy
from client.settings import PoolSettings
from drivers import interrupts
from drivers.target import target as open_target
from locustfiles import options
from locustfiles.aggregate import Aggregate, TableSamples, Timeline
from locustfiles.options import USERINFO_ENV, parse_pool, pool_text
from locustfiles.stages import MIN_WARMUP_S, plan_stages
from results import SCENARIO, RunFolder, Summary, new_run_dir, read_summary
from results.meta import base_meta, now_iso
from workload.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent

LOCUSTFILE = ROOT / "locustfiles" / "account_service.py"
SHAPES = {"step": ROOT / "locustfiles" / "shapes.py"}
STOP_TIMEOUT_S = 10
#: beyond the planned duration: start-up, worker connection, stop and report writing
SLACK_S = 60.0
TERM_GRACE_S = 30.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_TIMESPAN = re.compile(r"(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s?)?")


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a run: Locust was stopped and the partial run folder finished."""

    def __init__(self, run_dir: Path, signum: int = signal.SIGINT) -> None:
        super().__init__(str(run_dir))
        self.run_dir = run_dir
        self.signum = signum


@dataclass(frozen=True)
class LocustRun:
    """What ``run_locust`` runs: Locust's load (users, spawn rate, run time, processes) and
    the harness's target, scenario, pool and run folder.

    ``user_rate`` > 0 paces every user at that many tasks per second, each from
    a random phase (``locustfiles/pacing.py``), instead of running them back to back.
    ``token`` (and any ``user:password@`` in ``target``) reaches the Locust processes
    through their environment only: Locust logs its argv and prints its host in
    logs and ``locust.html``. The embedded mock then requires the token; ``tls``
    serves it on https with a throwaway CA that the users trust.
    """

    users: int
    spawn_rate: float
    run_time: str
    processes: int = 1
    target: str | None = None
    profile: str = "seed"
    scenario: Scenario | str | Path | None = None
    pool: PoolSettings | str | None = None
    shape: str | None = None
    label: str = "locust"
    runs_root: Path = Path("runs")
    accounts: int = 1000
    extra_args: Sequence[str] = ()
    cpu: int | None = None
    user_rate: float = 0.0
    token: str | None = field(default=None, repr=False)
    tls: bool = False

    def __post_init__(self) -> None:
        if self.shape is not None and self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {', '.join(SHAPES)}, not {self.shape!r}")
        if self.processes < 1:
            raise ValueError("processes must be at least 1")
        if not math.isfinite(self.user_rate) or self.user_rate < 0:
            raise ValueError(f"user_rate must be >= 0 tasks per second, not {self.user_rate}")


def run_locust(run: LocustRun) -> Path:
    """Run Locust headless (``processes`` > 1: master and workers); returns the run folder."""
    scenario, pool, target, token = run.scenario, run.pool, run.target, run.token
    resolved = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    # through the users' own parser, so an engine they cannot run on is refused here
    pool_settings = parse_pool(pool_text(pool) if isinstance(pool, PoolSettings) else pool or "")
    with ExitStack() as stack:
        found = stack.enter_context(
            open_target(
                target,
                profile=run.profile,
                accounts=run.accounts,
                pool=pool_settings,
                pin=False,
                token=token,
                tls=run.tls,
            )
        )
        url, pool_settings = found.url, found.pool  # --tls: the users trust the mock's CA
        run_dir = new_run_dir(run.label, run.runs_root).resolve()  # only once there is a target
        folder = RunFolder(run_dir)
        scenario_file = folder.write_json(SCENARIO, resolved.to_dict())
        started = time.monotonic()
        meta = base_meta(
            "locust",
            token=token,
            target=url,
            target_info=found.info,
            tls=found.tls_summary(),
            embedded_mock=target is None,
            mock_profile=run.profile if target is None else None,
            pool={**asdict(pool_settings), "label": pool_settings.label()},
            retry=_plain(asdict(RetryPolicy())),
            scenario=resolved.to_dict(),
            locust={
                "users": run.users,
                "spawn_rate": run.spawn_rate,
                "run_time": run.run_time,
                "processes": run.processes,
                "shape": run.shape,
                "user_rate": run.user_rate or None,
                "locust_version": _locust_version(),
            },
        )
        folder.write_meta(meta)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "ACCOUNT_SCENARIO": str(scenario_file),
            "ACCOUNT_POOL": pool_text(pool_settings),
            "ACCOUNT_RUN_DIR": str(run_dir),
            "ACCOUNT_RATE": str(run.user_rate),
        }
        url, userinfo = split_userinfo(url)
        for name, secret in ((TOKEN_ENV, token), (USERINFO_ENV, userinfo)):
            if secret:
                env[name] = secret
        planned = _planned_seconds(run.run_time, run.shape, env)
        cut_short, codes, stopped_by = _run_processes(run, run_dir, url, env, planned + SLACK_S)
    _finish(folder, meta, cut_short, codes, time.monotonic() - started)
    if stopped_by is not None:
        raise RunInterrupted(run_dir, stopped_by)
    return run_dir


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in values.items()}


def _locust_version() -> str:
    from importlib import metadata  # not ``import locust``: it would monkey-patch this process

    return metadata.version("locust")


def _planned_seconds(run_time: str, shape: str | None, env: dict[str, str]) -> float:
    if shape is None:
        return parse_timespan(run_time)
    settings = options.resolve(argparse.Namespace(account_scenario=env["ACCOUNT_SCENARIO"]))
    warmup = max(MIN_WARMUP_S, settings.scenario.throughput.warmup_s)
    stages = plan_stages(settings.step_levels, settings.plateau_s, warmup)
    return stages[-1].end_s if stages else 0.0


def parse_timespan(text: str) -> float:
    """Locust's ``--run-time`` forms: ``90``, ``90s``, ``1m30s``, ``2h`` (Locust not imported:
    it monkey-patches the importing process)."""
    match = _TIMESPAN.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"run_time takes e.g. 60s, 1m30s or 2h, not {text!r}")
    if text.strip().isdigit():
        return float(text)
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_processes(
    run: LocustRun, run_dir: Path, url: str, env: dict[str, str], budget_s: float
) -> tuple[str | None, dict[str, int | None], signal.Signals | None]:
    """Start master (+ workers) and wait up to ``budget_s``.

    Returns why the run was cut short (or None), the exit codes, and the signal
    that interrupted it (Ctrl-C's SIGINT, or SIGTERM when bench.py runs under
    :func:`drivers.interrupts.sigterm_raises`), if one did.
    """
    files = ",".join(str(p) for p in [LOCUSTFILE, SHAPES.get(run.shape or "")] if p)
    base = [sys.executable, "-m", "locust", "-f", files]
    master = [*base, "--headless", "--host", url, "--stop-timeout", str(STOP_TIMEOUT_S)]
    master += ["--csv", str(run_dir / "locust"), "--html", str(run_dir / "locust.html")]
    master += ["--only-summary", "--loglevel", "INFO"]
    if run.shape is None:
        master += ["--users", str(run.users), "--spawn-rate", str(run.spawn_rate)]
        master += ["--run-time", run.run_time]
    workers: list[list[str]] = []
    processes, cpu = run.processes, run.cpu
    if processes > 1:
        port = _free_port()
        master += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
        master += ["--expect-workers", str(processes), "--expect-workers-max-wait", "60"]
        worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
        workers = [worker for _ in range(processes)]
    master += list(run.extra_args)
    procs: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []
    cut_short: str | None = None
    stopped_by: signal.Signals | None = None
    try:
        procs.append(_spawn("master" if workers else "locust", master, env, run_dir, cpu))
        for i, cmd in enumerate(workers):
            procs.append(_spawn(f"worker-{i}", cmd, env, run_dir, cpu))
        main = procs[0][1]
        try:
            main.wait(timeout=budget_s)
        except subprocess.TimeoutExpired:
            cut_short = "timeout"
            _terminate(main)
        except KeyboardInterrupt as error:
            stopped_by = interrupts.signal_of(error)
            cut_short = interrupts.reason(stopped_by)
            try:
                _terminate(main)
            except KeyboardInterrupt:  # a second one: no more waiting for Locust's reports
                for _, proc, _ in procs:
                    proc.kill()
        for _, proc, _ in procs[1:]:
            try:
                proc.wait(timeout=STOP_TIMEOUT_S + 5)
            except subprocess.TimeoutExpired:
                _terminate(proc)
    finally:
        for _, proc, log in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    return cut_short, {name: proc.returncode for name, proc, _ in procs}, stopped_by


def _spawn(
    name: str, cmd: list[str], env: dict[str, str], run_dir: Path, cpu: int | None = None
) -> tuple[str, subprocess.Popen[bytes], IO[bytes]]:
    log = (run_dir / f"locust-{name}.log").open("wb")
    # own session: a Ctrl-C reaches only us, and we stop Locust in the order that keeps its data
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_child_setup(cpu),
    )
    return name, proc, log


def _child_setup(cpu: int | None) -> Callable[[], None]:
    """What a Locust process does between fork and exec: die with us, and take its core.

    Its own session shields Locust from our Ctrl-C, so nothing would end it if
    bench.py died (SIGKILL, OOM killer). On Linux the kernel sends it SIGTERM
    then (``PR_SET_PDEATHSIG``; SIGTERM so Locust still writes its reports).
    The signal follows the *thread* that forked, not the process: fine here,
    as ``run_locust`` starts and waits for its processes in one synchronous
    call, so whichever thread calls it outlives them.
    """
    parent = os.getpid()
    prctl = _prctl()  # looked up here: the child only calls it

    def setup() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            if os.getppid() != parent:  # we died before prctl: no signal will ever come
                os._exit(1)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    return setup


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (Locust shuts down and writes its reports), then SIGKILL after a grace period."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=TERM_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _finish(
    folder: RunFolder,
    meta: dict[str, Any],
    cut_short: str | None,
    codes: dict[str, int | None],
    elapsed_s: float,
) -> None:
    """Make sure a summary exists and says whether the run was complete."""
    summary: Summary | None = read_summary(folder.path) if folder.summary_path.exists() else None
    if summary is None:
        table = Aggregate().table(0, Timeline(), meta["pool"]["label"])
        if not folder.samples_path.exists():
            folder.write_samples(TableSamples(table))
        summary = summarize(
            table.to_pandas(),
            [],
            complete=False,
            cut_short=cut_short or f"Locust wrote no results (exit codes {codes})",
        )
    elif cut_short is not None:
        mark_cut_short(summary, f"{cut_short} after {elapsed_s:.1f} s")
    folder.write_summary(summary)
    meta["ended_at"] = now_iso()
    meta["locust"]["exit_codes"] = codes
    folder.write_meta(meta)
