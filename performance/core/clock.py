"""Clocks. All time the rig behaves by comes from an injected clock, never read elsewhere.

`work_seconds` is the one other reader: a high-resolution counter to measure how long work
took, for reports and statistics only (nothing waits, fades or fires by it).
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of seconds that never goes backwards."""

    def now(self) -> float:
        """Seconds since an arbitrary origin."""
        ...


class MonotonicClock:
    """The wall's monotonic clock, for live runs. Two processes' clocks agree when the second
    is made with the first's `origin` (the system's monotonic clock is shared by processes)."""

    def __init__(self, origin: float | None = None) -> None:
        self._origin = time.monotonic() if origin is None else float(origin)

    @property
    def origin(self) -> float:
        """The system monotonic time this clock's zero is at."""
        return self._origin

    def now(self) -> float:
        return time.monotonic() - self._origin


class ManualClock:
    """A clock advanced by hand: tests and offline rendering use it, nothing sleeps."""

    def __init__(self, start: float = 0.0) -> None:
        self._t = float(start)

    def now(self) -> float:
        return self._t

    def advance(self, dt: float) -> float:
        """Move time forward by `dt` seconds (must not be negative) and return the new time."""
        if dt < 0:
            raise ValueError(f"a clock cannot go backwards (dt={dt})")
        self._t += dt
        return self._t

    def set(self, t: float) -> None:
        """Jump to `t`, which must not be earlier than now."""
        if t < self._t:
            raise ValueError(f"a clock cannot go backwards ({t} < {self._t})")
        self._t = float(t)


class StrictTimestamps:
    """Turns any sequence of times into strictly increasing integer milliseconds.

    MediaPipe's VIDEO mode refuses a timestamp that is not larger than the last one; a looping
    video or two frames in the same millisecond would otherwise stop perception.
    """

    def __init__(self) -> None:
        self._last_ms = -1

    def next_ms(self, t_seconds: float) -> int:
        ms = int(t_seconds * 1000.0)
        if ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        return ms


def work_seconds() -> float:
    """A high-resolution counter in seconds, to time work for reports (never for behaviour)."""
    return time.perf_counter()
