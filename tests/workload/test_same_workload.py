"""``bench.py run`` and ``bench.py locust`` of one scenario issue the same work.

Both runs load one mock (in this process, behind a recording ASGI middleware)
as a user would start them: real processes, real sockets. The harnesses' own
samples give each operation's share of the requests; the middleware gives
what the service received: which pages and page sizes, which limits and
search terms, which bodies, and whose accounts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
import pytest

from mock_service import create_app
from results import load_samples
from tests._bench import bench, run_dir_from
from tests._live_server import serve
from workload.operations import MIX_OPERATIONS

pytestmark = pytest.mark.slow

#: every operation of the mix weighs enough to be compared on a few seconds of load
WEIGHTS = {
    "get_account_profile": 20,
    "search_accounts": 12,
    "list_accounts": 12,
    "get_account_by_email": 10,
    "ensure_account": 10,
    "update_account_preferences": 10,
    "update_account_profile": 10,
    "change_account_status": 8,
    "delete_account": 8,
}
#: a shape of the parameters counts when it carries this share of an operation's requests
#: (the preflight of ``bench.py run`` sends one request of a few other shapes)
MAJOR_SHARE = 0.05
#: two harnesses drawing from the same weights differ by less than this many standard errors
MAX_Z = 4.5

#: the contract's routes (account-api.md), most specific first
ROUTES = [
    ("POST", r"/api/v1/accounts/ensure", "ensure_account"),
    ("GET", r"/api/v1/accounts/search", "search_accounts"),
    ("GET", r"/api/v1/accounts/stats", "get_service_stats"),
    ("GET", r"/api/v1/accounts", "list_accounts"),
    ("GET", r"/api/v1/accounts/profile/[^/]+", "get_account_profile"),
    ("PUT", r"/api/v1/accounts/profile/[^/]+", "update_account_profile"),
    ("DELETE", r"/api/v1/accounts/profile/[^/]+", "delete_account"),
    ("GET", r"/api/v1/accounts/by-email/[^/]+", "get_account_by_email"),
    ("PUT", r"/api/v1/accounts/preferences/[^/]+", "update_account_preferences"),
    ("PUT", r"/api/v1/accounts/status/[^/]+", "change_account_status"),
    ("GET", r"/health(/detailed)?", "health_check"),
]


@dataclass(frozen=True, slots=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]

    @property
    def operation(self) -> str:
        for method, pattern, operation in ROUTES:
            if method == self.method and re.fullmatch(pattern, self.path):
                return operation
        raise AssertionError(f"no operation for {self.method} {self.path}")

    @property
    def subject(self) -> str:
        """The account in the path (an id or an email), as the service decoded it."""
        return self.path.rsplit("/", 1)[1]


class Recording:
    """ASGI middleware: every HTTP request as the service received it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._seen: list[Seen] = []

    def take(self) -> list[Seen]:
        seen, self._seen = self._seen, []
        return seen

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body = bytearray()

        async def receive_and_keep() -> dict[str, Any]:
            message = await receive()
            body.extend(message.get("body", b""))
            return message

        try:
            await self.app(scope, receive_and_keep, send)
        finally:
            query = parse_qs(scope["query_string"].decode())
            self._seen.append(
                Seen(scope["method"], scope["path"], query, orjson.loads(body) if body else {})
            )


@dataclass(frozen=True, slots=True)
class Workload:
    """One run as the harness recorded it (operation counts) and as the service saw it."""

    counts: Counter[str]
    shapes: dict[str, Counter[tuple]]

    def share(self, operation: str) -> float:
        return self.counts[operation] / sum(self.counts.values())

    def major_shapes(self, operation: str) -> set[tuple]:
        shapes = self.shapes[operation]
        total = sum(shapes.values())
        return {shape for shape, n in shapes.items() if n >= MAJOR_SHARE * total}


