"""Locust users over https: ``bench.py locust --tls`` serves the mock with a throwaway CA."""

from __future__ import annotations

import json

import pandas as pd

from tests._bench import bench, run_dir_from


def test_locust_users_speak_tls_to_the_embedded_mock(tmp_path) -> None:
    result = bench(
        "locust", "--tls", "--profile", "fast", "--users", "3", "--spawn-rate", "3",
        "--run-time", "3s", "--no-report", "--runs-dir", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = run_dir_from(result.stdout)
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["target"].startswith("https://") and meta["tls"]["verify"] is True
    assert meta["pool"]["transport"] == "gevent"
    stats = pd.read_csv(run_dir / "locust_stats.csv")
    total = stats[stats["Name"] == "Aggregated"].iloc[0]
    assert total["Request Count"] > 20
    assert total["Failure Count"] == 0
