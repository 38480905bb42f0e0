"""The analysis: a run's samples and steps -> every table (``analysis.tables``).

``analysis.summary.summarize`` caches those tables, rounded, as summary.json;
the terminal, the reports and Locust's outputs read them from here too, so a
statistic is defined once. The flow: run folder -> analysis -> reports.
"""
