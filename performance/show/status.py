"""A read-only snapshot of the sequencer for the operator view and OSC feedback, and the
named phases the sequencer can be in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from performance.core.inputs import InputValue
from performance.show.frame import ShowStatus


class SequencerPhase(StrEnum):
    """Where the sequencer stands (the values are what OSC feedback sends)."""

    STANDBY = "standby"  # nothing fired yet
    PRE_WAIT = "pre_wait"  # a GO'd cue waits for its pre-wait
    TRANSITION = "transition"  # a crossfade runs
    POST_WAIT = "post_wait"  # an auto-continue waits for the current cue's post-wait
    FOLLOW = "follow"  # an auto-follow waits for the current cue's transition to end
    ARMED = "armed"  # the cue on the playhead waits for its audience condition
    HELD = "held"  # armed, but the operator holds the condition
    READY = "ready"  # waiting for GO
    ENDED = "ended"  # the last cue has fired
    PAUSED = "paused"  # Pause froze transitions and waits
    PANIC = "panic"  # faded (or cut) out by a panic or hard stop
    BLACKOUT = "blackout"  # faded out by a blackout

    @property
    def show_status(self) -> ShowStatus:
        """What a ShowFrame reports in this phase: paused, armed, panic, blackout and ended
        as they are, every other phase as running."""
        return _SHOW_STATUS.get(self, ShowStatus.RUNNING)


_SHOW_STATUS: dict[SequencerPhase, ShowStatus] = {
    SequencerPhase.PAUSED: ShowStatus.PAUSED,
    SequencerPhase.ARMED: ShowStatus.ARMED,
    SequencerPhase.PANIC: ShowStatus.PANIC,
    SequencerPhase.BLACKOUT: ShowStatus.BLACKOUT,
    SequencerPhase.ENDED: ShowStatus.ENDED,
}


@dataclass(frozen=True)
class SequencerStatus:
    """Where the show stands: its `phase` (see `SequencerPhase`), the current and next cue,
    and the waits. Countdowns are seconds left, None when not running."""

    phase: SequencerPhase
    act: int = 0
    act_name: str = ""
    cue_id: str | None = None
    cue_name: str = ""
    next_cue_id: str | None = None
    next_cue_name: str = ""
    pre_wait_left: float | None = None
    post_wait_left: float | None = None
    follow_left: float | None = None
    transition_left: float | None = None  # seconds left of the running crossfade
    condition: str = ""  # the armed cue's condition, e.g. "chaos > 0.7 for 2s"
    condition_left: float | None = None  # seconds the condition must still hold
    condition_held: bool = False
    condition_metric: str = ""  # the metric the armed condition reads (e.g. "chaos")
    condition_above: bool = True  # it must rise above the threshold (else fall below)
    condition_value: float | None = None  # the condition's metric in the room now
    condition_threshold: float | None = None  # the value it must pass (above, else below)
    paused: bool = False
    locked: bool = False
    chaos_mode: bool = False
    master: float = 1.0
    ignored_gos: int = 0
    last_refusal: str = ""
    blackout: bool = False  # a blackout holds the level down
    inputs: tuple[tuple[str, InputValue], ...] = ()  # the showing visual's declared inputs

    @property
    def countdown(self) -> float | None:
        """Seconds left of the first running one of pre-wait, post-wait, follow and the
        armed condition; None when none runs."""
        waits = (self.pre_wait_left, self.post_wait_left, self.follow_left, self.condition_left)
        return next((left for left in waits if left is not None), None)
