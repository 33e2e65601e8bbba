"""`ShowFrame`: what the show wants on stage at one instant (the show -> render/audio contract)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from performance.core.inputs import InputValue
from performance.core.types import RoomEmotion
from performance.show.commands import Command

if TYPE_CHECKING:  # seqoptions imports this module
    from performance.show.seqoptions import Outcome

CHAOS_VISUAL = "crowd_chaos"
"""The visual crowd-chaos mode shows (the autopilot's and the sequencer's)."""


@dataclass(frozen=True)
class Layer:
    """One visual with values for its declared inputs."""

    visual: str
    inputs: Mapping[str, InputValue] = field(default_factory=dict)


@dataclass(frozen=True)
class SoundSetting:
    """Per-act sound settings from the cue list (the audio engine reads these)."""

    enabled: bool = True
    level: float = 0.8  # 0..1 before the master fade
    palette: str = "essence"  # a named harmonic palette of the synth


class ShowStatus(StrEnum):
    """What a ShowFrame says the show is doing (the stage and the operator view read it)."""

    RUNNING = "running"  # playing: nothing below applies
    PAUSED = "paused"  # transitions and waits frozen
    ARMED = "armed"  # waiting for the audience condition of the cue on the playhead
    PANIC = "panic"  # faded (or cut) out by a panic or hard stop
    BLACKOUT = "blackout"  # faded out by a blackout
    ENDED = "ended"  # the last cue has fired


@dataclass(frozen=True)
class ShowFrame:
    """The show's output for one frame.

    `current` fades in over `previous` with `mix` (0 = previous only, 1 = current only).
    `master` is the overall level of picture and sound (1 normal, 0 after a panic/blackout
    fade has finished); the renderer multiplies the picture (crossfade included) by `master`,
    the audio engine its output.
    """

    time: float
    current: Layer
    previous: Layer | None = None
    mix: float = 1.0
    master: float = 1.0
    act: int = 0
    act_name: str = ""
    cue_id: str | None = None
    cue_name: str = ""
    next_cue_id: str | None = None
    cue_progress: float = 1.0
    countdown: float | None = None  # seconds left of a pre/post-wait or an armed condition
    status: ShowStatus = ShowStatus.RUNNING
    chaos_mode: bool = False
    locked: bool = False  # show mode: editing commands refused (the sequencer's `locked`)
    sound: SoundSetting = field(default_factory=SoundSetting)


class Show(Protocol):
    """Anything that turns time, the room's emotion and commands into a ShowFrame."""

    def apply(self, command: Command, now: float) -> Outcome | None:
        """Take one command from control (OSC, keys); the change shows on the next tick.
        Returns what became of it (None: a show that does not say)."""
        ...

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        """Advance to `now` and return what should be on stage."""
        ...
