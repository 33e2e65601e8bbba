"""The audience condition of an armed cue: the room as last seen, since when it has met the
condition (in show time), and the operator's hold.

A cue with a condition (`when`) is armed when the playhead reaches it; it fires once the
room has met the condition for `for_s` seconds without a break (or on GO). Holding the
condition suspends it; holding, releasing or moving on starts its timer over.
"""

from __future__ import annotations

from typing import NamedTuple

from performance.core.types import CrowdReading
from performance.show.cuefile.model import Condition, metric_value


class AudienceWatch:
    """Watches the room for the armed cue's condition."""

    def __init__(self) -> None:
        self.crowd = CrowdReading()  # the room at the latest tick
        self.held = False
        self.met_since: float | None = None  # show time the condition has been met since

    def hold(self, on: bool) -> None:
        """Hold (True) or release (False) the condition; its timer starts over either way."""
        self.held, self.met_since = on, None

    def met(self, when: Condition, t: float) -> bool:
        """Look at the room at show time `t`: True once it has met `when` for its time."""
        if not when.met(self.crowd):
            self.met_since = None
            return False
        if self.met_since is None:
            self.met_since = t
        return t - self.met_since >= when.for_s

    def left(self, when: Condition, t: float) -> float | None:
        """Seconds the room must still meet `when`; None when it does not meet it now."""
        if self.met_since is None:
            return None
        return max(when.for_s - (t - self.met_since), 0.0)

    def reading(self, when: Condition | None) -> ConditionReading:
        """How close the room is to `when`: its metric now and the value it must pass (its
        `above`, else its `below`); an empty reading without a condition."""
        if when is None:
            return ConditionReading()
        above = when.above is not None
        return ConditionReading(when.metric, metric_value(self.crowd, when.metric),
                                when.above if above else when.below, above)


class ConditionReading(NamedTuple):
    """The room against an armed condition: which metric, its value now, the threshold it
    must pass, and whether it must rise above it (else fall below)."""

    metric: str = ""
    value: float | None = None
    threshold: float | None = None
    above: bool = True
