"""The harness's command line: ``python bench.py COMMAND --help`` for each command.

``run``     the standard benchmark (the seed's tables) on the embedded mock or --target
``sweep``   the weighted mix over a grid of pool settings × concurrency, in one run
``locust``  Locust users on the reference client, headless, one process or master + workers
``report``  rebuild a run folder's report (Markdown, HTML, PNGs, CSVs)
``compare`` baseline vs candidate, cell by cell, with bootstrap CIs; --fail-on gates a pipeline
``history`` a folder of runs across releases: CIs, change points; --fail-on-change gates
``demo``    walk the reference client through every operation once
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from analysis.gate_rules import CHANGE_METRICS, INCONCLUSIVE_CHOICES, Threshold, check_scopes
from analysis.gates import GateResult, gate_failed
from client import AccountClient, AccountNotFoundError, PoolSettings, RetryPolicy
from client.config import TOKEN_ENV
from client.settings import ASYNC_TRANSPORTS
from drivers import gating, interrupts
from drivers.exit_codes import ExitCode, meaning, worst
from drivers.standard_run import ALL_PHASES, Outcome, RunOptions, execute
from drivers.sweep import SweepSpec, parse_grid
from drivers.target import INSECURE_WARNING, TargetRefused, TargetUnreachable, target
from drivers.terminal import print_gate, print_headline, print_summary
from locustfiles.options import LOCUST_TRANSPORTS, parse_pool
from mock_service.launcher import MockStartError
from results import RunInputError, read_summary
from results.redaction import redact_url, register_secret, register_url, scrub
from workload.scenario import Scenario, ScenarioError, load_scenario

EXIT_FAILED = ExitCode.INTERNAL  # the harness failed: the cause in one line, --debug traceback
EXIT_BAD_INPUT = ExitCode.BAD_INPUT  # input the user can fix: one line naming it


class BadInput(Exception):
    """Input the user can fix: exit 2 with this one line, no traceback.

    Raised for values checked after argparse because they depend on other flags
    (``--tls`` with ``--target``, a ``--pool-grid`` over ``--pool``) or name a run
    folder; the harness's own errors that are always the user's are in USER_ERRORS.
    """


#: what main() answers with exit 2 and one line; anything unforeseen is ours (exit 5)
USER_ERRORS: tuple[type[Exception], ...] = (
    BadInput,
    ScenarioError,  # the scenario file
    MockStartError,  # the embedded mock refused --profile, --accounts or the TLS files
    RunInputError,  # a run folder that cannot be read (one from a newer harness), a gate rule
    TargetRefused,  # the target's certificate is not trusted, or it refused the credentials
)
#: what main() answers with exit 4 and one line: there was nothing to measure
TARGET_ERRORS: tuple[type[Exception], ...] = (
    TargetUnreachable,  # --target does not answer
)


class Parser(argparse.ArgumentParser):
    """argparse that answers bad input with one line naming the flag and what it accepts."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _checked(kind: Callable[[str], Any], accepted: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return kind(text)
        except (TypeError, ValueError) as error:
            detail = str(error) if isinstance(error, ValueError) and str(error) else ""
            raise argparse.ArgumentTypeError(detail or f"{text!r}: expected {accepted}") from None

    return parse


def _positive(kind: Callable[[str], float | int]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{text!r}: must be a finite number greater than 0")
        return value

    return _checked(parse, f"a {kind.__name__} greater than 0")


def _phases(text: str) -> tuple[str, ...]:
    if text.strip() == "none":  # only the open loop (--rate), or only preflight and set-up
        return ()
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in names if p not in ALL_PHASES]
    if unknown or not names:
        raise ValueError(
            f"unknown phase {unknown[0] if unknown else text!r}; accepted: {', '.join(ALL_PHASES)}"
        )
    return names


#: the engines of bench.py's asyncio drivers: all but gevent, the one sync-only engine
DRIVER_TRANSPORTS = ASYNC_TRANSPORTS


def _driver_pool(text: str) -> PoolSettings:
    """``--pool`` of run, sweep and demo: ``PoolSettings.parse``, on an asyncio engine."""
    pool = PoolSettings.parse(text)
    if pool.transport not in DRIVER_TRANSPORTS:
        raise ValueError(
            f"transport={pool.transport} is for Locust's users (bench.py locust); "
            f"bench.py's drivers run on {', '.join(DRIVER_TRANSPORTS)}"
        )
    return pool


