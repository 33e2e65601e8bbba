"""The master level of picture and sound: Panic, HardStop and Blackout.

Runs on real time, not the show clock, so a panic fades out while the show is paused. A
second panic within `double_panic_window` of the first (or a HardStop) cuts at once; the
next GO (or Back, GotoCue) after a panic brings the level back over `restore_fade`.
"""

from __future__ import annotations

from enum import StrEnum

from performance.show.mixing import LevelFade
from performance.show.seqoptions import SequencerOptions


class MasterMode(StrEnum):
    """Why the master level is where it is."""

    NORMAL = "normal"  # full level (or fading back to it)
    PANIC = "panic"  # faded or cut out by Panic/HardStop; the next fire restores it
    BLACKOUT = "blackout"  # faded out by Blackout until Blackout turns it off


class Master:
    """The master level over real time and the mode that put it there."""

    def __init__(self, options: SequencerOptions) -> None:
        self.options = options
        self.mode = MasterMode.NORMAL
        self._level = LevelFade()
        self._last_panic: float | None = None

    def at(self, now: float) -> float:
        """The level (0..1) at real time `now`."""
        return self._level.at(now)

    def panic(self, now: float, *, cut: bool = False) -> None:
        """Fade picture and sound out; a second panic within the window (or `cut`) cuts."""
        again = cut or (self.mode is MasterMode.PANIC and self._last_panic is not None
                        and now - self._last_panic <= self.options.double_panic_window)
        self._level = self._level.to(now, 0.0, 0.0 if again else self.options.panic_fade)
        self.mode, self._last_panic = MasterMode.PANIC, now

    @property
    def blackout_on(self) -> bool:
        """Whether a blackout holds the level down."""
        return self.mode is MasterMode.BLACKOUT

    def blackout(self, now: float, on: bool | None) -> None:
        """Blackout on, off, or (None) toggled; turning it off also ends a panic."""
        on = (self.mode is not MasterMode.BLACKOUT) if on is None else on
        self.mode = MasterMode.BLACKOUT if on else MasterMode.NORMAL
        if self._level.target != (0.0 if on else 1.0):  # a repeat does not restart it
            self._level = self._level.to(now, 0.0 if on else 1.0, self.options.blackout_fade)

    def restore_after_panic(self, now: float) -> None:
        """A cue fires: after a panic the level comes back (a blackout stays)."""
        if self.mode is MasterMode.PANIC:
            self.mode = MasterMode.NORMAL
            self._level = self._level.to(now, 1.0, self.options.restore_fade)
