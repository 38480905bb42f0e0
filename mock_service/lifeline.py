"""Tie an embedded mock's life to its launcher's, so no mock outlives a run.

The launcher keeps the write end of the mock's stdin and never writes to it.
The kernel closes that end however the launcher ends, SIGKILL included, so
EOF on stdin means "your parent is gone": the mock then shuts down
gracefully, and hard-exits if that takes too long. On Linux the mock can
also ask for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), but that
signal follows the parent *thread* that forked the mock, so it is only a
second line for launchers that start the mock from their main thread.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

GRACE_S = 5.0
"""How long a graceful shutdown may take after the parent is gone."""

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def stop_at_stdin_eof(stop: Callable[[], None], grace_s: float = GRACE_S) -> None:
    """Call ``stop`` once stdin reaches EOF, then ``os._exit(1)`` if still alive ``grace_s`` later.

    Runs in a daemon thread; ``stop`` must be safe to call from it (setting
    uvicorn's ``should_exit`` is).
    """

    def watch() -> None:
        try:
            while os.read(0, 4096):
                pass  # the launcher never writes; anything read is ignored
        except OSError:
            pass  # a closed or broken stdin means the same as EOF
        stop()
        time.sleep(grace_s)
        os._exit(1)

    threading.Thread(target=watch, name="mock-lifeline", daemon=True).start()


def signal_at_parent_death(parent_pid: int, signum: int = signal.SIGTERM) -> bool:
    """Linux: have the kernel send ``signum`` when the parent thread ends; False elsewhere.

    ``parent_pid`` is who the launcher was: if it died before this call, we
    were already re-parented and no signal would ever come, so send it now.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signum)
    return True
