"""`InputStatus`: where the rig's input stands, as a named state plus the words for people.

The capture worker sets it, the runtime's feeds pass it on, the operator overlay colours it
and the OSC health line reports it; each asks `state` (or `lost`), never the wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class InputState(StrEnum):
    """The states of an input."""

    STARTING = "starting"  # opening the source, no frame yet
    LIVE = "live"  # frames arrive
    LOST = "lost"  # the source failed; capture retries by itself
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
        """True while the source is lost."""
        return self.state is InputState.LOST

    def __str__(self) -> str:
        text = f"lost: {self.reason}" if self.lost else str(self.state)
        return f"{text} ({self.note})" if self.note else text
