"""AutoGo: an operator stand-in that presses GO after the show has waited for it a while.

For unattended runs of a cue list (a kiosk looping the story, an offline render of the whole
show): whenever the sequencer is ready for GO (or armed on an audience condition that has
not come), GO is pressed once the show has waited `after` seconds; when the show has ended,
it holds the end for `hold_end` seconds (at least `after`), rewinds to the first cue and
presses GO again (a gallery loops the story; a locked show may loop too).
Everything else passes through untouched, so a real operator can still take over at any time.
"""

from __future__ import annotations

from performance.core.types import RoomEmotion
from performance.show.commands import Command, Go
from performance.show.frame import Show, ShowFrame
from performance.show.seqoptions import Outcome
from performance.show.sequencer import Sequencer
from performance.show.status import SequencerPhase

WAITING = (SequencerPhase.STANDBY, SequencerPhase.READY, SequencerPhase.ARMED,
           SequencerPhase.ENDED)
"""The phases in which the show waits for a GO (AutoGo presses it after a while)."""


class AutoGo:
    """Wraps a `Sequencer` (the Show protocol: `apply`, `tick`); the sequencer itself, for its
    status, outbox, cues and reloads, is `sequencer`."""

    def __init__(self, sequencer: Sequencer, after: float, *, hold_end: float = 10.0) -> None:
        if not after >= 0:
            raise ValueError(f"auto-go time must be 0 or more seconds (got {after})")
        self.sequencer = sequencer
        self.after = float(after)
        self.hold_end = max(float(hold_end), self.after)
        self.presses = 0
        self.restarts = 0
        self._waiting_since: float | None = None

    def apply(self, command: Command, now: float) -> Outcome:
        """Commands from people go straight through."""
        return self.sequencer.apply(command, now)

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        """Tick the show, pressing GO when it has waited `after` seconds for one."""
        phase = self.sequencer.status().phase
        if phase not in WAITING:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = now
        elif now - self._waiting_since >= (
                self.hold_end if phase is SequencerPhase.ENDED else self.after):
            if phase is SequencerPhase.ENDED:  # back to the first cue (the lock allows it)
                self.sequencer.rewind()
                if self.sequencer.handle(Go(), now).accepted:
                    self.restarts += 1
            else:
                self.sequencer.apply(Go(), now)
                self.presses += 1
            self._waiting_since = None
        return self.sequencer.tick(now, emotion)

    @property
    def locked(self) -> bool:
        """The sequencer's show-mode lock (set through the wrapper, e.g. by /essence/showmode)."""
        return self.sequencer.locked

    @locked.setter
    def locked(self, value: bool) -> None:
        self.sequencer.locked = value


def sequencer_of(show: Show) -> Sequencer | None:
    """The cue sequencer behind `show`: the show itself, or the one a wrapper drives, named
    by its `sequencer` attribute (AutoGo's, the kiosk's KioskShow, a recording's tapped
    show); None for the autopilot, which has no cues. (The kiosk's wrapper was missed: a
    kiosk with a cue list took no OSC command and sent no cue's OSC.)"""
    if isinstance(show, Sequencer):
        return show
    inner = getattr(show, "sequencer", None)
    return inner if isinstance(inner, Sequencer) else None
