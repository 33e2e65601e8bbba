"""The room's last minutes for the console's scrolling plot: a bounded ring of samples.

Owns `RoomHistory`: faces, valence, arousal and chaos sampled at most every `every`
seconds (2 Hz) on the time it is given (the console's injected clock), the oldest dropped
past `seconds`. A page gets the whole ring when it connects and each new sample after.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from performance.console.protocol import finite
from performance.control.feedback import RigStatus

HISTORY_SECONDS = 300.0  # five minutes of the room
SAMPLE_EVERY = 0.5  # seconds between two samples


@dataclass(frozen=True)
class RoomSample:
    """The room at one time (the console's clock, seconds)."""

    t: float
    faces: float
    valence: float
    arousal: float
    chaos: float

    def as_list(self) -> list[float | None]:
        """[t, faces, valence, arousal, chaos], rounded for the wire; a NaN or infinite
        value is None (JSON null: the page's JSON.parse takes no NaN)."""
        return [finite(self.t, 2), finite(self.faces, 2), finite(self.valence),
                finite(self.arousal), finite(self.chaos)]


class RoomHistory:
    """A ring of `RoomSample`s (see the module); not thread-safe: one loop owns it."""

    def __init__(self, seconds: float = HISTORY_SECONDS, every: float = SAMPLE_EVERY) -> None:
        if every <= 0 or seconds <= 0:
            raise ValueError(f"history: seconds {seconds} and every {every} must be positive")
        self.every = every
        self.samples: deque[RoomSample] = deque(maxlen=max(1, round(seconds / every)))
        self._next = -float("inf")

    def sample(self, status: RigStatus | None, now: float) -> RoomSample | None:
        """Take a sample of `status`'s room when one is due at `now`; the new sample, or
        None (not due yet, or no status)."""
        if status is None or now < self._next:
            return None
        self._next = now + self.every
        room = status.room
        taken = RoomSample(now, float(status.faces), float(room.valence), float(room.arousal),
                           float(room.chaos))
        self.samples.append(taken)
        return taken

    def snapshot(self) -> list[list[float | None]]:
        """Every sample, oldest first, as the wire's lists."""
        return [s.as_list() for s in self.samples]