def _add_target_flags(
    cmd: argparse.ArgumentParser,
    pool: Callable[[str], PoolSettings] = _driver_pool,
    transports: Sequence[str] = DRIVER_TRANSPORTS,
) -> None:
    """--target, --pool, the token and TLS flags; ``pool`` parses --pool for the command's
    engines (``transports``, the first one the default)."""
    cmd.add_argument(
        "--target",
        metavar="URL",
        help="a service that speaks the contract (default: start the embedded mock)",
    )
    cmd.add_argument(
        "--profile",
        default="seed",
        help="embedded mock profile: fast, seed or a .toml file (default: seed)",
    )
    cmd.add_argument(
        "--accounts",
        type=_positive(int),
        default=1000,
        metavar="N",
        help="synthetic accounts in the embedded mock (default: 1000)",
    )
    token = cmd.add_mutually_exclusive_group()
    token.add_argument(
        "--token",
        help="bearer token sent with every request (masked in every file and message; "
        f"--token-file or {TOKEN_ENV} keep it out of the shell history too)",
    )
    token.add_argument(
        "--token-file",
        dest="token",
        type=_checked(_read_token, "a readable file"),
        metavar="FILE",
        help=f"read the bearer token from FILE's first line (neither flag: ${TOKEN_ENV})",
    )
    cmd.add_argument(
        "--pool",
        type=_checked(pool, "key=value pairs"),
        default=pool(""),
        metavar="SETTINGS",
        help="key=value pairs, e.g. max_keepalive=20,max_connections=100,keepalive_expiry=60; "
        f"transport={'|'.join(transports)} (default: {transports[0]}); "
        "mode=pooled|no_keepalive|client_per_request",
    )
    tls = cmd.add_argument_group("TLS (https targets)")
    tls.add_argument(
        "--tls",
        action="store_true",
        help="serve the embedded mock on https with a throwaway CA that only this run trusts",
    )
    tls.add_argument(
        "--ca-cert",
        metavar="FILE",
        help="PEM bundle of the CA that signed the target's certificate "
        "(default: the system's, or SSL_CERT_FILE / SSL_CERT_DIR)",
    )
    tls.add_argument(
        "--client-cert", metavar="FILE", help="client certificate (PEM) for mutual TLS"
    )
    tls.add_argument(
        "--client-key",
        metavar="FILE",
        help="the client certificate's private key (PEM), if not in --client-cert",
    )
    tls.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the target's certificate (said loudly in the terminal and report)",
    )


