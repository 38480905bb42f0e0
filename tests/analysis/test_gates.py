"""Threshold verdicts with their power, on synthetic run folders with known distributions:
a limit far from the measured value passes or fails; one inside the interval is
inconclusive; and what an inconclusive cell does to the gate is the caller's choice."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import tables
from analysis.gate_rules import FAIL, INCONCLUSIVE, PASS, parse_change, parse_threshold
from analysis.gates import counts, gate_failed, judge_change, judge_thresholds
from results import load_run
from tests._run_factory import Spec, make_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("gates")
    return load_run(make_run(root, Spec(error_rate=0.02), "run"))


MEASURED = tables.KIND_PHASES["run"]  # the phases a run's thresholds judge


def _judge(run, *texts: str):
    return judge_thresholds(run, [parse_threshold(t) for t in texts])


def test_limits_far_from_the_value_pass_or_fail(run) -> None:
    far = _judge(run, "p95<10s", "p95<0.001ms", "error_rate<50%", "error_rate<0.01%", "max<60s")
    assert [r.outcome for r in far] == [PASS, FAIL, PASS, FAIL, PASS]
    p95 = far[0]
    assert p95.ci_low < p95.measured < p95.ci_high  # a real interval, around the value
    assert p95.cell == "all measured requests" and p95.unit == "ms"


def test_a_limit_inside_the_interval_is_inconclusive(run) -> None:
    [p95] = _judge(run, "p95<10s")
    middle = (p95.ci_low + p95.ci_high) / 2
    [straddled] = _judge(run, f"p95<{middle}ms")
    assert straddled.outcome == INCONCLUSIVE
    [rate] = _judge(run, "error_rate<50%")
    [straddled_rate] = _judge(run, f"error_rate<{rate.measured * 100:.6f}%")
    assert straddled_rate.outcome == INCONCLUSIVE
    assert straddled_rate.ci_low < rate.measured < straddled_rate.ci_high  # Wilson's interval
    assert not gate_failed([straddled, p95], "pass") and gate_failed([straddled, p95], "fail")
    assert counts([straddled, p95]) == {PASS: 1, FAIL: 0, INCONCLUSIVE: 1}


def test_scopes_judge_their_requests_only(run) -> None:
    samples = run.samples
    ok = samples[~tables.is_error(samples)]
    profile = ok[(ok["operation"] == "get_account_profile") & ok["phase"].isin(MEASURED)]
    expected = float(np.quantile(profile["latency_ns"].to_numpy() / 1e6, 0.99))
    [p99] = _judge(run, "get_account_profile:p99<10s")
    assert p99.cell == "Get Profile" and p99.measured == pytest.approx(expected)
    [level, peak] = _judge(run, "c=10:throughput>1", "throughput>1")
    assert level.cell == "throughput c=10" and peak.cell.startswith("peak window")
    assert peak.measured >= level.measured and level.ci_low < level.measured < level.ci_high


def test_a_change_rule_says_what_it_could_detect() -> None:
    tight = judge_change("compare", _rule("p95:+5%"), "Get Profile", "p95", 0.01, -0.2, 0.22, False)
    assert tight.outcome == INCONCLUSIVE and tight.detectable == pytest.approx(0.21)
    assert "could detect is about ±21.0%" in tight.detail
    assert "allowed 5%" in tight.value_text()
    loose = judge_change(
        "compare", _rule("p95:+30%"), "Get Profile", "p95", 0.01, -0.2, 0.22, False
    )
    assert loose.outcome == PASS
    broken = judge_change("compare", _rule("p95:+5%"), "Get Profile", "p95", 0.3, 0.2, 0.4, True)
    assert broken.outcome == FAIL
    drop = judge_change(
        "compare", _rule("throughput:-5%"), "c=10", "throughput", -0.01, -0.02, 0.0, False
    )
    assert drop.outcome == PASS  # the interval rules out a drop past 5%
    tiny = judge_change(
        "compare", _rule("p95:+0.1%"), "Get Profile", "p95", 0.0, -0.01, 0.01, False
    )
    assert "allowed 0.1%" in tiny.value_text()  # not rounded to 0%


def _rule(text: str):
    return parse_change(text)
