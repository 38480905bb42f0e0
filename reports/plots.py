"""Report figures (matplotlib, Agg): small functions, one PNG each, one shared style.

Each takes the DataFrames the tables came from, so a figure never shows a
number the tables do not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.rcsetup import cycler
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from matplotlib.typing import RcKeyType

from analysis.usl import UslFit, predict

PALETTE = (
    "#2f6fb0",
    "#e07b39",
    "#3a9d5d",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#d684bd",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
PERCENTILE_COLORS = {"p50_ms": "#9ec5e8", "p95_ms": "#2f6fb0", "p99_ms": "#1d3c5e"}
DPI = 110
STYLE: dict[RcKeyType, Any] = {
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa5b1",
    "axes.grid": True,
    "grid.color": "#e4e7eb",
    "grid.linewidth": 0.8,
    "axes.prop_cycle": cycler(color=PALETTE),
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
NINES_TICKS = {0.5: "p50", 0.9: "p90", 0.99: "p99", 0.999: "p99.9", 0.9999: "p99.99"}


@contextmanager
def _figure(path: Path, *args: int, **kwargs: Any) -> Iterator[Any]:
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(*args, **kwargs)
        try:
            yield axes
            fig.tight_layout()
            fig.savefig(path, dpi=DPI)
        finally:
            plt.close(fig)


def _ms_axis(ax: plt.Axes, log: bool = False) -> None:
    if log:
        _log_y(ax)
    ax.set_ylabel("latency (ms)")


def _log_y(ax: plt.Axes) -> None:
    """Log scale with 1-2-5 ticks labelled in plain numbers."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _log_x(ax: plt.Axes, levels: Sequence[float]) -> None:
    if len(levels) and max(levels) / max(min(levels), 1) >= 8:
        ax.set_xscale("log")
    ax.set_xticks(list(levels))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def latency_bars(latency: pd.DataFrame, path: Path, title: str) -> Path:
    """p50 / p95 / p99 per operation, horizontal so long names read."""
    frame = latency.iloc[::-1]
    height = 0.8 + 0.45 * len(frame)
    with _figure(path, figsize=(9, max(2.6, height))) as ax:
        y = np.arange(len(frame))
        width = 0.26
        for i, (col, name) in enumerate((("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99"))):
            ax.barh(
                y + (1 - i) * width,
                frame[col],
                height=width,
                label=name,
                color=PERCENTILE_COLORS[col],
            )
        ax.set_yticks(y, frame["label"])
        ax.set_xlabel("latency (ms)")
        ax.grid(axis="y", visible=False)
        ax.set_title(title)
        ax.legend(loc="lower right", ncols=3)
    return path


def spectrum_plot(
    spectrum: pd.DataFrame, by: str, path: Path, title: str, labels: dict[str, str] | None = None
) -> Path:
    """Latency against percentile on a "nines" axis: x = -log10(1-q)."""
    with _figure(path, figsize=(9, 4.6)) as ax:
        for key, group in spectrum.groupby(by, sort=False):
            name = (labels or {}).get(str(key), str(key))
            ax.plot(group["nines"], group["latency_ms"], label=name, linewidth=1.8)
        ax.set_xticks([-np.log10(1 - q) for q in NINES_TICKS], list(NINES_TICKS.values()))
        ax.set_xlim(-np.log10(0.5) - 0.05, 4.05)
        _ms_axis(ax, log=True)
        ax.set_xlabel("percentile")
        ax.set_title(title)
        ax.legend(loc="upper left", fontsize=9, ncols=2 if spectrum[by].nunique() > 5 else 1)
    return path


def concurrency_plot(
    windows: pd.DataFrame, path: Path, x_label: str = "concurrency (workers)"
) -> Path:
    """Throughput and latency percentiles against concurrency, side by side."""
    frame = windows.sort_values("concurrency")
    levels = frame["concurrency"].tolist()
    with _figure(path, 1, 2, figsize=(10, 4)) as (left, right):
        left.plot(levels, frame["throughput_rps"], marker="o", linewidth=2, color=PALETTE[0])
        left.set_ylabel("requests / s")
        left.set_ylim(bottom=0)
        left.set_title("Throughput")
        for col, name in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
            right.plot(
                levels,
                frame[col],
                marker="o",
                label=name,
                color=PERCENTILE_COLORS[col],
                linewidth=2,
            )
        _ms_axis(right)
        right.set_ylim(bottom=0)
        right.set_title("Latency")
        right.legend()
        for ax in (left, right):
            _log_x(ax, levels)
            ax.set_xlabel(x_label)
    return path