def _with_tls(args: argparse.Namespace) -> None:
    """Fold the TLS flags into ``args.pool``: one PoolSettings carries every connection rule."""
    if getattr(args, "pool", None) is None:
        return
    if args.tls and args.target:
        raise BadInput("--tls starts the embedded mock on https; with --target, use https://")
    if args.client_key and not args.client_cert:
        raise BadInput("--client-key needs --client-cert")
    changes = {
        "ca_cert": args.ca_cert,
        "client_cert": args.client_cert,
        "client_key": args.client_key,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if args.insecure:
        changes["verify"] = False
    if changes:
        args.pool = _user_input(dataclasses.replace, args.pool, **changes)


def _user_input(parse: Callable[..., Any], *values: Any, **changes: Any) -> Any:
    """``parse(*values, **changes)``, a value checked after argparse (it needs other flags
    too): its ValueError is the user's input, so it becomes BadInput with the same words."""
    try:
        return parse(*values, **changes)
    except ValueError as error:
        raise BadInput(str(error)) from error


def _read_token(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            token = file.readline().strip()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    if not token:
        raise ValueError(f"{path}: the first line is empty, expected the token")
    return token


def _resolve_secrets(args: argparse.Namespace) -> None:
    """The token from --token, else --token-file, else $ACCOUNT_SERVICE_TOKEN; every secret
    registered for scrubbing before anything can be written or printed."""
    if hasattr(args, "token"):
        args.token = args.token or os.environ.get(TOKEN_ENV) or None
        register_secret(args.token)
    register_url(getattr(args, "target", None))
    register_secret(getattr(args, "client_key", None))
    register_secret(getattr(getattr(args, "pool", None), "client_key", None))


def _levels(text: str) -> tuple[int, ...]:
    levels = tuple(int(v) for v in text.split(",") if v.strip())
    if not levels or min(levels) < 1:
        raise ValueError(f"{text!r}: expected whole numbers >= 1, e.g. 10,50,100")
    return levels


INCONCLUSIVE_HELP = (
    "what a cell whose interval straddles its limit does to the exit code (default: {default})"
)


def _add_gate_flags(cmd: argparse.ArgumentParser, *, inconclusive: str, thresholds: bool) -> None:
    """The gate's flags: thresholds (on commands that run load), verdict policy, CI outputs."""
    if thresholds:
        cmd.add_argument(
            "--threshold",
            action="append",
            default=[],
            metavar="RULE",
            help="an absolute limit, repeatable, added to the scenario's [thresholds]: "
            "'p95<200ms', 'error_rate<1%%', 'c=50:throughput>500', "
            "'get_account_profile:p99<50ms'",
        )
    cmd.add_argument(
        "--inconclusive",
        choices=INCONCLUSIVE_CHOICES,
        default=inconclusive,
        help=INCONCLUSIVE_HELP.format(default=inconclusive),
    )
    cmd.add_argument("--junit", type=Path, metavar="FILE", help="write the gate as JUnit XML")
    cmd.add_argument(
        "--gate-json", type=Path, metavar="FILE", help="write the gate as JSON (docs/ci.md)"
    )


def _add_run_flags(cmd: argparse.ArgumentParser) -> None:
    """Flags shared by the commands that put load on a target and leave a run folder."""
    _add_gate_flags(cmd, inconclusive="pass", thresholds=True)
    cmd.add_argument(
        "--scenario",
        metavar="FILE|NAME",
        help="scenario TOML (weights, counts, durations); built-ins: default, quick",
    )
    cmd.add_argument(
        "--timeout",
        type=_positive(float),
        default=10.0,
        metavar="S",
        help="per-attempt timeout in seconds (default: 10)",
    )
    cmd.add_argument(
        "--retries",
        type=_checked(_non_negative_int, "a whole number >= 0"),
        default=3,
        metavar="N",
        help="retries after the first attempt (default: 3: waits 0.2, 0.4, 0.8 s)",
    )
    cmd.add_argument("--label", default=None, help="name in the run folder")
    cmd.add_argument("--runs-dir", type=Path, default=Path("runs"), metavar="DIR")
    cmd.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="the driver's event loop (default: uvloop)",
    )
    cmd.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin the embedded mock and the driver to separate cores",
    )
    cmd.add_argument("--no-report", action="store_true", help="skip the report at the end")


def _run_time(text: str) -> str:
    from locustfiles.launch import parse_timespan  # Locust's own form, checked before it starts

    parse_timespan(text)
    return text


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"{text!r}: must be 0 or more")
    return value


