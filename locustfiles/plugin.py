"""The harness's measurement inside Locust: one request event per call, and exact merging.

Importing this module registers listeners on Locust's events:

* every client call (a ``Metrics.subscribe`` observer, :meth:`Measurement.observe`)
  becomes one Locust request event, named after the operation, a failure
  carrying the client's error class, and one row in the process's
  :class:`~locustfiles.recorder.Recorder`;
* processes with users send what they recorded (cumulative per-operation
  histograms, new rows, generator-health samples) to the master every
  second and when they stop, as a custom message (``runner.send_message``;
  a single-process run delivers it to itself);
* the master merges, samples the user count and stage, and at quit hands
  what was measured, as plain values (:meth:`Measurement.result`), to
  :func:`~locustfiles.outputs.write_outputs`, which writes ``samples.parquet``
  and ``summary.json`` into ``--account-run-dir``.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import secrets
import sys
import time
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.runners import STATE_RUNNING, LocalRunner, MasterRunner, WorkerRunner
from locust.stats import PERCENTILES_TO_REPORT, RequestStats, StatsCSV, StatsEntry

from client import errors as client_errors
from client.metrics import RequestRecord
from locustfiles import options
from locustfiles.aggregate import RAMP, Aggregate, Timeline
from locustfiles.health import HealthSampler
from locustfiles.outputs import LocustFigures, LocustResult, Window, WorkerCounts, write_outputs
from locustfiles.recorder import Recorder
from workload.operations import OPERATIONS

log = logging.getLogger(__name__)

MESSAGE = "account_harness"
FLUSH_EVERY = 1.0
TIMELINE_EVERY = 0.1

#: Locust's request type column: the operation's HTTP method
OPERATION_METHODS = {name: op.method for name, op in OPERATIONS.items()}

_ERROR_CLASSES: dict[str, type[client_errors.AccountServiceError]] = {
    name: cls
    for name, cls in vars(client_errors).items()
    if isinstance(cls, type) and issubclass(cls, client_errors.AccountServiceError)
}


class Measurement:
    """One per process: the recorder, the health sampler, and on the master the merge."""

    def __init__(self) -> None:
        self.environment: Environment | None = None
        self.settings = options.resolve(None)
        self.recorder = Recorder()
        self.health = HealthSampler()
        self.aggregate = Aggregate()
        self.timeline = Timeline()
        self.run_prefix = _new_prefix()
        self.origin_wall_ns = time.time_ns()
        self.started = time.monotonic()
        self.stopped: float | None = None
        self._failures: dict[tuple[str, str, int | None], Exception] = {}
        self._greenlets: list[gevent.Greenlet] = []

    # -- every call ------------------------------------------------------------

    def observe(self, rec: RequestRecord) -> None:
        """The client observer: the harness's row, and Locust's request event."""
        self.recorder.record(rec)
        env = self.environment
        if env is None:
            return
        env.events.request.fire(
            request_type=OPERATION_METHODS.get(rec.operation, "CALL"),
            name=rec.operation,
            response_time=rec.latency_ns / 1e6,
            response_length=rec.bytes_received,
            response=None,
            context={},
            exception=self._failure(rec) if rec.error is not None else None,
            start_time=rec.started_at,
            url=None,
        )

    def _failure(self, rec: RequestRecord) -> Exception:
        """The client's error class, with a stable message so Locust groups failures."""
        key = (rec.operation, rec.error or "", rec.status)
        found = self._failures.get(key)
        if found is None:
            cls = _ERROR_CLASSES.get(rec.error or "", client_errors.AccountServiceError)
            found = self._failures[key] = cls(operation=rec.operation, status=rec.status)
        return found

    # -- lifecycle ---------------------------------------------------------------

    def attach(self, environment: Environment) -> None:
        self.environment = environment
        # gevent's loop caches "now": after seconds of imports with no loop iteration,
        # Locust's --run-time timer (scheduled right after init) would fire that much early
        gevent.get_hub().loop.update_now()
        runner = environment.runner
        if isinstance(runner, MasterRunner | LocalRunner):
            runner.register_message(MESSAGE, self._on_message)
        ev = environment.events
        ev.test_start.add_listener(self._on_test_start)
        ev.test_stop.add_listener(self._on_test_stop)
        ev.quitting.add_listener(self._on_quitting)
        ev.quit.add_listener(self._on_quit)

    @property
    def _has_users(self) -> bool:
        return isinstance(self.environment and self.environment.runner, WorkerRunner | LocalRunner)

    @property
    def _merges(self) -> bool:
        return isinstance(self.environment and self.environment.runner, MasterRunner | LocalRunner)

    def _on_test_start(self, environment: Environment, **_: Any) -> None:
        self.settings = options.resolve(environment.parsed_options)
        self._stop_greenlets()
        self.started, self.stopped = time.monotonic(), None
        if self._merges:
            self.aggregate, self.timeline = Aggregate(), Timeline()
            self.origin_wall_ns = time.time_ns()
            self._greenlets.append(gevent.spawn(self._sample_timeline))
        if self._has_users:
            self.recorder = Recorder()
            self.run_prefix = _new_prefix()
            self.health = HealthSampler()
            self.health.start()
            self._greenlets.append(gevent.spawn(self._flush_forever))

    def _on_test_stop(self, environment: Environment, **_: Any) -> None:
        if self.stopped is not None:
            return
        self.stopped = time.monotonic()
        self._stop_greenlets()
        if self._merges:
            self._mark_timeline()
            self.timeline.add(time.time_ns(), 0, RAMP)
        if self._has_users:
            self.flush()
            self.health.stop()

    def _on_quitting(self, environment: Environment, **_: Any) -> None:
        if isinstance(environment.runner, WorkerRunner):
            self.flush()

    def _on_quit(self, exit_code: int = 0, **_: Any) -> None:
        if not self._merges or self.settings.run_dir is None:
            return
        if self.stopped is None:
            self._on_test_stop(self.environment)  # type: ignore[arg-type]
        try:
            write_outputs(self.result(), self.settings.run_dir)
        except Exception:
            log.exception("could not write the harness's results to %s", self.settings.run_dir)

    def _stop_greenlets(self) -> None:
        greenlets, self._greenlets = self._greenlets, []
        gevent.killall(greenlets, block=False)

    # -- workers -> master -------------------------------------------------------

    def flush(self) -> None:
        env = self.environment
        if env is None or env.runner is None:
            return
        payload = self.recorder.drain()
        payload["health"] = self.health.drain()
        try:
            env.runner.send_message(MESSAGE, payload)
        except Exception:
            log.exception("could not send the harness's measurements to the master")

    def _flush_forever(self) -> None:
        while True:
            gevent.sleep(FLUSH_EVERY)
            self.flush()

    def _on_message(self, environment: Environment, msg: Any, **_: Any) -> None:
        runner = environment.runner
        worker = runner.get_worker_index(msg.node_id) if isinstance(runner, MasterRunner) else 0
        self.aggregate.add(worker, msg.data)

    # -- the master's timeline ---------------------------------------------------

    def _sample_timeline(self) -> None:
        while True:
            self._mark_timeline()
            gevent.sleep(TIMELINE_EVERY)

    def _mark_timeline(self) -> None:
        env = self.environment
        if env is None or env.runner is None:
            return
        runner = env.runner
        users = runner.user_count
        shape = env.shape_class
        if shape is not None and hasattr(shape, "stage_label"):
            label = shape.stage_label() or RAMP
        elif runner.state == STATE_RUNNING and users >= (runner.target_user_count or 0):
            label = "steady"
        else:
            label = RAMP
        self.timeline.add(time.time_ns(), users, label)

    def planned_seconds(self) -> float | None:
        env = self.environment
        shape = env.shape_class if env else None
        if shape is not None:
            return getattr(shape, "planned_seconds", None)
        run_time = getattr(env.parsed_options, "run_time", None) if env else None
        return float(run_time) if run_time else None

    def elapsed_seconds(self) -> float:
        end = self.stopped if self.stopped is not None else time.monotonic()
        return end - self.started

    def result(self) -> LocustResult:
        """What the merging process measured, as plain values for :func:`write_outputs`."""
        origin = self.origin_wall_ns
        pool = self.settings.pool.label()
        workers = sorted(self.aggregate.workers.items())
        windows = tuple(
            Window(
                step=label,
                users=users,
                start_ns=start - origin,
                end_ns=end - origin,
                health={index: state.health.reading(start, end) for index, state in workers},
            )
            for label, start, end, users in self.timeline.windows()
        )
        env = self.environment
        runner = env.runner if env is not None else None
        return LocustResult(
            samples=self.aggregate.table(origin, self.timeline, pool),
            pool=pool,
            windows=windows,
            histograms=self.aggregate.merged(),
            errors=self.aggregate.merged_errors(),
            workers=tuple(
                WorkerCounts(index, state.requests, state.rows_reported, state.rows_received)
                for index, state in workers
            ),
            locust_stats=None if runner is None else _stats_by_name(runner.stats),
            locust_total=None if runner is None else _figures(runner.stats.total),
            locust_csv=None if env is None or runner is None else _stats_csv(env),
            elapsed_s=self.elapsed_seconds(),
            planned_s=self.planned_seconds(),
            user_wait_s=self.settings.wait,
            user_rate=self.settings.rate or None,
        )


