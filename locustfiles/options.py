"""The locustfile's settings: Locust options, each also an environment variable.

Precedence: a Locust option (``--account-pool ...``, also shown in the web
UI), else its environment variable (``ACCOUNT_POOL=...``), else the scenario
file that ``bench.py`` reads too (``scenarios/default.toml``). Workers take
the master's values when a test starts, so a distributed run has one setting.

Credentials are environment variables only, never Locust options: Locust shows
its options in the web UI and its argv in logs and ``ps``. ``ACCOUNT_SERVICE_TOKEN``
is the bearer token; ``ACCOUNT_SERVICE_USERINFO`` (``user:password``, as in a URL)
is what ``bench.py locust`` takes out of ``--target`` so Locust's ``--host``
carries none. Each process (every worker too) reads its own environment.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from client.config import TOKEN_ENV, split_userinfo
from client.settings import SYNC_TRANSPORTS, PoolSettings
from results.redaction import register_secret, register_userinfo
from workload.scenario import Scenario, load_scenario, scenario_from_dict

#: ``user:password`` for the target, kept out of Locust's ``--host`` (see the module docstring)
USERINFO_ENV = "ACCOUNT_SERVICE_USERINFO"

ClientScope = Literal["user", "process"]

#: option name -> (environment variable, default, help)
OPTIONS: dict[str, tuple[str, str, str]] = {
    "--account-scenario": (
        "ACCOUNT_SCENARIO",
        "default",
        "scenario: a built-in name, a .toml file or a .json dump (weights, steps)",
    ),
    "--account-pool": (
        "ACCOUNT_POOL",
        "",
        "pool settings, e.g. max_keepalive=20,transport=httpx (default transport: gevent)",
    ),
    "--account-wait": ("ACCOUNT_WAIT", "0", "think time between tasks: 0, 0.5 or 0.5-2 (seconds)"),
    "--account-rate": (
        "ACCOUNT_RATE",
        "0",
        "tasks per second per user, paced from a random phase; 0: no pacing",
    ),
    "--account-timeout": ("ACCOUNT_TIMEOUT", "10", "per-attempt timeout of the client, seconds"),
    "--account-retries": ("ACCOUNT_RETRIES", "3", "max_retries of the client"),
    "--account-own": ("ACCOUNT_OWN_ACCOUNTS", "2", "accounts each user creates in on_start"),
    "--account-client-scope": (
        "ACCOUNT_CLIENT_SCOPE",
        "user",
        "user: one client (and pool) per Locust user; process: one pooled client per process",
    ),
    "--account-steps": ("ACCOUNT_STEPS", "", "StepShape user counts, e.g. 1,10,50,100"),
    "--account-step-seconds": (
        "ACCOUNT_STEP_SECONDS",
        "",
        "StepShape plateau per step, seconds (default: the scenario's throughput.duration_s)",
    ),
    "--account-run-dir": (
        "ACCOUNT_RUN_DIR",
        "",
        "master only: run folder for samples.parquet and the harness's merged figures",
    ),
}


@dataclass(frozen=True, slots=True)
class UserSettings:
    """Everything a user of this locustfile reads, resolved once per test."""

    scenario: Scenario
    pool: PoolSettings
    wait: tuple[float, float] = (0.0, 0.0)
    rate: float = 0.0  # tasks per second per user; 0: not paced
    timeout: float = 10.0
    max_retries: int = 3
    own_accounts: int = 2
    client_scope: ClientScope = "user"
    steps: tuple[int, ...] = ()
    step_seconds: float = 0.0
    run_dir: Path | None = None
    token: str | None = field(default=None, repr=False)
    userinfo: str | None = field(default=None, repr=False)

    @property
    def weights(self) -> dict[str, int]:
        return self.scenario.weight_map

    @property
    def step_levels(self) -> tuple[int, ...]:
        return self.steps or self.scenario.throughput.concurrency

    @property
    def plateau_s(self) -> float:
        return self.step_seconds or self.scenario.throughput.duration_s

    def client_url(self, host: str) -> str:
        """Locust's host with the credentials put back, for the client to turn into a header."""
        if not self.userinfo or split_userinfo(host)[1] is not None:
            return host
        scheme, sep, rest = host.partition("://")
        return f"{scheme}{sep}{self.userinfo}@{rest}" if sep else host