DEBUG_HELP = "on a failure, print the traceback too (before the one-line message)"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )

    run = commands.add_parser("run", help="the standard benchmark: the seed's tables")
    _add_target_flags(run)
    _add_run_flags(run)
    run.add_argument("--quick", action="store_true", help="the quick scenario: under 30 s")
    run.add_argument(
        "--phases",
        type=_checked(_phases, "a comma list"),
        default=ALL_PHASES,
        help=f"which phases, comma-separated, or none (default: {','.join(ALL_PHASES)})",
    )
    run.add_argument(
        "--rate",
        type=_positive(float),
        metavar="R",
        help="also run an open loop at R requests/second (constant arrival rate)",
    )
    run.add_argument(
        "--rate-duration",
        type=_positive(float),
        default=10.0,
        metavar="S",
        help="seconds of open-loop load (default: 10)",
    )

    sweep = commands.add_parser("sweep", help="pool settings × concurrency, in one run")
    _add_target_flags(sweep)
    _add_run_flags(sweep)
    sweep.add_argument(
        "--pool-grid",
        required=True,
        metavar="GRID",
        help="axes separated by ';', values by ',': "
        "'max_connections=10,50,100;transport=aiohttp,httpx' (applied to --pool)",
    )
    sweep.add_argument(
        "--concurrency",
        type=_checked(_levels, "a comma list of whole numbers"),
        default=(10, 50, 100),
        help="levels each setting runs at (default: 10,50,100)",
    )
    sweep.add_argument(
        "--duration",
        type=_positive(float),
        default=5.0,
        metavar="S",
        help="measured seconds per cell (default: 5)",
    )
    sweep.add_argument(
        "--warmup",
        type=_checked(float, "seconds"),
        default=1.0,
        metavar="S",
        help="unmeasured seconds before each cell (default: 1)",
    )

    locust = commands.add_parser("locust", help="Locust headless with the reference client")
    _add_target_flags(locust, parse_pool, LOCUST_TRANSPORTS)
    locust.add_argument("--users", type=_positive(int), default=100, metavar="N")
    locust.add_argument(
        "--spawn-rate",
        type=_positive(float),
        default=20.0,
        metavar="R",
        help="users started per second (default: 20)",
    )
    locust.add_argument(
        "--run-time",
        type=_checked(_run_time, "e.g. 30s, 5m or 1h30m"),
        default="60s",
        metavar="T",
        help="Locust's --run-time: 30s, 5m, 1h30m (default: 60s)",
    )
    locust.add_argument(
        "--processes",
        type=_positive(int),
        default=1,
        metavar="N",
        help="N > 1: a master and N workers on this machine (default: 1)",
    )
    locust.add_argument(
        "--shape",
        choices=("step",),
        help="step: 1, 10, 50, 100 users, a plateau each (the seed's table)",
    )
    locust.add_argument(
        "--user-rate",
        type=_positive(float),
        default=None,
        metavar="R",
        help="pace each user at R tasks per second (default: back to back, no think time)",
    )
    locust.add_argument("--scenario", metavar="FILE|NAME", help="weights (and pool) for the users")
    locust.add_argument("--label", default="locust", help="name in the run folder")
    locust.add_argument("--runs-dir", type=Path, default=Path("runs"), metavar="DIR")
    locust.add_argument("--no-report", action="store_true", help="skip the report at the end")
    _add_gate_flags(locust, inconclusive="pass", thresholds=True)

    report = commands.add_parser("report", help="build a run folder's report")
    report.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    report.add_argument("--out", type=Path, metavar="DIR", help="write here (default: RUN_DIR)")

    compare = commands.add_parser("compare", help="did the candidate get slower than the baseline?")
    compare.add_argument("baseline", type=Path, metavar="BASELINE")
    compare.add_argument("candidate", type=Path, metavar="CANDIDATE")
    compare.add_argument(
        "--fail-on",
        metavar="RULES",
        help='exit 1 when a cell regresses past a limit, e.g. "p95:+10%%,throughput:-5%%,'
        f'c=100:p99:+20%%" (metrics: {", ".join(CHANGE_METRICS)})',
    )
    _add_gate_flags(compare, inconclusive="fail", thresholds=False)
    compare.add_argument(
        "--out", type=Path, metavar="DIR", help="default: CANDIDATE/compare-<baseline name>"
    )

    history = commands.add_parser("history", help="a folder of runs across releases")
    history.add_argument("runs_dir", type=Path, metavar="RUNS_DIR")
    history.add_argument("--label-pattern", metavar="GLOB", help="only runs whose label matches")
    history.add_argument("--scenario", metavar="NAME", help="default: the newest run's scenario")
    history.add_argument("--out", type=Path, metavar="DIR", help="default: RUNS_DIR/history")
    history.add_argument(
        "--fail-on-change",
        metavar="RULES",
        help='exit 1 when the newest run starts a change point past a limit, e.g. "p95:+10%%,'
        'throughput:-5%%"',
    )
    _add_gate_flags(history, inconclusive="fail", thresholds=False)

    demo_cmd = commands.add_parser("demo", help="walk the client through every operation once")
    _add_target_flags(demo_cmd)
    for command in commands.choices.values():  # `bench.py run ... --debug` works too
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
        )
    return parser


def _options(args: argparse.Namespace, scenario: Scenario, **changes: Any) -> RunOptions:
    return RunOptions(
        target=args.target,
        profile=args.profile,
        mock_accounts=args.accounts,
        pool=args.pool,
        retry=RetryPolicy(max_retries=args.retries),
        timeout=args.timeout,
        scenario=scenario,
        label=args.label or scenario.name,
        runs_root=args.runs_dir,
        token=args.token,
        pin=not args.no_pin,
        loop=args.loop,
        tls=args.tls,
        **changes,
    )


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, quick=args.quick)
    thresholds = gating.thresholds_of(scenario, args.threshold)
    levels = scenario.throughput.concurrency if "throughput" in args.phases else ()
    ops = gating.measured_operations(scenario, latency_phase="latency" in args.phases)
    check_scopes(thresholds, operations_run=ops, levels=levels)
    options = _options(
        args, scenario, phases=args.phases, rate=args.rate, rate_duration_s=args.rate_duration
    )
    return _gated_run(args, execute(options), thresholds)


