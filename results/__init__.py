"""The run folder: what every run leaves behind, written by drivers and Locust, read by reports.

``runs/<UTC timestamp>-<label>/`` holds ``meta.json``, ``samples.parquet``
(one row per request, see :mod:`results.schema`) and ``summary.json``.
"""

from results.run_folder import RunFolder, load_samples, new_run_dir
from results.samples import SampleBuffer
from results.schema import COLUMNS, PHASES

__all__ = ["COLUMNS", "PHASES", "RunFolder", "SampleBuffer", "load_samples", "new_run_dir"]
