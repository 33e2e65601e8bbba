"""Commands: the only way control (OSC, keyboard) changes the show.

Handlers on other threads build these small immutable values and queue them; the main loop
hands them to the show between frames. Nothing here refers to the wire format.
"""

from __future__ import annotations

from dataclasses import dataclass

from performance.core.inputs import InputValue


@dataclass(frozen=True)
class Go:
    """Fire the next cue (or the armed one, overriding its audience condition).

    `press` is the id the sequencer's `GoGate` gave this press when control (the OSC hub)
    already admitted it; the sequencer then does not check the minimum GO interval again.
    None (keys, AutoGo): the sequencer checks the press when it applies it.
    """

    press: int | None = None


@dataclass(frozen=True)
class Back:
    """Step the playhead back to the previous cue and fire it."""


@dataclass(frozen=True)
class GotoCue:
    """Fire the cue with this id (e.g. "3" or "3.5") at once, without its pre-wait. `follow`
    (QLab's `/cue/{id}/start` and `/go`): its next action (auto-follow, auto-continue) runs
    as after a GO; without it (`/essence/goto`, a rehearsal jump) the show stops there."""

    cue_id: str
    follow: bool = False


@dataclass(frozen=True)
class SetPlayhead:
    """Move the playhead without firing: "next" or "previous", or a cue id."""

    target: str


@dataclass(frozen=True)
class Stop:
    """Stop waits and follows; the picture stays as it is. With `cue` (QLab's
    `/cue/{id}/stop`): only when that cue is the one on stage, else refused."""

    cue: str | None = None


@dataclass(frozen=True)
class Pause:
    """Freeze time-based progress (transitions, waits) until Resume."""


@dataclass(frozen=True)
class Resume:
    """Continue after Pause."""


@dataclass(frozen=True)
class Panic:
    """Fade picture and sound to nothing over the panic time; a second panic soon after cuts.
    With `cue` (`/cue/{id}/panic`): only when that cue is the one on stage, else refused."""

    cue: str | None = None


@dataclass(frozen=True)
class Blackout:
    """Toggle (or set) a blackout of picture and sound."""

    on: bool | None = None


@dataclass(frozen=True)
class SetInput:
    """Set a declared shader input of the current visual (clamped to its range)."""

    name: str
    value: InputValue


@dataclass(frozen=True)
class SetChaosMode:
    """Turn crowd-chaos mode on or off."""

    on: bool


@dataclass(frozen=True)
class HoldCondition:
    """Hold (True) or release (False) the armed cue's audience condition."""

    hold: bool


@dataclass(frozen=True)
class HardStop:
    """Cut picture and sound to nothing at once and stop every wait (QLab's /hardStop)."""


@dataclass(frozen=True)
class SetShowMode:
    """Toggle (None) or set show mode from the rig's own keyboard.

    Taken by OSC control (it owns the show-mode flag: `ControlHub`, `OscProcess`), never by
    the show; a show without OSC control has no show mode and refuses it.
    """

    on: bool | None = None


@dataclass(frozen=True)
class ShowModeChanged:
    """OSC control's show mode is now `on`: queued by the hub among the commands when OSC
    changes it, so the sequencer's lock changes at its place in the stream (an edit sent
    right after `/essence/showmode 0` is applied unlocked)."""

    on: bool


@dataclass(frozen=True)
class SetRecording:
    """Start (True), stop (False) or toggle (None) recording the rehearsal (the record key,
    `/essence/record`). Taken by the recording tap (recording/tap.py), never by the show."""

    on: bool | None = None


Command = (Go | Back | GotoCue | SetPlayhead | Stop | Pause | Resume | Panic | Blackout
           | SetInput | SetChaosMode | HoldCondition | HardStop | SetShowMode | ShowModeChanged
           | SetRecording)
