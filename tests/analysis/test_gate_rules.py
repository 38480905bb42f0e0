"""The gates' one grammar: thresholds and change rules read by one parser, each error one
line naming the flag and what is accepted."""

from __future__ import annotations

import pytest

from analysis.gate_rules import (
    CHANGE_METRICS,
    STATISTICS,
    GateRuleError,
    Scope,
    check_scopes,
    parse_change,
    parse_changes,
    parse_threshold,
)
from client.metrics import PERCENTILE_NAMES


@pytest.mark.parametrize(
    ("text", "scope", "statistic", "op", "limit"),
    [
        ("p95<200ms", Scope(), "p95", "<", 200.0),
        ("p95 < 0.2s", Scope(), "p95", "<", 200.0),
        ("p99.9<=1500us", Scope(), "p99.9", "<=", 1.5),
        ("avg<20", Scope(), "avg", "<", 20.0),
        ("error_rate<1%", Scope(), "error_rate", "<", 0.01),
        ("error_rate<0.01", Scope(), "error_rate", "<", 0.01),  # k6's form: a fraction
        ("throughput>500", Scope(), "throughput", ">", 500.0),
        ("c=50:throughput>=500req/s", Scope(level=50), "throughput", ">=", 500.0),
        ("get_account_profile:p99<50ms", Scope("get_account_profile"), "p99", "<", 50.0),
        ("c=100:search_accounts:max<2s", Scope("search_accounts", 100), "max", "<", 2000.0),
    ],
)
def test_thresholds_read(text: str, scope: Scope, statistic: str, op: str, limit: float) -> None:
    rule = parse_threshold(text)
    assert (rule.scope, rule.statistic, rule.op) == (scope, statistic, op)
    assert rule.limit == pytest.approx(limit)
    assert rule.text == text.replace(" ", "")  # what the verdict names is what was written


def test_a_threshold_holds_on_its_side_only() -> None:
    below, above = parse_threshold("p95<200ms"), parse_threshold("throughput>=500")
    assert below.holds(199.9) and not below.holds(200.0)
    assert above.holds(500.0) and not above.holds(499.9)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("p95<<1s", "cannot read 'p95<<1s'; expected [SCOPE:]STATISTIC<LIMIT"),
        ("p95", "cannot read 'p95'"),
        ("latency<1s", "unknown statistic 'latency'; accepted: avg, p50, p90, p95, p99, p99.9"),
        ("p95<1h", "a latency takes ms, s, us, µs (default ms), not 'h'"),
        ("error_rate<1ms", "error_rate takes a percentage (1%)"),
        ("throughput>5ms", "throughput takes req/s (500)"),
        ("nosuchop:p95<1s", "unknown scope 'nosuchop'; a scope is an operation (get_account_"),
    ],
)
def test_a_threshold_that_does_not_read_is_one_line_naming_the_flag(text: str, said: str) -> None:
    with pytest.raises(GateRuleError) as info:
        parse_threshold(text, "[thresholds]")
    message = str(info.value)
    assert message.startswith("[thresholds]: ") and said in message and "\n" not in message


def test_change_rules_share_the_scopes_and_names() -> None:
    [p95, tput, scoped] = parse_changes("p95:+0.1%, throughput:-5%,c=100:p99:20%")
    assert (p95.metric, p95.threshold, p95.text) == ("p95", pytest.approx(0.001), "p95:+0.1%")
    assert (tput.metric, tput.threshold) == ("throughput", pytest.approx(0.05))
    assert scoped.scope == Scope(level=100) and scoped.metric == "p99"
    assert set(CHANGE_METRICS) == {*PERCENTILE_NAMES, "throughput"} <= set(STATISTICS)


def test_a_change_rule_applies_to_its_scope_only() -> None:
    rule = parse_change("get_account_profile:p95:+10%")
    assert rule.applies("p95", "get_account_profile", "operation")
    assert rule.applies("p95", "Get Profile", "operation")  # the label, as history keys it
    assert not rule.applies("p99", "get_account_profile", "operation")
    assert not rule.applies("p95", "ensure_account", "operation")
    assert not rule.applies("p95", "throughput/c=10/", "concurrency")
    level = parse_change("c=10:throughput:-5%")
    assert level.applies("throughput", "throughput/c=10/", "concurrency")
    assert level.applies("throughput", "sweep/c=10/lean/pooled", "concurrency")
    assert not level.applies("throughput", "throughput/c=100/", "concurrency")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("p95:-10%", "a p95 regression is a rise (+N%)"),
        ("throughput:+5%", "a throughput regression is a drop (-N%)"),
        ("p90:+5%", "(metrics: p50, p95, p99, throughput)"),
        (",", "cannot read ','"),
    ],
)
def test_a_change_rule_that_does_not_read_names_the_flag(text: str, said: str) -> None:
    with pytest.raises(GateRuleError) as info:
        parse_changes(text, "--fail-on-change")
    assert str(info.value).startswith("--fail-on-change: ") and said in str(info.value)


def test_a_scope_the_run_will_not_measure_is_refused_naming_what_it_measures() -> None:
    ops, levels = ("get_account_profile", "ensure_account"), (1, 10)
    check_scopes(
        [parse_threshold("c=10:get_account_profile:p95<1s")], operations_run=ops, levels=levels
    )
    with pytest.raises(GateRuleError, match="measures no 'search_accounts'; it measures get_acc"):
        check_scopes([parse_threshold("search_accounts:p95<1s")], operations_run=ops, levels=levels)
    with pytest.raises(GateRuleError, match="has no level c=50; it has c=1, c=10"):
        check_scopes([parse_threshold("c=50:p95<1s")], operations_run=ops, levels=levels)
    with pytest.raises(GateRuleError, match="throughput is a window's, not an operation's"):
        check_scopes(
            [parse_threshold("get_account_profile:throughput>5")],
            operations_run=ops,
            levels=levels,
        )
