"""Counting dropped OSC and logging it without flooding the log.

`DropCounter.drop(kind, detail, now)` counts every drop; it writes at most one log line per
kind per `interval` seconds, carrying how many of that kind were dropped since the last line
and over how long (a burst held back is told with the next drop of its kind, maybe minutes
later: `OSC dropped 1842 x unknown_address in 312 s (latest: ...)`, not as if just now).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

log = logging.getLogger("performance.control")


class DropCounter:
    """Thread-safe counts of dropped packets/messages by kind, with a rate-limited log."""

    def __init__(self, interval: float = 5.0, logger: logging.Logger = log) -> None:
        self.interval = interval
        self._log = logger
        self._lock = threading.Lock()
        self._totals: Counter[str] = Counter()
        self._pending: Counter[str] = Counter()
        self._last_line: dict[str, float] = {}

    def drop(self, kind: str, detail: str, now: float) -> None:
        """Count one drop of `kind`; log a line if none was logged for it lately."""
        with self._lock:
            self._totals[kind] += 1
            self._pending[kind] += 1
            last = self._last_line.get(kind)
            if last is not None and now - last < self.interval:
                return
            count = self._pending.pop(kind)
            self._last_line[kind] = now
        span = "" if last is None or count == 1 else f" in {now - last:.0f} s"
        self._log.warning("OSC dropped %d x %s%s (latest: %s)", count, kind, span, detail[:200])

    def counts(self) -> dict[str, int]:
        """Totals by kind since start."""
        with self._lock:
            return dict(self._totals)

    def total(self) -> int:
        """All drops since start."""
        with self._lock:
            return sum(self._totals.values())