def _gated_run(args: argparse.Namespace, outcome: Outcome, thresholds: Sequence[Threshold]) -> int:
    """Judge the run's thresholds, build its report, end with the verdict and the CI files."""
    results: tuple[GateResult, ...] = ()
    if outcome.kept:
        results = gating.judge_run(outcome.run_dir, thresholds, args.inconclusive)
    code = report_after_run(outcome, wanted=not args.no_report)
    if outcome.kept:  # the gate added to summary.json changes neither figure used here
        print_headline(outcome.summary, results, args.inconclusive)
    if results and gate_failed(results, args.inconclusive):
        code = worst(code, ExitCode.GATE_FAILED)
    complete = bool(outcome.kept and outcome.summary.get("complete", True))
    inputs = (outcome.run_dir,) if outcome.kept else ()
    _ci_outputs(args, results, code, inputs, complete)
    return code


def _ci_outputs(
    args: argparse.Namespace,
    results: Sequence[GateResult],
    code: int,
    inputs: Sequence[Path],
    complete: bool = True,
) -> None:
    """``--junit`` and ``--gate-json``, when asked (also for a run cut short)."""
    from reports.ci_outputs import gate_document, write_gate_json, write_junit

    problem = None if complete else "incomplete run (summary.json says why: cut_short)"
    if code not in (ExitCode.OK, ExitCode.GATE_FAILED):
        problem = f"exit {int(code)}: {meaning(code)}"
    if args.junit is not None:
        path = write_junit(args.junit, args.command, results, args.inconclusive, problem)
        print(f"junit: {path}")
    if args.gate_json is not None:
        document = gate_document(
            args.command,
            results,
            args.inconclusive,
            exit_code=int(code),
            inputs=inputs,
            complete=complete,
        )
        print(f"gate json: {write_gate_json(args.gate_json, document)}")