def usl_plot(windows: pd.DataFrame, fit: UslFit, path: Path) -> Path:
    """Measured throughput with the fitted USL curve, its peak and the linear ideal."""
    frame = windows.sort_values("concurrency")
    n = frame["concurrency"].to_numpy(float)
    peak = fit.peak_concurrency
    top = max(n.max() * 1.3, min(peak * 1.6, n.max() * 4) if np.isfinite(peak) else 0)
    grid = np.linspace(1, top, 400)
    with _figure(path, figsize=(9, 4.4)) as ax:
        ideal = fit.lam * grid
        ax.plot(
            grid,
            np.minimum(ideal, predict(fit, grid).max() * 1.6),
            linestyle=":",
            color="#9aa5b1",
            label="linear scaling (λN)",
        )
        ax.plot(
            grid,
            predict(fit, grid),
            color=PALETTE[1],
            linewidth=2.2,
            label=f"USL fit: σ={fit.sigma:.3g}, κ={fit.kappa:.3g}, R²={fit.r2:.3f}",
        )
        ax.scatter(n, frame["throughput_rps"], s=46, color=PALETTE[0], zorder=3, label="measured")
        if np.isfinite(peak):
            ax.axvline(peak, color=PALETTE[3], linewidth=1, linestyle="--")
            ax.annotate(
                f"N* ≈ {peak:.0f}\n{fit.peak_throughput:,.0f} req/s",
                (peak, fit.peak_throughput),
                textcoords="offset points",
                xytext=(8, -30),
                color=PALETTE[3],
                fontsize=9,
            )
        ax.set_xlim(0, top)
        ax.set_ylim(
            0,
            max(
                frame["throughput_rps"].max(),
                fit.peak_throughput if np.isfinite(fit.peak_throughput) else 0,
            )
            * 1.25,
        )
        ax.set_xlabel("concurrency (N)")
        ax.set_ylabel("requests / s")
        ax.set_title("Capacity: Universal Scalability Law")
        ax.legend(loc="lower right")
    return path


def timeline_plot(timeline: pd.DataFrame, path: Path, users: bool) -> Path:
    """Request rate and p95 per 1 s bin (and users for Locust), phases shaded."""
    rows = 3 if users else 2
    with _figure(path, rows, 1, figsize=(10, 2.3 * rows + 0.6), sharex=True) as axes:
        t = timeline["t_s"].to_numpy()
        axes[0].fill_between(
            t, timeline["requests_per_s"], step="post", alpha=0.35, color=PALETTE[0], linewidth=0
        )
        axes[0].step(t, timeline["requests_per_s"], where="post", color=PALETTE[0], linewidth=1.2)
        axes[0].set_ylabel("requests / s")
        axes[0].set_ylim(bottom=0)
        axes[0].set_title("Request rate and p95 over time (1 s bins)")
        axes[1].plot(
            t + 0.5, timeline["p95_ms"], color=PALETTE[1], linewidth=1.4, marker=".", markersize=3
        )
        _ms_axis(axes[1], log=timeline["p95_ms"].max() > 20 * max(timeline["p95_ms"].min(), 1e-3))
        axes[1].set_ylabel("p95 (ms)")
        if users:
            axes[2].step(t, timeline["users"], where="post", color=PALETTE[2], linewidth=1.8)
            axes[2].set_ylabel("users")
            axes[2].set_ylim(bottom=0)
        _shade_phases(axes, timeline)
        axes[-1].set_xlabel("time since run start (s)")
    return path


def _shade_phases(axes: Sequence[plt.Axes], timeline: pd.DataFrame) -> None:
    phases = timeline["phase"].astype(str).to_numpy()
    t = timeline["t_s"].to_numpy()
    if len(set(phases)) < 2:
        return
    cuts = [0, *(np.flatnonzero(phases[1:] != phases[:-1]) + 1), len(phases)]
    span = t[-1] + 1 - t[0]
    for i, (a, b) in enumerate(pairwise(cuts)):
        end = t[b] if b < len(t) else t[-1] + 1
        for ax in axes:
            if i % 2:
                ax.axvspan(t[a], end, color="#eef1f4", zorder=0, linewidth=0)
        if (end - t[a]) / span >= 0.07:  # label only phases wide enough to read
            axes[0].text(
                (t[a] + end) / 2,
                0.97,
                phases[a],
                transform=axes[0].get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=8,
                color="#616e7c",
            )


