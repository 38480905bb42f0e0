"""Print ``PATH XY X.Y.Z`` for the newest CPython >= 3.12 here other than the one running this.

``make test-newest-python`` runs part of the suite under a second Python, so
that what the README promises (3.11+) is checked on more than one version.
Candidates: ``python3.N`` on PATH and pyenv's installed versions; each is
asked for its version (a pyenv shim for a version that is not selected
fails, and is skipped). Prints nothing when there is none.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

OLDEST = (3, 12)
_PROBE = (
    "import platform, sys, sysconfig; "
    "print(platform.python_implementation(), sys.version_info.releaselevel, "
    "bool(sysconfig.get_config_var('Py_GIL_DISABLED')), sys.executable, *sys.version_info[:3])"
)


def candidates() -> list[str]:
    found = [shutil.which(f"python3.{minor}") for minor in range(OLDEST[1], 30)]
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            root = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            root = ""
        if root:
            found += sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3")))
    return [path for path in found if path]


def probe(path: str) -> tuple[tuple[int, int, int], str] | None:
    """(version, real executable) for a usable final, GIL-enabled CPython; else None."""
    try:
        out = subprocess.run(
            [path, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=True
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    if len(out) != 7:
        return None
    implementation, level, free_threaded, executable, *version = out
    if implementation != "CPython" or level != "final" or free_threaded == "True":
        return None
    return (int(version[0]), int(version[1]), int(version[2])), executable


def main() -> int:
    mine = sys.version_info[:2]
    usable = [found for path in candidates() if (found := probe(path))]
    others = [(v, exe) for v, exe in usable if v[:2] >= OLDEST and v[:2] != mine]
    if others:
        version, executable = max(others)
        print(executable, f"{version[0]}{version[1]}", ".".join(map(str, version)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
