"""The errors a run folder's readers raise: input the user can fix, one line naming it.

They sit under one base, :class:`RunInputError`, that ``reports`` raises too (as
``reports.ReportInputError``, the same class) for an option over runs it cannot use,
so one ``except`` catches both and ``bench.py`` answers every one with exit code 2.
"""

from __future__ import annotations


class RunInputError(ValueError):
    """Input naming runs that cannot be used (a run folder, or an option over runs); the
    message is one line naming it."""


class RunFolderError(RunInputError):
    """A run folder that cannot be read: not a folder, a file missing, unreadable or of the
    wrong shape; the message names the file."""
