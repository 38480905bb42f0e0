"""The one error reports raise for input they cannot use (the CLI maps it to exit code 2)."""

from __future__ import annotations


class ReportInputError(ValueError):
    """A run folder or an option the reports cannot use; the message is one line naming it."""
