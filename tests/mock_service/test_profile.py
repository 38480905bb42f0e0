"""Profiles: the lognormal fit, loading and validation, and run-time replacement."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from mock_service import Profile, load_profile
from mock_service.endpoints import GET_PROFILE, LIST_ACCOUNTS, OTHER, TEMPLATES, normalize
from mock_service.lognormal import fit

# The seed README's "Single Request Latency" table: avg, p50, p95, p99 (ms).
SEED_TABLE = {
    "get_profile": (15, 12, 30, 45),
    "ensure": (20, 18, 35, 50),
    "update_profile": (18, 15, 32, 48),
    "update_preferences": (16, 14, 28, 42),
    "list": (25, 22, 45, 65),
    "search": (22, 20, 40, 60),
}


def test_seed_profile_fit_matches_the_seed_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Fitted avg/p50/p95/p99 of the seed profile vs the seed table (printed with -s)."""
    profile = load_profile("seed")
    rows = [f"{'endpoint':<20}{'target avg/p50/p95/p99':>26}{'fitted':>30}  worst"]
    for alias, seed_row in SEED_TABLE.items():
        latency = profile.latency_for(normalize(alias))
        target = (latency.avg, latency.p50, latency.p95, latency.p99)
        # near the seed's row: the harness adds 0-2 ms, and the figures were set by
        # measuring (seed.toml explains; test_seed_calibration.py checks the measured ones)
        assert all(abs(t - s) / s <= 0.15 for s, t in zip(seed_row, target, strict=True))
        dist = latency.distribution
        assert dist is not None
        fitted = (dist.mean, dist.p50, dist.p95, dist.p99)
        errors = [abs(f - t) / t for f, t in zip(fitted, target, strict=True)]
        rows.append(
            f"{alias:<20}{'/'.join(f'{t:g}' for t in target):>26}"
            f"{'/'.join(f'{f:.1f}' for f in fitted):>30}  {max(errors):.1%}"
        )
        assert max(errors) < 0.08, (alias, fitted, target)
    with capsys.disabled():
        print("\n" + "\n".join(rows))


def test_fit_recovers_known_lognormal() -> None:
    mu, sigma = math.log(20), 0.4
    z95, z99 = 1.6448536269514722, 2.3263478740408408
    d = fit(
        math.exp(mu),
        math.exp(mu + z95 * sigma),
        math.exp(mu + z99 * sigma),
        math.exp(mu + sigma**2 / 2),
    )
    assert d.mu == pytest.approx(mu, abs=1e-6)
    assert d.sigma == pytest.approx(sigma, abs=1e-6)


def test_constant_latency_has_zero_sigma() -> None:
    profile = Profile(default_latency={"p50": 50, "p95": 50, "p99": 50})
    dist = profile.latency_for(GET_PROFILE).distribution
    assert dist is not None
    assert dist.sigma == 0
    assert dist.p50 == pytest.approx(50)


def test_sampled_service_times_follow_the_fit() -> None:
    from mock_service.faults import Injector

    profile = Profile(latency={"list": {"p50": 22, "p95": 45, "p99": 65}})
    injector = Injector(profile)
    samples = sorted(injector.service_ms(LIST_ACCOUNTS) for _ in range(20_000))
    assert statistics.median(samples) == pytest.approx(22, rel=0.05)
    assert samples[int(0.95 * len(samples))] == pytest.approx(45, rel=0.08)
    assert injector.service_ms(OTHER) == 0.0


def test_builtins_and_toml(tmp_path: Path) -> None:
    fast = load_profile("fast")
    assert fast.name == "fast"
    assert fast.capacity is None
    assert all(fast.latency_for(t).distribution is None for t in TEMPLATES)
    seed = load_profile("seed")
    assert seed.capacity == 64
    assert (seed.contention, seed.coherency) == (0.042, 0.00012)
    assert seed.new_connection_ms == 35
    assert set(seed.latency) >= {GET_PROFILE, LIST_ACCOUNTS}
    path = tmp_path / "mine.toml"
    path.write_text(
        'seed = 7\ncapacity = 3\n[latency."GET /api/v1/accounts"]\np50 = 5\np95 = 9\np99 = 12\n'
        "[faults]\nerror_503_rate = 0.25\n"
    )
    mine = load_profile(str(path))
    assert mine.name == "mine"
    assert mine.seed == 7
    assert mine.capacity == 3
    assert mine.faults.error_503_rate == 0.25
    assert mine.latency_for(LIST_ACCOUNTS).p99 == 12
    assert load_profile(mine.to_dict()) == mine
    with pytest.raises(ValueError, match="unknown profile"):
        load_profile("nope")


@pytest.mark.parametrize(
    "data",
    [
        {"default_latency": {"p50": 30, "p95": 20, "p99": 40}},
        {"latency": {"no_such_endpoint": {"p50": 1, "p95": 2, "p99": 3}}},
        {"faults": {"error_503_rate": 0.6, "drop_rate": 0.6}},
        {"faults": {"slow_rate": -0.1}},
        {"capacity": 0},
        {"unknown_field": 1},
        {"default_latency": {"p50": 0, "p95": 1, "p99": 2}},
    ],
)
def test_invalid_profiles(data: dict) -> None:
    with pytest.raises(ValidationError):
        load_profile(data)


def test_profile_is_frozen() -> None:
    profile = load_profile("seed")
    with pytest.raises(ValidationError):
        profile.capacity = 3  # type: ignore[misc]


def test_runtime_profile_replacement(serve_mock: Callable[..., str]) -> None:
    with httpx.Client(base_url=serve_mock("seed"), timeout=10) as c:
        current = c.get("/_mock/profile").json()
        assert current == load_profile("seed").to_dict()
        new = {
            "name": "tuned",
            "capacity": 2,
            "latency": {"get_profile": {"p50": 1, "p95": 2, "p99": 3}},
        }
        r = c.put("/_mock/profile", json=new)
        assert r.status_code == 200
        assert r.json()["name"] == "tuned"
        assert r.json()["latency"][GET_PROFILE]["p99"] == 3
        assert c.get("/_mock/profile").json() == r.json()
        bad = c.put("/_mock/profile", json={"faults": {"drop_rate": 2}})
        assert bad.status_code == 422
        assert c.put("/_mock/profile", content=b"nope").status_code == 422
        assert c.get("/_mock/profile").json()["name"] == "tuned"


def test_fault_stream_is_deterministic_for_a_seed() -> None:
    from mock_service.faults import Injector

    profile = Profile(seed=11, faults={"error_503_rate": 0.2, "drop_rate": 0.1, "slow_rate": 0.1})
    a, b = Injector(profile), Injector(profile)
    seq_a = [a.fault() for _ in range(500)]
    assert seq_a == [b.fault() for _ in range(500)]
    a.reset()
    assert [a.fault() for _ in range(500)] == seq_a
    other = Injector(profile.model_copy(update={"seed": 12}))
    assert [other.fault() for _ in range(500)] != seq_a
    assert {f.value for f in seq_a} == {"none", "503", "drop", "slow"}