def _workload(run_dir: Path, seen: list[Seen], phase: str) -> Workload:
    samples = load_samples(run_dir)
    ops = samples.loc[samples["phase"] == phase, "operation"].astype(str)
    ensured = [s.body for s in seen if s.operation == "ensure_account"]
    own_ids = {body["user_id"] for body in ensured}
    own_emails = {body["email"] for body in ensured}
    shapes: dict[str, Counter[tuple]] = {}
    for request in seen:
        op = request.operation
        shapes.setdefault(op, Counter())[_shape(request, own_ids, own_emails)] += 1
    return Workload(Counter(ops), shapes)


def _shape(request: Seen, own_ids: set[str], own_emails: set[str]) -> tuple:
    """What the policy chose for one request, with the run's own names abstracted away."""
    op, query, body = request.operation, request.query, request.body
    if op == "ensure_account":
        return ("body", *sorted(body))
    if op == "list_accounts":
        return tuple(sorted((key, *values) for key, values in query.items()))
    if op == "search_accounts":
        [term] = query["query"]
        prefix = all(user_id.startswith(term + "-") for user_id in own_ids)
        rest = sorted((k, *v) for k, v in query.items() if k != "query")
        return ("run prefix" if prefix else "other term", *rest)
    if op == "get_account_by_email":
        return ("own" if request.subject in own_emails else "foreign",)
    whose = "own" if request.subject in own_ids else "foreign"
    return (whose, ("body", *sorted(body)), ("query", *sorted(query)))


@pytest.fixture(scope="module")
def recording() -> Iterator[tuple[Recording, str]]:
    app = Recording(create_app("fast", accounts=200))
    with serve(app) as server:
        yield app, server.url


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "same-work.toml"
    weights = "".join(f"{op} = {w}\n" for op, w in WEIGHTS.items())
    path.write_text(
        f'name = "same-work"\n[weights]\n{weights}'
        "[throughput]\nconcurrency = [2]\nduration_s = 3.0\nwarmup_s = 0.0\n"
        "[data]\naccounts = 8\n"
    )
    return path


@pytest.fixture(scope="module")
def both(
    recording: tuple[Recording, str], scenario: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Workload]:
    app, url = recording
    runs = tmp_path_factory.mktemp("runs")
    common = ["--target", url, "--scenario", str(scenario), "--runs-dir", str(runs), "--no-report"]
    app.take()
    ran = bench("run", "--phases", "throughput", "--no-pin", *common)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    bench_run = _workload(run_dir_from(ran.stdout), app.take(), "throughput")
    ran = bench("locust", "--users", "2", "--spawn-rate", "2", "--run-time", "4s", *common)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    locust_run = _workload(run_dir_from(ran.stdout), app.take(), "locust")
    return {"bench": bench_run, "locust": locust_run}


def test_both_harnesses_issue_the_same_mix_of_operations(both: dict[str, Workload]) -> None:
    b, lo = both["bench"], both["locust"]
    nb, nl = sum(b.counts.values()), sum(lo.counts.values())
    assert nb >= 300 and nl >= 300, (nb, nl)
    assert set(b.counts) == set(lo.counts) == set(MIX_OPERATIONS)
    for op in MIX_OPERATIONS:
        pooled = (b.counts[op] + lo.counts[op]) / (nb + nl)
        error = math.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / nl))
        z = (b.share(op) - lo.share(op)) / error
        assert abs(z) < MAX_Z, (op, b.share(op), lo.share(op))


def test_both_harnesses_send_the_same_parameters(both: dict[str, Workload]) -> None:
    b, lo = both["bench"], both["locust"]
    for op in MIX_OPERATIONS:
        assert b.major_shapes(op) == lo.major_shapes(op), (op, b.shapes[op], lo.shapes[op])
    # what they agree on is the policy: the seed's page and limit, the run's own data
    assert b.major_shapes("list_accounts") == {(("page", "1"), ("page_size", "50"))}
    assert b.major_shapes("search_accounts") == {
        ("run prefix", ("include_inactive", "false"), ("limit", "50"))
    }
    for op in ("get_account_profile", "update_account_profile", "delete_account"):
        assert {shape[0] for shape in b.major_shapes(op)} == {"own"}, op
