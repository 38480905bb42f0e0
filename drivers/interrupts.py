"""Ctrl-C and SIGTERM stop a run the same way: what was measured is kept, the exit code says which.

SIGTERM is what a CI job timeout, ``timeout``, ``docker stop`` or a scheduler
sends; left at its default it kills the process at once and loses the run.
The exit codes follow the shell's convention, 128 + the signal number, and are
defined here only.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so one ``except`` keeps both."""


def signal_of(error: BaseException) -> signal.Signals:
    """Which signal an interrupt came from: SIGTERM for :class:`Terminated`, else SIGINT."""
    return signal.SIGTERM if isinstance(error, Terminated) else signal.SIGINT


def exit_code(signum: int) -> int:
    return 128 + signum


def reason(signum: int) -> str:
    """The run's ``cut_short`` text: it names the signal, so a CI log says who stopped it."""
    return "interrupted (SIGTERM)" if signum == signal.SIGTERM else "interrupted (Ctrl-C)"


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` (main thread only, as signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


class SigtermCancels:
    """Inside a running loop: SIGTERM cancels the current task, as ``asyncio.run`` does on Ctrl-C.

    ``with SigtermCancels() as stop:`` then ``stop.signal_of(error)`` says which
    signal a ``CancelledError`` or ``KeyboardInterrupt`` came from. While the
    block runs a second SIGTERM only repeats the cancel, so the synchronous
    writing at its end is never cut in two.
    """

    def __init__(self) -> None:
        self.signum = signal.SIGINT
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: signal.Handlers | object = signal.SIG_DFL

    def __enter__(self) -> SigtermCancels:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        previous = signal.getsignal(signal.SIGTERM)
        try:
            loop.add_signal_handler(signal.SIGTERM, self._cancel, task)
        except (RuntimeError, ValueError, NotImplementedError):
            return self  # not the main thread, or no signals on this platform: nothing to undo
        self._loop = loop
        self._previous = previous if previous is not None else signal.SIG_DFL
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._loop is None:
            return
        self._loop.remove_signal_handler(signal.SIGTERM)  # leaves SIG_DFL: put back the caller's
        signal.signal(signal.SIGTERM, self._previous)  # type: ignore[arg-type]

    def signal_of(self, error: BaseException) -> signal.Signals:
        """The signal behind ``error``: a cancel is SIGTERM's (here) or Ctrl-C's (asyncio.run)."""
        if isinstance(error, asyncio.CancelledError):
            return self.signum
        return signal_of(error)

    def _cancel(self, task: asyncio.Task[object] | None) -> None:
        self.signum = signal.SIGTERM
        if task is not None and not task.done():
            task.cancel()