def cmd_sweep(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    spec = SweepSpec(
        pools=_user_input(parse_grid, args.pool_grid, args.pool),
        concurrency=args.concurrency,
        duration_s=args.duration,
        warmup_s=args.warmup,
    )
    if args.label is None:
        args.label = "sweep"
    thresholds = gating.thresholds_of(scenario, args.threshold)
    ops = gating.measured_operations(scenario, latency_phase=False)
    check_scopes(thresholds, operations_run=ops, levels=spec.concurrency)
    outcome = execute(_options(args, scenario, sweep=spec))
    return _gated_run(args, outcome, thresholds)


def report_after_run(outcome: Outcome, *, wanted: bool) -> int:
    """Build the finished run's report; a failure is said and leaves the run's exit code."""
    if not wanted or not outcome.kept:
        return outcome.exit_code
    try:
        from reports import build_report
    except ImportError:  # the report's extras are not installed: the run stands alone
        return outcome.exit_code
    try:
        paths = build_report(outcome.run_dir)
    except Exception as error:  # the run's data is already safe on disk
        print(f"report: could not be built ({type(error).__name__}: {error})")
    else:
        print(f"report: {paths.html}")
    return outcome.exit_code


async def demo(url: str, pool: PoolSettings, token: str | None = None) -> None:
    """Every operation once, then the seed's sequential-vs-gather effect, measured."""
    run = f"demo-{int(time.time())}"
    async with AccountClient(url, pool=pool, token=token) as client:
        print(f"target: {redact_url(url)}  pool: {pool.label()}")
        account = await client.ensure_account(f"auth0|{run}", f"{run}@example.com", "Demo User")
        await client.get_account_profile(account.user_id)
        await client.get_account_by_email(account.email)
        await client.update_account_profile(account.user_id, name="Demo User Renamed")
        await client.update_account_preferences(account.user_id, theme="dark", language="en")
        await client.list_accounts(page=1, page_size=50)
        await client.search_accounts("demo")
        await client.change_account_status(account.user_id, is_active=False, reason="demo")
        await client.change_account_status(account.user_id, is_active=True, reason="demo")
        await client.get_service_stats()
        await client.health_check()
        await client.delete_account(account.user_id, reason="demo cleanup")
        try:
            await client.get_account_profile(account.user_id)
        except AccountNotFoundError as error:
            print(f"after the soft delete: {error}")
        ids = [row.user_id for row in (await client.list_accounts(is_active=True))["accounts"]]
        start = time.perf_counter()
        for user_id in ids:
            await client.get_account_profile(user_id)
        sequential = time.perf_counter() - start
        start = time.perf_counter()
        await asyncio.gather(*(client.get_account_profile(u) for u in ids))
        parallel = time.perf_counter() - start
        print(
            f"{len(ids)} profile reads: sequential {sequential * 1e3:.0f} ms, "
            f"asyncio.gather {parallel * 1e3:.0f} ms ({sequential / parallel:.1f}x)"
        )
        metrics = client.get_metrics()
        for name, op in metrics["operations"].items():
            print(
                f"  {name:<28} {op['count']:>4}  avg {op['avg_ms']:7.1f} ms  "
                f"p50 {op['p50_ms']:7.1f} ms  p99 {op['p99_ms']:7.1f} ms"
            )
        print(
            f"total_requests={metrics['total_requests']} total_errors="
            f"{metrics['total_errors']} error_rate={metrics['error_rate']:.3f}"
        )


def cmd_demo(args: argparse.Namespace) -> int:
    with target(
        args.target,
        profile=args.profile,
        accounts=args.accounts,
        pool=args.pool,
        pin=False,
        token=args.token,
        tls=args.tls,
    ) as found:
        asyncio.run(demo(found.url, found.pool, args.token))
    return 0


def cmd_locust(args: argparse.Namespace) -> int:
    from locustfiles.launch import LocustRun, RunInterrupted, run_locust

    if not args.pool.verify:
        print(INSECURE_WARNING, file=sys.stderr)
    scenario = load_scenario(args.scenario)
    thresholds = gating.thresholds_of(scenario, args.threshold)
    levels = scenario.throughput.concurrency if args.shape else (args.users,)
    ops = gating.measured_operations(scenario, latency_phase=False)
    check_scopes(thresholds, operations_run=ops, levels=levels)
    try:
        run_dir = run_locust(
            LocustRun(
                users=args.users,
                spawn_rate=args.spawn_rate,
                run_time=args.run_time,
                processes=args.processes,
                target=args.target,
                profile=args.profile,
                scenario=args.scenario,
                pool=args.pool,
                shape=args.shape,
                label=args.label,
                runs_root=args.runs_dir,
                accounts=args.accounts,
                user_rate=args.user_rate or 0.0,
                token=args.token,
                tls=args.tls,
            )
        )
    except RunInterrupted as interrupted:
        print(f"run folder: {interrupted.run_dir} ({interrupts.reason(interrupted.signum)})")
        code = interrupts.exit_code(interrupted.signum)
        results = gating.judge_run(interrupted.run_dir, thresholds, args.inconclusive)
        _ci_outputs(args, results, code, (interrupted.run_dir,), complete=False)
        return code
    summary = read_summary(run_dir)
    print_summary(summary)
    print(f"\nrun folder: {run_dir}")
    results = gating.judge_run(run_dir, thresholds, args.inconclusive)
    if not args.no_report:
        cmd_report(argparse.Namespace(run_dir=run_dir, out=None))
    figures: dict[str, Any] = dict(summary.get("headline") or {})
    if figures.get("requests") and figures["requests"] == figures.get("errors"):
        code = ExitCode.TARGET_FAILED  # every measured request failed
    elif not summary.get("complete", True):
        code = ExitCode.INTERNAL  # Locust itself failed or overran: the summary says how
    else:
        code = ExitCode.OK
    print_headline(summary, results, args.inconclusive)
    if gate_failed(results, args.inconclusive):
        code = worst(code, ExitCode.GATE_FAILED)
    _ci_outputs(args, results, code, (run_dir,), complete=bool(summary.get("complete", True)))
    return code


def cmd_report(args: argparse.Namespace) -> int:
    from reports import ReportInputError, build_report

    try:
        paths = build_report(args.run_dir, out_dir=args.out)
    except ReportInputError as error:  # not a run folder, or a file it lacks
        raise BadInput(str(error)) from error
    print(f"report: {paths.html}\n        {paths.markdown}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from reports import ReportInputError, compare_runs

    try:
        result = compare_runs(
            args.baseline,
            args.candidate,
            fail_on=args.fail_on,
            out_dir=args.out,
            inconclusive=args.inconclusive,
        )
    except ReportInputError as error:  # a folder that is not a run, runs that do not compare
        raise BadInput(str(error)) from error
    verdicts = result.frame()
    tally = verdicts["verdict"].value_counts().to_dict() if len(verdicts) else {}
    print(", ".join(f"{n} {verdict}" for verdict, n in sorted(tally.items())) or "no cells")
    for change, found in (("+", result.findings.appeared), ("-", result.findings.disappeared)):
        for finding in found:
            print(f"finding {change} [{finding.severity}] {finding.title}")
    print(f"compare: {result.paths.html}\n         {result.paths.markdown}")
    print_gate(result.gates, result.inconclusive)
    _ci_outputs(args, result.gates, result.exit_code, (args.baseline, args.candidate))
    return result.exit_code


def cmd_history(args: argparse.Namespace) -> int:
    from reports import ReportInputError
    from reports.history import build_history

    try:
        result = build_history(
            args.runs_dir,
            label_pattern=args.label_pattern,
            scenario=args.scenario,
            fail_on_change=args.fail_on_change,
            out_dir=args.out,
            inconclusive=args.inconclusive,
        )
    except ReportInputError as error:  # not a folder of runs, a gate that does not read
        raise BadInput(str(error)) from error
    print(f"history: {len(result.runs)} runs ordered by {result.order}")
    for skipped in result.skipped:
        print(f"skipped {skipped.path.name}: {skipped.why}")
    print(f"{len(result.changes)} change point(s)")
    print(f"history: {result.paths.html}\n         {result.paths.markdown}")
    print_gate(result.gates, result.inconclusive)
    _ci_outputs(args, result.gates, result.exit_code, tuple(r.path for r in result.runs))
    return result.exit_code


COMMANDS = {
    "run": cmd_run,
    "sweep": cmd_sweep,
    "locust": cmd_locust,
    "report": cmd_report,
    "compare": cmd_compare,
    "history": cmd_history,
    "demo": cmd_demo,
}


def _failed(args: argparse.Namespace, error: Exception, code: int) -> int:
    """One line on stderr naming the problem (scrubbed of secrets), after the traceback
    with --debug; ``code`` is the exit code (2 the user's input, 4 the target, 5 ours)."""
    if args.debug:
        print(scrub("".join(traceback.format_exception(error))), file=sys.stderr, end="")
    _ci_outputs_of_nothing(args, code)
    if code in (EXIT_BAD_INPUT, ExitCode.TARGET_FAILED):
        text = str(error)
    else:  # an OSError names its file and errno (a full disk); anything else is a bug
        text = str(error) if isinstance(error, OSError) else f"{type(error).__name__}: {error}"
        text += "" if args.debug else " (bench.py --debug shows the traceback)"
    line = "; ".join(part.strip() for part in text.splitlines() if part.strip())
    print(scrub(f"bench.py {args.command}: {line}"), file=sys.stderr)
    return code


def _ci_outputs_of_nothing(args: argparse.Namespace, code: int) -> None:
    """A command that ended before any verdict still leaves the CI files it was asked for,
    saying why: a pipeline shows an error, not a missing file."""
    if getattr(args, "junit", None) is None and getattr(args, "gate_json", None) is None:
        return
    try:
        _ci_outputs(args, (), code, (), complete=False)
    except OSError as error:  # the failure being reported may be this very disk
        print(f"bench.py {args.command}: CI files not written: {error}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes (drivers.exit_codes, docs/bench.md): 0 every gate passed, 1 a gate or
    threshold failed, 2 bad input, 3 preflight refused the target, 4 the target could not
    be measured, 5 the harness failed; 130/143 interrupted."""
    args = build_parser().parse_args(argv)
    _resolve_secrets(args)
    try:
        with interrupts.sigterm_raises():  # a CI timeout or `docker stop` keeps results like Ctrl-C
            _with_tls(args)
            return COMMANDS[args.command](args)
    except USER_ERRORS as error:
        return _failed(args, error, EXIT_BAD_INPUT)
    except TARGET_ERRORS as error:
        return _failed(args, error, ExitCode.TARGET_FAILED)
    except Exception as error:  # a full disk mid-run, or a bug: the cause, not "bad input"
        return _failed(args, error, EXIT_FAILED)
    except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM as interrupts.Terminated
        signum = interrupts.signal_of(error)
        print(f"bench.py {args.command}: {interrupts.reason(signum)}", file=sys.stderr)
        return interrupts.exit_code(signum)


if __name__ == "__main__":
    sys.exit(main())
