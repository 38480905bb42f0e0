"""The pool-settings sweep's decision rule: which pool setting to recommend, and why.

Rule, stated in the report (:data:`RULE`): at each concurrency level, among
the pool settings whose p99 is within 10% of the best p99 at that level, the
highest throughput; throughputs within 2% of the highest count as a tie, which
goes to the setting that opened the fewest connections inside the window,
then to the lowest connection-wait share. Applying the rule again to the
settings left ranks them, so the runner-up is the rule's second choice. The
headline names the pick at the highest concurrency level every setting
measured: pool settings matter most under load. It takes the sweep's window
table (``analysis.tables.window_table``); ``reports.sweep`` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

P99_TOLERANCE = 0.10
THROUGHPUT_TIE = 0.02
RULE = (
    f"among the settings whose p99 is within {P99_TOLERANCE:.0%} of the best p99, the highest "
    f"throughput; throughputs within {THROUGHPUT_TIE:.0%} of the highest count as a tie, which "
    "goes to the fewest new connections inside the window, then to the lowest connection-wait "
    "share (applied at each concurrency level; headline at the highest level all settings ran; "
    "the runner-up is the rule applied to the settings left)"
)


@dataclass(frozen=True)
class Cell:
    """One pool setting at one concurrency level: the figures the rule weighs."""

    pool: str
    throughput_rps: float
    p99_ms: float
    new_connections: int
    connect_share: float

    def figures(self) -> str:
        return (
            f"{self.throughput_rps:,.0f} req/s, p99 {self.p99_ms:.1f} ms, "
            f"{self.new_connections:,} new connections, connection wait "
            f"{self.connect_share:.1%} of latency"
        )


@dataclass(frozen=True)
class Ranking:
    """One level's settings in the rule's order (the pick first) and why."""

    concurrency: int
    cells: tuple[Cell, ...]
    best_p99_ms: float
    eligible: int  # settings within the p99 tolerance
    why: str  # why the pick won
    runner_up_lost: str | None  # why the runner-up did not

    @property
    def pick(self) -> Cell:
        return self.cells[0]

    @property
    def runner_up(self) -> Cell | None:
        return self.cells[1] if len(self.cells) > 1 else None


def _within(cell: Cell, best_p99: float) -> bool:
    return cell.p99_ms <= best_p99 * (1 + P99_TOLERANCE)


def _tied(cells: list[Cell]) -> list[Cell]:
    """The cells whose throughput is within the tie margin of the highest."""
    top = max(c.throughput_rps for c in cells)
    return [c for c in cells if c.throughput_rps >= top * (1 - THROUGHPUT_TIE)]


def _choose(cells: list[Cell], best_p99: float) -> Cell:
    """The rule, once: within the p99 tolerance, top throughput, ties to least churn, wait."""
    eligible = [c for c in cells if _within(c, best_p99)]
    if not eligible:  # only settings outside the tolerance are left: the lowest p99 next
        return min(cells, key=lambda c: c.p99_ms)
    return min(
        _tied(eligible), key=lambda c: (c.new_connections, c.connect_share, -c.throughput_rps)
    )


def _why(pick: Cell, cells: list[Cell], best_p99: float) -> str:
    eligible = [c for c in cells if _within(c, best_p99)]
    tied = _tied(eligible)
    if pick.p99_ms == best_p99:
        parts = [f"the best p99 at that level ({pick.p99_ms:.1f} ms)"]
    else:
        parts = [f"p99 within {P99_TOLERANCE:.0%} of the best ({best_p99:.1f} ms)"]
    if len(cells) == 1:
        parts.append("the only setting measured at that level")
    elif len(eligible) == 1:
        parts.append(f"the only setting within {P99_TOLERANCE:.0%} of the best p99")
    elif len(tied) == 1:
        parts.append(
            f"the highest throughput of the {len(eligible)} settings within "
            f"{P99_TOLERANCE:.0%} of the best p99"
        )
    else:
        others = [c for c in tied if c is not pick]
        fewer = all(pick.new_connections < c.new_connections for c in others)
        parts.append(
            f"throughput within {THROUGHPUT_TIE:.0%} of the highest ({len(tied)} settings tied), "
            + (
                f"and the fewest new connections ({pick.new_connections:,})"
                if fewer
                else f"the fewest new connections ({pick.new_connections:,}) and the least "
                f"connection wait ({pick.connect_share:.1%})"
            )
        )
    return "; ".join(parts)


def _lost(runner: Cell, pick: Cell, cells: list[Cell], best_p99: float) -> str:
    if not _within(runner, best_p99):
        return (
            f"its p99 is more than {P99_TOLERANCE:.0%} above the best "
            f"({runner.p99_ms:.1f} vs {best_p99:.1f} ms)"
        )
    if runner not in _tied([c for c in cells if _within(c, best_p99)]):
        return (
            f"lower throughput ({runner.throughput_rps:,.0f} vs {pick.throughput_rps:,.0f} req/s)"
        )
    if runner.new_connections != pick.new_connections:
        return (
            f"throughput tied within {THROUGHPUT_TIE:.0%}, but more new connections "
            f"({runner.new_connections:,} vs {pick.new_connections:,})"
        )
    if runner.connect_share != pick.connect_share:
        return (
            f"throughput and new connections tied, but more connection wait "
            f"({runner.connect_share:.1%} vs {pick.connect_share:.1%})"
        )
    return "tied on throughput, new connections and connection wait; lower throughput"


def rank(level: int, group: pd.DataFrame) -> Ranking | None:
    """The rule applied to one level's windows, then again to the settings left."""
    cells = [
        Cell(
            pool=str(row.pool),
            throughput_rps=float(row.throughput_rps),
            p99_ms=float(row.p99_ms),
            new_connections=int(row.new_connections) if "new_connections" in group else 0,
            connect_share=float(row.connect_share) if "connect_share" in group else 0.0,
        )
        for row in group.itertuples(index=False)
        if np.isfinite(row.p99_ms)
    ]
    if not cells:
        return None
    best = min(c.p99_ms for c in cells)
    left, order = list(cells), []
    while left:
        order.append(_choose(left, best))
        left.remove(order[-1])
    pick = order[0]
    runner = order[1] if len(order) > 1 else None
    return Ranking(
        concurrency=int(level),
        cells=tuple(order),
        best_p99_ms=best,
        eligible=sum(_within(c, best) for c in cells),
        why=_why(pick, cells, best),
        runner_up_lost=_lost(runner, pick, cells, best) if runner is not None else None,
    )


