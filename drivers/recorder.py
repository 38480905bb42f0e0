"""Turns the client's records into samples, labelled with the phase they belong to."""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

from client import RequestRecord
from results import SampleBuffer

#: open loop: the scheduled send time of the request running in this task
INTENDED_NS: contextvars.ContextVar[int | None] = contextvars.ContextVar("intended", default=None)
#: closed loop: which worker (1..concurrency) runs this task; 0 outside a closed loop
WORKER: contextvars.ContextVar[int] = contextvars.ContextVar("worker", default=0)

#: consecutive calls that failed to connect (each after all its retries) that mean
#: the target is gone
TARGET_DOWN_STREAK = 5


@dataclass(slots=True)
class Label:
    phase: str
    step: str
    concurrency: int
    pool: str


class Recorder:
    """Subscribed to every client of the run; ``label`` says where samples go."""

    def __init__(self, origin_ns: int | None = None) -> None:
        self.samples = SampleBuffer()
        self.origin_ns = origin_ns if origin_ns is not None else time.perf_counter_ns()
        self.label: Label | None = None  # None: warm-up or set-up, nothing is kept
        self.completed = 0
        self.errors = 0
        self.last_start_ns = 0  # latest start (on the samples' clock) of a kept sample
        self._streak = 0

    def __call__(self, record: RequestRecord) -> None:
        if record.error == "AccountTransportError":
            self._streak += 1
        else:
            self._streak = 0
        self.completed += 1  # every call, kept or not: the progress line counts them
        if record.error is not None:
            self.errors += 1
        label = self.label
        if label is None:
            return
        start = self.samples.add(
            record,
            phase=label.phase,
            step=label.step,
            concurrency=label.concurrency,
            pool=label.pool,
            origin_ns=self.origin_ns,
            worker=WORKER.get(),
            intended_ns=INTENDED_NS.get(),
        )
        self.last_start_ns = max(self.last_start_ns, start)

    @property
    def target_down(self) -> bool:
        return self._streak >= TARGET_DOWN_STREAK

    def now_ns(self) -> int:
        """The current time on the samples' clock."""
        return time.perf_counter_ns() - self.origin_ns