def sweep_plot(windows: pd.DataFrame, metric: str, title: str, unit: str, path: Path) -> Path:
    """One line per pool setting across concurrency levels."""
    with _figure(path, figsize=(9, 4.2)) as ax:
        for pool, group in windows.groupby("pool", sort=True):
            group = group.sort_values("concurrency")
            ax.plot(group["concurrency"], group[metric], marker="o", linewidth=2, label=str(pool))
        _log_x(ax, sorted(windows["concurrency"].unique()))
        ax.set_xlabel("concurrency (workers)")
        ax.set_ylabel(unit)
        if unit == "share":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_ylim(bottom=0)
        ax.set_title(title)
        ax.legend(fontsize=9)
    return path


def paired_bars(
    frame: pd.DataFrame,
    path: Path,
    title: str,
    unit: str,
    names: tuple[str, str] = ("baseline", "candidate"),
) -> Path:
    """Baseline vs candidate per cell (frame: cell, baseline, candidate, verdict)."""
    height = 0.9 + 0.5 * len(frame)
    with _figure(path, figsize=(9, max(2.6, height))) as ax:
        y = np.arange(len(frame))[::-1]
        ax.barh(y + 0.2, frame["baseline"], height=0.38, color="#9aa5b1", label=names[0])
        colors = [
            {"regressed": PALETTE[3], "improved": PALETTE[2]}.get(v, PALETTE[0])
            for v in frame["verdict"]
        ]
        ax.barh(y - 0.2, frame["candidate"], height=0.38, color=colors, label=names[1])
        ax.set_yticks(y, frame["cell"])
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(unit)
        ax.set_title(title)
        ax.legend(loc="lower right")
    return path


def compare_spectra(
    base: dict[str, pd.DataFrame], cand: dict[str, pd.DataFrame], labels: dict[str, str], path: Path
) -> Path:
    """Small multiples: baseline vs candidate percentile spectrum per cell."""
    keys = list(base)
    cols = 3 if len(keys) > 4 else max(1, len(keys))
    rows = int(np.ceil(len(keys) / cols))
    with _figure(path, rows, cols, figsize=(3.6 * cols, 2.7 * rows + 0.4), squeeze=False) as axes:
        for ax, key in zip(axes.flat, keys, strict=False):
            for frame, color, name in (
                (base[key], "#9aa5b1", "baseline"),
                (cand[key], PALETTE[0], "candidate"),
            ):
                ax.plot(frame["nines"], frame["latency_ms"], color=color, linewidth=1.8, label=name)
            ax.set_xticks(
                [-np.log10(1 - q) for q in list(NINES_TICKS)[:4]], list(NINES_TICKS.values())[:4]
            )
            _log_y(ax)
            ax.set_title(labels.get(key, key), fontsize=10)
        for ax in list(axes.flat)[len(keys) :]:
            ax.set_visible(False)
        axes.flat[0].legend(fontsize=8)
        axes.flat[0].set_ylabel("ms")
    return path


def history_plot(
    series: dict[str, pd.DataFrame],
    marks: dict[str, list[tuple[int, float]]],
    ticks: Sequence[str],
    path: Path,
    title: str,
    unit: str,
) -> Path:
    """One panel per cell: the value per run (index, value, ci_low, ci_high) with its CI band,
    and a red line before each run that starts a change point, labelled with the step."""
    keys = list(series)
    ncols = 2 if len(keys) > 1 else 1
    nrows = -(-len(keys) // ncols)
    every = max(1, len(ticks) // 12)
    with _figure(path, nrows, ncols, figsize=(11, 2.6 * nrows + 0.6), squeeze=False) as axes:
        for ax, key in zip(axes.flat, keys, strict=False):
            frame = series[key]
            ax.fill_between(
                frame["index"], frame["ci_low"], frame["ci_high"], color=PALETTE[0], alpha=0.2
            )
            ax.plot(frame["index"], frame["value"], marker="o", ms=3, color=PALETTE[0])
            for index, change in marks.get(key, []):
                ax.axvline(index - 0.5, color=PALETTE[3], ls="--", lw=1.2)
                ax.annotate(
                    f"{change:+.0%}",
                    (index - 0.5, 1),
                    xycoords=("data", "axes fraction"),
                    color=PALETTE[3],
                    fontsize=8,
                    ha="left",
                    va="top",
                )
            ax.set_title(key, fontsize=10)
            ax.set_ylabel(unit)
            shown = range(0, len(ticks), every)
            ax.set_xticks(list(shown), [ticks[i] for i in shown], rotation=45, ha="right")
            ax.set_xlim(-0.5, len(ticks) - 0.5)
        for ax in list(axes.flat)[len(keys) :]:
            ax.set_visible(False)
        axes.flat[0].figure.suptitle(title)
    return path