@dataclass(frozen=True)
class Recommendation:
    ranking: Ranking

    @property
    def pool(self) -> str:
        return self.ranking.pick.pool

    @property
    def concurrency(self) -> int:
        return self.ranking.concurrency

    @property
    def throughput_rps(self) -> float:
        return self.ranking.pick.throughput_rps

    @property
    def p99_ms(self) -> float:
        return self.ranking.pick.p99_ms

    @property
    def best_p99_ms(self) -> float:
        return self.ranking.best_p99_ms

    @property
    def runner_up(self) -> Cell | None:
        return self.ranking.runner_up

    def sentence(self) -> str:
        r = self.ranking
        text = (
            f"Recommended pool settings: {r.pick.pool} — at {r.concurrency} workers "
            f"{r.pick.figures()}. Why: {r.why}."
        )
        if r.runner_up is not None:
            text += (
                f" Runner-up: {r.runner_up.pool} — {r.runner_up.figures()}; not picked: "
                f"{r.runner_up_lost}."
            )
        return f"{text} Rule: {RULE}."


def per_level(windows: pd.DataFrame) -> pd.DataFrame:
    """The rule applied at every concurrency level: the pick, the runner-up and why."""
    rows = []
    for level, group in windows.groupby("concurrency"):
        ranking = rank(int(level), group)
        if ranking is None:
            continue
        pick, runner = ranking.pick, ranking.runner_up
        rows.append(
            {
                "concurrency": ranking.concurrency,
                "pool": pick.pool,
                "throughput_rps": pick.throughput_rps,
                "p99_ms": pick.p99_ms,
                "best_p99_ms": ranking.best_p99_ms,
                "new_connections": pick.new_connections,
                "connect_share": pick.connect_share,
                "eligible": ranking.eligible,
                "settings": len(ranking.cells),
                "why": ranking.why,
                "runner_up": runner.pool if runner is not None else "",
                "runner_up_figures": runner.figures() if runner is not None else "",
                "runner_up_lost": ranking.runner_up_lost or "",
            }
        )
    return pd.DataFrame(rows)


def recommend(windows: pd.DataFrame) -> Recommendation | None:
    """The pick at the highest concurrency level every pool setting measured."""
    if windows.empty:
        return None
    pools = windows["pool"].nunique()
    counts = windows.groupby("concurrency")["pool"].nunique()
    shared = counts[counts == pools].index
    levels = sorted(windows["concurrency"].unique(), reverse=True)
    first = [int(max(shared))] if len(shared) else []
    for level in first + [int(x) for x in levels]:
        ranking = rank(level, windows[windows["concurrency"] == level])
        if ranking is not None:
            return Recommendation(ranking)
    return None
