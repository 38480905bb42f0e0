"""The exit codes every ``bench.py`` command ends with: one table a pipeline branches on.

docs/bench.md lists them; 130 and 143 (Ctrl-C, SIGTERM) are :mod:`drivers.interrupts`'s.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every gate and threshold passed (or there was none), the run completed
    GATE_FAILED = 1  # a threshold or a compare/history gate failed
    BAD_INPUT = 2  # a flag, a scenario, a rule or a run folder the user can fix
    PREFLIGHT = 3  # the preflight refused the target (it does not do what the contract says)
    TARGET_FAILED = 4  # the target could not be measured: unreachable, died, every request failed
    INTERNAL = 5  # the harness failed (a full disk, a bug): the cause in one line, --debug


MEANINGS = {
    ExitCode.OK: "every gate passed",
    ExitCode.GATE_FAILED: "a gate or threshold failed",
    ExitCode.BAD_INPUT: "bad input",
    ExitCode.PREFLIGHT: "the preflight refused the target",
    ExitCode.TARGET_FAILED: "the target could not be measured",
    ExitCode.INTERNAL: "the harness failed",
    130: "interrupted (Ctrl-C)",
    143: "stopped by SIGTERM",
}


def meaning(code: int) -> str:
    """What an exit code says, in a few words (for the CI files)."""
    return MEANINGS.get(code, f"exit code {code}")


def worst(*codes: int) -> int:
    """The code that says the most: a run that could not be measured outranks its gate."""
    order = (
        ExitCode.INTERNAL,
        ExitCode.TARGET_FAILED,
        ExitCode.PREFLIGHT,
        ExitCode.BAD_INPUT,
        ExitCode.GATE_FAILED,
        ExitCode.OK,
    )
    others = [c for c in codes if c not in order]  # an interrupt (130, 143) outranks them all
    if others:
        return others[0]
    return next(c for c in order if c in codes) if codes else ExitCode.OK
