"""The run folder: what every run leaves behind, written by drivers and Locust, read by reports.

``runs/<UTC timestamp>-<label>/`` holds :data:`META` (``meta.json``), :data:`SAMPLES`
(``samples.parquet``, one row per request, see :mod:`results.schema`) and :data:`SUMMARY`
(``summary.json``, shaped as :class:`Summary`). :class:`RunFolder` writes them,
:func:`load_run` and the light readers read them (docs/run-format.md).
"""

from results.errors import RunFolderError, RunInputError
from results.run import KINDS, Run, load_run, load_samples, read_meta, read_summary
from results.run_folder import META, SAMPLES, SCENARIO, SUMMARY, RunFolder, new_run_dir
from results.run_format import RunFormatError
from results.samples import SampleBuffer
from results.schema import COLUMNS, PHASES
from results.summary_shape import Summary

__all__ = [
    "COLUMNS",
    "KINDS",
    "META",
    "PHASES",
    "SAMPLES",
    "SCENARIO",
    "SUMMARY",
    "Run",
    "RunFolder",
    "RunFolderError",
    "RunFormatError",
    "RunInputError",
    "SampleBuffer",
    "Summary",
    "load_run",
    "load_samples",
    "new_run_dir",
    "read_meta",
    "read_summary",
]