def add_arguments(parser: Any) -> None:
    """Register the options on Locust's parser (``init_command_line_parser``)."""
    for flag, (env, default, text) in OPTIONS.items():
        parser.add_argument(
            flag,
            type=str,
            env_var=env,
            default=default,
            help=text,
            include_in_web_ui=flag != "--account-run-dir",
        )


def resolve(options: Any) -> UserSettings:
    """Turn Locust's parsed options (or any namespace, even None) into settings."""

    def get(flag: str) -> str:
        dest = flag.lstrip("-").replace("-", "_")
        value = getattr(options, dest, None) if options is not None else None
        if value is None:
            env, default, _ = OPTIONS[flag]
            value = os.environ.get(env, default)
        return str(value).strip()

    steps = get("--account-steps")
    run_dir = get("--account-run-dir")
    wait, rate = parse_wait(get("--account-wait")), parse_rate(get("--account-rate"))
    if rate and wait != (0.0, 0.0):
        raise ValueError("--account-rate and --account-wait exclude each other: pick one")
    token = os.environ.get(TOKEN_ENV, "").strip() or None
    userinfo = os.environ.get(USERINFO_ENV, "").strip() or None
    pool = parse_pool(get("--account-pool"))
    for secret in (token, pool.client_key):  # this process writes summary.json and CSVs too
        register_secret(secret)
    register_userinfo(userinfo)
    scope = get("--account-client-scope")
    if scope not in ("user", "process"):
        raise ValueError(f"--account-client-scope takes user or process, not {scope!r}")
    return UserSettings(
        scenario=scenario_source(get("--account-scenario")),
        pool=pool,
        wait=wait,
        rate=rate,
        timeout=_number(get("--account-timeout"), "--account-timeout"),
        max_retries=int(_number(get("--account-retries"), "--account-retries")),
        own_accounts=max(1, int(_number(get("--account-own"), "--account-own"))),
        client_scope=scope,  # type: ignore[arg-type]
        steps=tuple(int(x) for x in steps.split(",") if x.strip()) if steps else (),
        step_seconds=_number(get("--account-step-seconds") or "0", "--account-step-seconds"),
        run_dir=Path(run_dir) if run_dir else None,
        token=token,
        userinfo=userinfo,
    )


def scenario_source(source: str) -> Scenario:
    """A scenario name or .toml path (``load_scenario``), or a .json dump of ``to_dict()``."""
    if source.endswith(".json"):
        data = json.loads(Path(source).read_text(encoding="utf-8"))
        return scenario_from_dict(data, origin=source)
    return load_scenario(source or None)


#: the engines a Locust user runs on: blocking calls that gevent's patched sockets make cooperative
LOCUST_TRANSPORTS = SYNC_TRANSPORTS  # the sync client's engines; gevent first, the default


def parse_pool(text: str) -> PoolSettings:
    """``PoolSettings.parse``, but the transport defaults to gevent (Locust's greenlets), and
    an asyncio engine named explicitly is refused rather than swapped for another."""
    pool = PoolSettings.parse(text)
    if "transport" not in text and not pool.http2:
        pool = replace(pool, transport="gevent")
    if pool.transport not in LOCUST_TRANSPORTS:
        raise ValueError(
            f"transport={pool.transport} is an asyncio engine; Locust users run on "
            f"{' or '.join(LOCUST_TRANSPORTS)} (default: {LOCUST_TRANSPORTS[0]})"
        )
    return pool


def pool_text(pool: PoolSettings) -> str:
    """The inverse of :func:`parse_pool`, to hand settings to Locust processes."""
    return pool.to_text()


def parse_wait(text: str) -> tuple[float, float]:
    low, sep, high = text.partition("-")
    first = _number(low or "0", "--account-wait")
    second = _number(high, "--account-wait") if sep else first
    if first < 0 or second < first:
        raise ValueError(f"--account-wait takes N or LOW-HIGH seconds, not {text!r}")
    return (first, second)


def parse_rate(text: str) -> float:
    rate = _number(text or "0", "--account-rate")
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"--account-rate takes tasks per second per user (>= 0), not {text!r}")
    return rate


def _number(text: str, flag: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{flag} takes a number, not {text!r}") from None
