"""A read-only snapshot of the sequencer for the operator view and OSC feedback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SequencerStatus:
    """Where the show stands.

    `state` is one of: standby (nothing fired yet), pre_wait, transition, post_wait,
    follow (waiting for the transition to end before an auto-follow), armed (waiting for
    the audience condition), held (armed but held), ready (waiting for GO), ended,
    paused, panic, blackout. Countdowns are seconds left, None when not running.
    """

    state: str
    act: int = 0
    act_name: str = ""
    cue_id: str | None = None
    cue_name: str = ""
    next_cue_id: str | None = None
    next_cue_name: str = ""
    pre_wait_left: float | None = None
    post_wait_left: float | None = None
    follow_left: float | None = None
    condition: str = ""  # the armed cue's condition, e.g. "chaos > 0.7 for 2s"
    condition_left: float | None = None  # seconds the condition must still hold
    condition_held: bool = False
    paused: bool = False
    locked: bool = False
    chaos_mode: bool = False
    master: float = 1.0
    ignored_gos: int = 0
    last_refusal: str = ""

    @property
    def countdown(self) -> float | None:
        """Seconds left of the first running one of pre-wait, post-wait, follow and the
        armed condition; None when none runs."""
        waits = (self.pre_wait_left, self.post_wait_left, self.follow_left, self.condition_left)
        return next((left for left in waits if left is not None), None)
