"""Frame-time statistics: frame and work times over a window, dropped frames, percentiles.

The main loop records one frame at each frame start; `summary()` gives the figures printed at
the end of a run and on the `i` key.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

DROP_FACTOR = 1.5  # a frame longer than this many target periods counts as dropped


@dataclass(frozen=True)
class StatsSummary:
    """Frame-time figures in milliseconds (over the last `window` frames) and counts."""

    frames: int
    dropped: int
    mean_ms: float
    p95_ms: float
    p99_ms: float
    work_ms: float  # mean time spent working in a frame (not waiting for the next one)
    target_ms: float | None

    @property
    def fps(self) -> float:
        return 1000.0 / self.mean_ms if self.mean_ms > 0 else 0.0

    def format(self) -> str:
        target = f" (target {self.target_ms:.1f})" if self.target_ms else " (uncapped)"
        return (f"frames {self.frames}, {self.fps:.1f} fps; frame time ms: mean "
                f"{self.mean_ms:.2f}, p95 {self.p95_ms:.2f}, p99 {self.p99_ms:.2f}{target}; "
                f"work {self.work_ms:.2f} ms; dropped {self.dropped}")


def _percentile(ordered: list[float], q: float) -> float:
    """The `q`th percentile (nearest rank) of values already sorted ascending."""
    if not ordered:
        return 0.0
    rank = max(0, math.ceil(q / 100.0 * len(ordered)) - 1)
    return ordered[rank]


class FrameStats:
    """Frame times (start to start) and work times; a frame over 1.5x the target is dropped."""

    def __init__(self, target_period: float | None, window: int = 6000) -> None:
        self.target_period = target_period
        self.frames = 0
        self.dropped = 0
        self._times: deque[float] = deque(maxlen=window)
        self._work: deque[float] = deque(maxlen=window)

    def record(self, frame_time: float, work_time: float | None = None) -> None:
        """Count one frame that took `frame_time` seconds from its start to the next start."""
        self.frames += 1
        self._times.append(frame_time)
        self._work.append(frame_time if work_time is None else work_time)
        if self.target_period and frame_time > DROP_FACTOR * self.target_period:
            self.dropped += 1

    def summary(self) -> StatsSummary:
        times = sorted(self._times)  # one sort for every percentile
        mean = sum(times) / len(times) if times else 0.0
        work = sum(self._work) / len(self._work) if self._work else 0.0
        return StatsSummary(
            frames=self.frames,
            dropped=self.dropped,
            mean_ms=mean * 1000.0,
            p95_ms=_percentile(times, 95) * 1000.0,
            p99_ms=_percentile(times, 99) * 1000.0,
            work_ms=work * 1000.0,
            target_ms=None if not self.target_period else self.target_period * 1000.0,
        )
