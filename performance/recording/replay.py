"""Replay: a recording played back into a fresh show, frame by frame, deterministically.

Frame k of the replay is the recording's frame k (its `state` record gives the show-clock
time t_k): the commands recorded in frame k are applied at their recorded times, frame k's
observations (if any) go to the emotion engine with their recorded timestamps (else the
engine idles at t_k), and the show is ticked at t_k. No wall clock is read, so the same
recording and settings give the same show states, frame by frame, every time.

- `ReplayCursor`: the frame the replay is on (and a `Clock` whose `now()` is t_k, for the
  live loop of `essence rehearse --replay`).
- `ReplayShow`: wraps the show; applies frame k's commands, ticks at t_k, moves on.
- `ReplayFeed`: the live loop's feed (the `runtime.loop.Feed` protocol): frame k's
  observations in `pump`.
- `ReplayAudience`: the offline render's audience (`runtime.audience.Audience`).
- `replay_states`: the whole replay without a picture, returning the state of every frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from performance.core.errors import InputError
from performance.core.mailbox import LatestSlot
from performance.core.status import InputState, InputStatus
from performance.core.types import Frame, Observations, RoomEmotion
from performance.recording.records import (
    CommandRecord,
    FrameRecord,
    Recording,
    StateRecord,
    command_of,
    observations_of,
)
from performance.recording.tap import ForwardingEngine, state_record
from performance.show.frame import Show, ShowFrame
from performance.show.seqoptions import Outcome


class ReplayCursor:
    """Which recorded frame the replay is on; `now()` is that frame's show-clock time."""

    def __init__(self, recording: Recording) -> None:
        if not recording.states:
            raise InputError(recording.path, "no frames to replay (no state records)")
        self.recording = recording
        self.times = [s.t for s in recording.states]
        self.ns = [s.n for s in recording.states]  # k's loop frame (k, unless some dropped)
        self.k = 0
        self.frames: dict[int, list[FrameRecord]] = {}
        self.commands: dict[int, list[CommandRecord]] = {}
        for f in recording.frames:
            self.frames.setdefault(f.n, []).append(f)
        for c in recording.commands:
            self.commands.setdefault(c.n, []).append(c)
        self.source = f"replay of {recording.path.name}"

    @property
    def total(self) -> int:
        """Frames in the replay."""
        return len(self.times)

    @property
    def done(self) -> bool:
        return self.k >= self.total

    def now(self) -> float:
        """t_k (after the last frame: the last frame's time, the replay holds there)."""
        return self.times[min(self.k, self.total - 1)]

    def advance(self) -> None:
        self.k += 1

    def commands_now(self) -> list[CommandRecord]:
        """The commands recorded in frame k (none after the last)."""
        return [] if self.done else self.commands.get(self.ns[self.k], [])

    def observations(self) -> list[Observations]:
        """Frame k's observations, as the engine got them (normally none or one)."""
        frames = [] if self.done else self.frames.get(self.ns[self.k], [])
        return [observations_of(f, self.source) for f in frames]


class ReplayShow:
    """Wraps the show of a replay (see the module docstring). Commands given to `apply` (an
    operator's keys during `rehearse --replay`) still go through."""

    def __init__(self, show: Show, cursor: ReplayCursor) -> None:
        self.inner, self.cursor = show, cursor
        self.outcomes: list[tuple[CommandRecord, Outcome | None]] = []

    def apply(self, command: Any, now: float) -> Outcome | None:
        return self.inner.apply(command, now)

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        cursor = self.cursor
        t = cursor.now()
        for record in cursor.commands_now():
            self.outcomes.append((record, self.inner.apply(
                command_of(record.command, record.args), record.t)))
        frame = self.inner.tick(t, emotion)
        cursor.advance()
        return frame

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class ReplayFeed:
    """The live loop's feed for a replay: frame k's observations in `pump` (no camera)."""

    def __init__(self, cursor: ReplayCursor,
                 pace: Callable[[float], None] | None = None) -> None:
        self.cursor, self.pace = cursor, pace  # `pace(t)`: wait for t on a real-time run
        self.observations: LatestSlot[Observations] = LatestSlot()
        self.published = 0

    @property
    def input_status(self) -> InputStatus:
        return InputStatus(InputState.SCRIPTED, note=self.cursor.source)

    @property
    def captured(self) -> int:
        return 0

    @property
    def perceived(self) -> int:
        return self.published

    @property
    def latest_frame(self) -> Callable[[], Frame | None] | None:
        """No images in a recording: nothing to preview."""
        return None

    def pump(self, now: float) -> None:
        if self.pace is not None:
            self.pace(now)
        for observations in self.cursor.observations()[-1:]:
            self.observations.put(replace(observations, captured=now))
            self.published += 1

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""


class ReplayAudience:
    """The offline render's audience for a replay: the engine fed frame k's observations
    (or idling at t_k); the output time the render passes is not used (the cursor's is)."""

    def __init__(self, cursor: ReplayCursor, engine: Any) -> None:
        self.cursor, self.engine = cursor, engine
        self.name = cursor.source
        header = cursor.recording.header
        self.duration: float | None = cursor.total / header.fps
        self.perception_times: list[float] = []  # recorded numbers: no face model
        self.emotion = RoomEmotion(timestamp=cursor.now())

    def advance(self, t: float) -> RoomEmotion:
        seen = self.cursor.observations()
        for observations in seen:
            self.emotion = self.engine.update(observations)
        if not seen:
            self.emotion = self.engine.idle(self.cursor.now())
        return self.emotion

    def close(self) -> None:
        """Nothing to release."""


def replay_states(recording: Recording, show: Show, engine: Any) -> list[StateRecord]:
    """Replay `recording` into `show` and `engine` (both fresh, built from the recording's
    settings) without drawing; the show state of every frame, as the tap records it."""
    cursor = ReplayCursor(recording)
    audience = ReplayAudience(cursor, engine)
    replay = ReplayShow(show, cursor)
    states: list[StateRecord] = []
    while not cursor.done:
        k, t = cursor.k, cursor.now()
        emotion = audience.advance(t)
        frame = replay.tick(t, emotion)
        states.append(state_record(t, k, frame, emotion))
    return states


REPLAY_NEUTRAL_NOTE = "neutral: not during a replay (the recording's faces are replayed as read)"


class ReplayEngine(ForwardingEngine):
    """The emotion engine of a replay: the same engine, but the neutral key is refused (a
    baseline read from replayed faces would make the show differ from the recording)."""

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.refused = False

    def capture_neutral(self, seconds: float) -> None:
        """Refused: the note says why."""
        self.refused = True

    @property
    def neutral_note(self) -> str:
        return REPLAY_NEUTRAL_NOTE if self.refused else super().neutral_note
