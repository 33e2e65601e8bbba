"""Sequencer options, command outcomes (`Verdict` + reason) and the list of editing commands
(the show-mode lock)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from performance.config import DEFAULTS, Settings
from performance.show.commands import Back, GotoCue, SetChaosMode, SetInput, SetPlayhead
from performance.show.frame import CHAOS_VISUAL

EDITING_COMMANDS: tuple[type, ...] = (SetInput, SetChaosMode, SetPlayhead, GotoCue, Back)
"""Commands refused while the sequencer is locked (show mode): in show mode nothing fires a
cue but GO (and panic, stop, blackout change only the level and the waits)."""


class Verdict(StrEnum):
    """What became of a command: the reply a controller gets is built from it."""

    APPLIED = "applied"  # the show did it
    REFUSED = "refused"  # the show (or control, for a stale one) did nothing; `reason` says why


# The short reasons a refusal gives (OSC replies carry them as their data).
SHOW_MODE = "show mode"
TOO_SOON = "too soon"
END_OF_LIST = "end of list"
START_OF_LIST = "start of list"
NO_EARLIER_CUE = "no earlier cue"
STALE = "stale"
NO_CUE_LIST = "no cue list"  # the autopilot takes no commands
NO_RECORDING = "no recording here"  # `/essence/record` outside run, rehearse and record


def no_cue(cue_id: str) -> str:
    """The reason for a cue id the list does not have: `no cue 99`."""
    return f"no cue {cue_id}"


def not_running(cue_id: str) -> str:
    """The reason a stop or panic aimed at one cue did nothing: `cue 5 is not running`."""
    return f"cue {cue_id} is not running"


@dataclass(frozen=True)
class Outcome:
    """What became of one command or reload: accepted, or refused with a reason."""

    accepted: bool
    reason: str = ""

    @property
    def verdict(self) -> Verdict:
        """APPLIED or REFUSED."""
        return Verdict.APPLIED if self.accepted else Verdict.REFUSED


@dataclass(frozen=True)
class SequencerOptions:
    """Timings of the safety controls (seconds)."""

    panic_fade: float = 2.0
    double_panic_window: float = 2.0
    blackout_fade: float = 1.0
    restore_fade: float = 1.0
    min_go_interval: float = DEFAULTS.min_go_interval  # the one GO rule (see show/gogate.py)
    chaos_fade: float = 2.0
    chaos_visual: str = CHAOS_VISUAL

    @classmethod
    def from_settings(cls, settings: Settings) -> SequencerOptions:
        """The options a run's settings choose (the minimum GO interval); the rest default."""
        return cls(min_go_interval=settings.min_go_interval)
