"""How every benchmark in bench/ reports: a markdown table, then one JSON line per figure.

Each figure is a ratio of the rig against a bare loop measured in the same run (or, where
the issue asks for a level, a value against its goal). `bench/run.py` collects the JSON
lines of every script into one table and `out/bench.jsonl`.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def percentile(values: list[float], q: float) -> float:
    """The `q`th percentile (0-100) of unsorted `values`, as the rig takes it (core/stats.py)."""
    from performance.core.stats import percentile as nearest_rank

    return nearest_rank(sorted(values), q)


@dataclass(frozen=True)
class Figure:
    """One measured figure: the rig's value, the bare reference's, in `unit`; `goal` is the
    ratio (rig / bare) the issue sets as the most it may be, when there is one."""

    figure: str
    rig: float
    bare: float
    unit: str = "ms"
    goal: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.rig / self.bare if self.bare else float("inf")

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return ""
        return "meets" if self.ratio <= self.goal else "misses"

    def json(self, renderer: str) -> str:
        return json.dumps({"figure": self.figure, f"rig_{self.unit}": round(self.rig, 4),
                           f"bare_{self.unit}": round(self.bare, 4),
                           "ratio": round(self.ratio, 3), "goal": self.goal,
                           "verdict": self.verdict or None, "note": self.note or None,
                           "renderer": renderer})


def table(figures: list[Figure]) -> str:
    """The figures as a markdown table."""
    lines = ["| figure | rig | bare | ratio | goal |", "|---|---:|---:|---:|---|"]
    for f in figures:
        goal = f"≤ ×{f.goal:g} ({f.verdict})" if f.goal is not None else ""
        lines.append(f"| {f.figure} | {f.rig:.2f} {f.unit} | {f.bare:.2f} {f.unit} | "
                     f"×{f.ratio:.2f} | {goal} |")
    return "\n".join(lines)


def publish(title: str, figures: list[Figure], renderer: str = "") -> None:
    """Print `title`, the table and the JSON lines (what bench/run.py reads)."""
    print(f"{title}{f' ({renderer})' if renderer else ''}\n")
    print(table(figures) + "\n")
    for f in figures:
        print(f.json(renderer))
    sys.stdout.flush()


def gl_renderer() -> str:
    """The GL renderer a headless context gets on this machine (llvmpipe without a GPU)."""
    from performance.render.headless import create_headless_context

    ctx = create_headless_context()
    try:
        return str(ctx.info["GL_RENDERER"])
    finally:
        ctx.release()


def interleaved(rig: Callable[[int], None], bare: Callable[[int], None], rounds: int,
                block: int, *, warmup: int) -> tuple[float, float]:
    """Median ms per frame of `rig` and `bare` (each called with a frame number), after
    `warmup` frames of each; blocks of `block` frames alternate, the order swapped by round."""
    for i in range(warmup):
        rig(i)
        bare(i)
    times: dict[str, list[int]] = {"rig": [], "bare": []}
    frame = warmup
    for r in range(rounds):
        order = [("rig", rig), ("bare", bare)]
        for name, step in order if r % 2 == 0 else order[::-1]:
            for _ in range(block):
                t0 = time.perf_counter_ns()
                step(frame)
                times[name].append(time.perf_counter_ns() - t0)
                frame += 1
    return statistics.median(times["rig"]) / 1e6, statistics.median(times["bare"]) / 1e6
