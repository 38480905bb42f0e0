#!/usr/bin/env bash
# The release gate both pipeline examples run (github-actions.yml, gitlab-ci.yml): a quick
# run on the embedded mock with service-level thresholds; the run folder, JUnit XML and the
# gate JSON go under $PERF_OUT. Its exit code is bench.py's (docs/bench.md, "Exit codes").
# Against staging: add --target URL (and the token in ACCOUNT_SERVICE_TOKEN).
set -euo pipefail
out="${PERF_OUT:-perf}"
python="${PYTHON:-.venv/bin/python}"
exec "$python" bench.py run --quick --label "${PERF_LABEL:-ci}" --runs-dir "$out/runs" \
    --threshold 'p95<500ms' \
    --threshold 'error_rate<1%' \
    --threshold 'c=10:throughput>100' \
    --junit "$out/junit.xml" --gate-json "$out/gate.json"
