"""One attempt's time limits, with one meaning on every engine.

An attempt has an overall deadline (the client's ``timeout=``, cut to the
call's deadline by :meth:`~client.execution.Execution.begin_attempt`) and,
under it, the per-phase limits of :class:`~client.settings.Timeouts`. Each
step of a request may last the smaller of its phase's limit and what is left
of the deadline; when it runs out, the error names the limit that did it.
"""

from __future__ import annotations

import time

from client.errors import AccountTimeoutError, TimeoutPhase
from client.settings import Timeouts

_WHAT = {
    "pool": "no connection free",
    "connect": "not connected",
    "write": "request not sent",
    "read": "no byte received",
    "total": "no answer",
}


def timed_out(phase: TimeoutPhase, seconds: float) -> AccountTimeoutError:
    """The error every engine raises when ``phase``'s limit of ``seconds`` ran out."""
    return AccountTimeoutError(f"{phase} timeout: {_WHAT[phase]} within {seconds:g} s", phase=phase)


class Deadline:
    """The clock of one attempt, for engines that set a limit before each blocking step."""

    __slots__ = ("_at", "_timeouts", "total")

    def __init__(self, total: float, timeouts: Timeouts | None) -> None:
        self.total = total
        self._timeouts = timeouts
        self._at = time.monotonic() + total

    def limit(self, phase: TimeoutPhase) -> tuple[float, TimeoutPhase]:
        """How long the next ``phase`` step may block, and which limit that is.

        Raises the ``total`` timeout when the deadline has already passed.
        """
        remaining = self._at - time.monotonic()
        if remaining <= 0:
            raise timed_out("total", self.total)
        own = getattr(self._timeouts, phase) if self._timeouts is not None else None
        if own is not None and own < remaining:
            return own, phase
        return remaining, "total"

    def expired(self, phase: TimeoutPhase) -> AccountTimeoutError:
        """The error for a step that ran out of the limit :meth:`limit` gave for ``phase``."""
        if phase == "total":
            return timed_out("total", self.total)
        own = getattr(self._timeouts, phase)
        return timed_out(phase, own)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._at
