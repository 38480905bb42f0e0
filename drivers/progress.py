"""A live progress line per phase: elapsed share, current request rate, errors.

On a terminal the line redraws in place; elsewhere (CI, logs) one line is
printed when each step ends.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO

from drivers.recorder import Recorder

BAR = 24


class Progress:
    def __init__(self, recorder: Recorder, stream: TextIO | None = None) -> None:
        self.recorder = recorder
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()

    @asynccontextmanager
    async def track(
        self, title: str, *, seconds: float | None = None, requests: int | None = None
    ) -> AsyncIterator[None]:
        rec = self.recorder
        start, done0, errors0 = time.perf_counter(), rec.completed, rec.errors
        state = {"last_t": start, "last_n": done0, "rate": 0.0}

        def line() -> str:
            now = time.perf_counter()
            done = rec.completed - done0
            if now - state["last_t"] >= 0.5:
                state["rate"] = (rec.completed - state["last_n"]) / (now - state["last_t"])
                state["last_t"], state["last_n"] = now, rec.completed
            if seconds:
                share = min(1.0, (now - start) / seconds)
            elif requests:
                share = min(1.0, done / requests)
            else:
                share = 0.0
            bar = "#" * int(share * BAR) + "." * (BAR - int(share * BAR))
            return (
                f"{title:<34} [{bar}] {share:4.0%}  {done:>7} req  "
                f"{state['rate']:>7.0f} req/s  errors {rec.errors - errors0}"
            )

        async def redraw() -> None:
            while True:
                self.stream.write("\r" + line())
                self.stream.flush()
                await asyncio.sleep(0.25)

        ticker = asyncio.create_task(redraw()) if self.live else None
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
            elapsed = time.perf_counter() - start
            done = rec.completed - done0
            state["rate"] = done / elapsed if elapsed > 0 else 0.0
            share_done = "done"
            final = (
                f"{title:<34} {share_done:>4} {done:>7} req in {elapsed:5.1f} s "
                f"({state['rate']:.0f} req/s), errors {rec.errors - errors0}"
            )
            self.stream.write(("\r" if self.live else "") + final + " " * 10 + "\n")
            self.stream.flush()
