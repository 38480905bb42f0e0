"""summary.json is the analysis's cached output: see ``analysis.summary``.

Kept so that callers importing ``results.summary.summarize`` keep working.
"""

from analysis.summary import summarize

__all__ = ["summarize"]
