"""The one error reports raise for input they cannot use (the CLI maps it to exit code 2)."""

from __future__ import annotations

from results.errors import RunInputError

#: a run folder or an option over runs that the reports cannot use; the message is one line
#: naming it. The same class as results' readers' base, so ``except ReportInputError``
#: catches an unreadable run folder (``results.RunFolderError``) as well.
ReportInputError = RunInputError

__all__ = ["ReportInputError"]
