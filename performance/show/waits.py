"""Show time and the waits that run on it.

`ShowClock` turns the real time the sequencer is given into *show time*, which Pause
freezes (real time never goes back: an earlier `now` counts as no time passing). `Waits`
holds the timed events ahead, in show time: the pre-wait of a GO'd cue (fire it then) and
the current cue's next action (post-wait or follow: GO on the next cue then). The sequencer
handles each at its exact due time, so chains run the same at any frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass


class ShowClock:
    """Real time in, show time out; `t` runs with real time except while `paused`."""

    def __init__(self) -> None:
        self.real: float | None = None  # the latest real time seen
        self.t = 0.0  # show time
        self.paused = False

    def step(self, now: float) -> float:
        """Take real time `now` and return the show time it reaches; `t` stays where it is,
        so the due waits on the way can be handled at their own times first."""
        if self.real is None:
            self.real = now
        dt = max(now - self.real, 0.0)
        self.real = max(self.real, now)
        return self.t + (0.0 if self.paused else dt)


@dataclass(frozen=True)
class PreWait:
    """A GO'd cue waiting for its pre-wait: its index and the show time it fires at."""

    index: int
    fire_at: float


@dataclass
class Waits:
    """The pre-wait running, and the show time of the current cue's next action."""

    pre_wait: PreWait | None = None
    next_at: float | None = None  # auto-continue (after the post-wait) or auto-follow

    def clear(self) -> None:
        """Cancel both (Stop, Panic, a moved playhead)."""
        self.pre_wait, self.next_at = None, None

    def next_due(self) -> float | None:
        """The show time of the first of them, None when neither runs."""
        due = [d for d in (self.pre_wait.fire_at if self.pre_wait else None, self.next_at)
               if d is not None]
        return min(due) if due else None
