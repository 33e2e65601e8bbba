"""`InputStatus`: where the rig's input stands, as a named state plus the words for people.

The capture worker sets it, the runtime's feeds pass it on, the operator overlay colours it
and the OSC health line reports it; each asks `state` (or `lost`), never the wording.
`lost` is true for both ways of getting no frames: the source failed (LOST) or it is open
but gives nothing new (STALLED: a read blocked, or the same image over and over).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class InputState(StrEnum):
    """The states of an input."""

    STARTING = "starting"  # opening the source, no frame yet
    LIVE = "live"  # frames arrive
    LOST = "lost"  # the source failed; capture retries by itself
    STALLED = "stalled"  # open, but no new frame for a while (blocked, frozen); reopened
    ENDED = "ended"  # a file source reached its end
    STOPPED = "stopped"  # the run stopped capture
    SCRIPTED = "scripted"  # the built-in scripted audience, no camera


@dataclass(frozen=True)
class InputStatus:
    """A state, why it was lost (`reason`), and a problem downstream (`note`, e.g. a failing
    face model) that leaves the state as it is."""

    state: InputState
    reason: str = ""
    note: str = ""

    @property
    def lost(self) -> bool:
        """True while no frames come: the source is lost or stalled."""
        return self.state in (InputState.LOST, InputState.STALLED)

    def __str__(self) -> str:
        text = f"{self.state}: {self.reason}" if self.lost else str(self.state)
        return f"{text} ({self.note})" if self.note else text


class SoundState(StrEnum):
    """Where the live sound stands, as the console and the health line report it."""

    OFF = "off"  # no sound output (sound off, or not started)
    OK = "ok"  # playing
    SILENT = "silent"  # started, but no output now (no device; retried)
    LOST = "lost"  # its process died; coming back
