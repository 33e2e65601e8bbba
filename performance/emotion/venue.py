"""The venue baseline: how this room's faces look at rest, learned over the first minutes of
an unattended run (the light, the camera's angle, the seats), then read against.

Every audience face's features over the first `seconds` of the run are averaged (the run's
time starts at the first face seen); at the end of that time the mean becomes the prior
every face's expressions are read against, in place of the population's. Kept in memory
only: it is never written anywhere and a new run learns it again (`venue_baseline_minutes`).
"""

from __future__ import annotations

import numpy as np


class VenueBaseline:
    """The mean resting features of a room's first `seconds` (see the module docstring)."""

    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"seconds must be positive (got {seconds})")
        self.seconds = seconds
        self.started: float | None = None
        self._sum: np.ndarray | None = None
        self.count = 0
        self.value: np.ndarray | None = None  # the learned baseline, once learned

    @property
    def done(self) -> bool:
        return self.value is not None

    def add(self, features: np.ndarray, now: float) -> np.ndarray | None:
        """Fold in one frame's face features (rows) seen at `now`; the learned baseline the
        first time `now` is past the learning time (None before, and after that once)."""
        if self.done:
            return None
        if self.started is None:
            self.started = now
        rows = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if now - self.started >= self.seconds and self.count:
            self.value = self._sum / self.count if self._sum is not None else None
            return self.value
        self._sum = rows.sum(axis=0) if self._sum is None else self._sum + rows.sum(axis=0)
        self.count += len(rows)
        return None
