"""Sequencer options, command outcomes and the list of editing commands (show-mode lock)."""

from __future__ import annotations

from dataclasses import dataclass

from performance.config import DEFAULTS, Settings
from performance.show.commands import GotoCue, SetChaosMode, SetInput, SetPlayhead
from performance.show.frame import CHAOS_VISUAL

EDITING_COMMANDS: tuple[type, ...] = (SetInput, SetChaosMode, SetPlayhead, GotoCue)
"""Commands refused while the sequencer is locked (show mode)."""


@dataclass(frozen=True)
class Outcome:
    """What became of one command or reload: accepted, or refused with a reason."""

    accepted: bool
    reason: str = ""


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