def _figures(entry: StatsEntry) -> LocustFigures:
    return LocustFigures(
        count=entry.num_requests,
        failures=entry.num_failures,
        avg_ms=entry.avg_response_time,
        p50_ms=entry.get_response_time_percentile(0.5),
        p95_ms=entry.get_response_time_percentile(0.95),
        p99_ms=entry.get_response_time_percentile(0.99),
        max_ms=entry.max_response_time,
        requests_per_s=entry.total_rps,
    )


def _stats_by_name(stats: RequestStats) -> dict[str, LocustFigures]:
    out: dict[str, LocustFigures] = {}
    for (name, _method), entry in stats.entries.items():
        if name not in out:
            out[name] = _figures(entry)
    return out


def _stats_csv(environment: Environment) -> str:
    """Locust's stats table now: its own ``locust_stats.csv`` is a 1 s snapshot."""
    text = io.StringIO()
    StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(text))
    return text.getvalue()


def _new_prefix() -> str:
    """Run-specific: this process's accounts are ``loadtest-lt<pid><random>-NNNNNN``."""
    return f"lt{os.getpid():x}{secrets.token_hex(3)}"


MEASUREMENT = Measurement()


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any, **_: Any) -> None:
    options.add_arguments(parser)


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    # bad settings stop the process here, before any user starts: Locust would only
    # log an error raised later, in its test_start listeners, and run on without them
    try:
        options.resolve(environment.parsed_options)
    except ValueError as error:
        log.error("account harness: %s", error)
        sys.exit(2)
    MEASUREMENT.attach(environment)
