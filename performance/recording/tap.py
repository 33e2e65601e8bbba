"""The recording tap: what a live run wraps around its show, emotion engine and command queue
so that, while recording, every frame's observations, commands, cues fired and show state go
to a `Recorder` (and nothing at all happens while not recording).

The wrappers see exactly what the main loop does, in its order (commands, then the emotion,
then the show's tick, which ends the frame), on the loop's clock; replay (`replay.py`)
feeds the same calls back. `SetRecording` (the record key, `/essence/record`) is taken by
the tapped show's `apply` (the sequencer only accepts it, so OSC gets its reply). Starting
and stopping are logged with the file's path; the operator overlay shows `recording_line()`
while on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from performance.core.mailbox import CommandSink
from performance.core.types import EMOTIONS, Observations, RoomEmotion
from performance.recording.recorder import Recorder, Saved, default_path
from performance.recording.records import (
    CommandRecord,
    CueRecord,
    FiredBy,
    FrameRecord,
    Header,
    Origin,
    OscRecord,
    StateRecord,
    command_record,
    face_record,
)
from performance.show.autogo import AutoGo, sequencer_of
from performance.show.commands import Back, Command, Go, GotoCue, SetRecording
from performance.show.frame import Show, ShowFrame, ShowStatus
from performance.show.seqoptions import Outcome

log = logging.getLogger(__name__)


def state_record(t: float, n: int, frame: ShowFrame, emotion: RoomEmotion) -> StateRecord:
    """The show state of one frame (what replay compares, what the report plots)."""
    crowd = emotion.crowd
    return StateRecord(
        t=t, n=n, act=frame.act, cue=frame.cue_id, phase=str(frame.status),
        faces=sum(1 for f in emotion.faces if f.visible), valence=float(crowd.valence),
        arousal=float(crowd.arousal), chaos=float(crowd.chaos),
        emotions=tuple(float(v) for v in crowd.emotions[:len(EMOTIONS)]),
        master=float(frame.master), visual=frame.current.visual, mix=float(frame.mix),
        chaos_mode=frame.chaos_mode,
        inputs={k: tuple(float(x) for x in v) if isinstance(v, tuple) else float(v)
                for k, v in frame.current.inputs.items()})


def frame_record(t: float, n: int, observations: Observations) -> FrameRecord:
    """One observation's numbers (never its image: Observations carry none)."""
    return FrameRecord(t=t, n=n, index=observations.frame_index,
                       media_time=float(observations.media_time),
                       faces=tuple(face_record(f) for f in observations.faces))


class RecordingTap:
    """Starts and stops recordings of one run and feeds them (see the module docstring).

    `header` builds the header at each start; `path_for` names a file when none is given
    (default: a timestamped file in the user data dir); `announce` gets the one line said
    when recording starts or stops (default: the log)."""

    def __init__(self, header: Callable[[], Header], *,
                 path_for: Callable[[], Path] = default_path,
                 announce: Callable[[str], None] = log.info,
                 warn: Callable[[str], None] | None = None) -> None:
        self.header, self.path_for, self.announce = header, path_for, announce
        self.warn = warn or announce  # the line of a recording that was not saved whole
        self.recorder: Recorder | None = None
        self.results: list[Saved] = []  # what each recording of this run left
        self._closing: list[threading.Thread] = []  # recordings being saved (`stop_soon`)
        self.n = 0  # loop frames since the run started
        self._n0 = 0  # the frame recording started at
        self._emotion = RoomEmotion(timestamp=0.0)
        self._origins: dict[int, Origin] = {}
        self._receipts: list[tuple[Command, Outcome]] = []  # SetRecording before a show
        # that keeps no receipts (the autopilot): answered from here
        self._last_cue: str | None = None
        self._last_status: ShowStatus | None = None
        self._pending_by: FiredBy | None = None

    # -- control ---------------------------------------------------------------------------

    @property
    def recording(self) -> bool:
        return self.recorder is not None and self.recorder.active

    def start(self, path: Path | None = None) -> Path:
        """Start recording into `path` (default `path_for()`); returns it."""
        if self.recorder is not None:
            self.stop_soon()
        target = Path(path).expanduser() if path is not None else self.path_for()
        self.recorder = Recorder(target, self.header()).start()
        self._n0 = self.n
        self.announce(f"essence: recording the tracking stream (numbers, no images) to "
                      f"{target}")
        return target

    @property
    def saved(self) -> list[Path]:
        """The files recordings of this run were saved to (complete or cut short)."""
        return [r.saved for r in self.results if r.saved is not None]

    def stop(self) -> Saved | None:
        """Stop recording, wait until it is saved and say what was (`Saved.line`); None when
        nothing was recording. Recordings stopped in the background are waited for too, so
        `results` then holds every recording of the run."""
        recorder, self.recorder = self.recorder, None
        saved = self._close(recorder) if recorder is not None else None
        for closing in self._closing:
            closing.join()
        self._closing.clear()
        return saved

    def stop_soon(self) -> None:
        """Stop recording without waiting: the writer empties its queue, fsyncs and renames
        the file on a thread of its own, which then says what was saved. For the render
        thread (F9, `/essence/record 0`): the render loop never waits for the disk."""
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            closing = threading.Thread(target=self._close, args=(recorder,),
                                       name="essence-recording-close", daemon=True)
            self._closing.append(closing)
            closing.start()

    def _close(self, recorder: Recorder) -> Saved | None:
        saved = recorder.close()
        if saved is not None:
            self.results.append(saved)  # list.append: safe from the closing thread
            (self.announce if saved.complete else self.warn)(saved.line())
        return saved

    def set(self, on: bool | None) -> None:
        """Turn recording on or off (None: toggle), as `SetRecording` asks (on the render
        thread: stopping does not wait for the disk, `stop_soon`)."""
        want = not self.recording if on is None else on
        if want and not self.recording:
            self.start()
        elif not want and self.recorder is not None:
            self.stop_soon()

    def take_receipts(self) -> list[tuple[Command, Outcome]]:
        """The record commands this tap answered itself since the last call (see
        `TappedShow.apply`); for the OSC replies."""
        out, self._receipts = self._receipts, []
        return out

    def recording_line(self) -> str | None:
        """The operator overlay's line while recording (None otherwise)."""
        recorder = self.recorder
        if recorder is None:
            return None
        if recorder.failed is not None:
            return f"REC stopped: {recorder.failed} ({recorder.path.name})"
        return f"REC {recorder.path}"

    def _put(self, record: Any) -> None:
        if self.recorder is not None:
            self.recorder.record(record)

    @property
    def frame(self) -> int:
        """The current frame, counted from the start of the recording."""
        return self.n - self._n0

    def osc(self, now: float, address: str, sender: str, status: str) -> None:
        """An OSC message received (`sender`: the host only, never its port)."""
        if self.recording:
            self._put(OscRecord(now, self.frame, address, sender, status))

    # -- the wrappers ------------------------------------------------------------------------

    def wrap_show(self, show: Show) -> TappedShow:
        return TappedShow(show, self)

    def wrap_engine(self, engine: Any) -> TappedEngine:
        return TappedEngine(engine, self)

    def wrap_commands(self, sink: CommandSink[Command]) -> TappedCommands:
        return TappedCommands(sink, self)

    # -- what the wrappers report ------------------------------------------------------------

    def _observed(self, observations: Observations) -> None:
        if self.recording:
            self._put(frame_record(observations.timestamp, self.frame, observations))

    def _applied(self, command: Command, now: float, outcome: Outcome | None,
                 origin: Origin) -> None:
        accepted = outcome is None or outcome.accepted
        if accepted and isinstance(command, Go | GotoCue | Back):
            self._pending_by = FiredBy.GO
        if self.recording:
            name, args = command_record(command)
            self._put(CommandRecord(now, self.frame, name, args, origin, accepted,
                                    "" if outcome is None else outcome.reason))

    def _ticked(self, now: float, frame: ShowFrame, presses: int | None) -> None:
        if presses:
            self._pending_by = FiredBy.AUTO
        fired = frame.cue_id is not None and frame.cue_id != self._last_cue
        if fired:
            by = self._pending_by or (FiredBy.AUDIENCE if self._last_status is ShowStatus.ARMED
                                      else FiredBy.FOLLOW)
            self._pending_by = None
            if self.recording:
                self._put(CueRecord(now, self.frame, frame.act, str(frame.cue_id),
                                    frame.cue_name, by))
        self._last_cue, self._last_status = frame.cue_id, frame.status
        self._origins.clear()  # a key's command is applied in the frame it was pressed
        if self.recording:
            self._put(state_record(now, self.frame, frame, self._emotion))
        self.n += 1


class TappedShow:
    """The show, reporting commands applied, cues fired and each frame's state to the tap."""

    def __init__(self, show: Show, tap: RecordingTap) -> None:
        self.inner, self.tap = show, tap
        seq = sequencer_of(show)
        if seq is not None:
            seq.recording_tap = True  # its receipt for SetRecording says "ok" from now on

    def apply(self, command: Command, now: float) -> Outcome | None:
        if isinstance(command, SetRecording):  # the record key, /essence/record
            self.tap.set(command.on)
            self.tap._origins.pop(id(command), None)
            if sequencer_of(self.inner) is None:  # the autopilot keeps no receipts
                self.tap._receipts.append((command, Outcome(True)))
                return Outcome(True)
            return self.inner.apply(command, now)  # the sequencer's receipt answers OSC
        outcome = self.inner.apply(command, now)
        self.tap._applied(command, now, outcome, self.tap._origins.pop(id(command), Origin.OSC))
        return outcome

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        auto = self.inner if isinstance(self.inner, AutoGo) else None
        before = (auto.presses + auto.restarts) if auto is not None else 0
        frame = self.inner.tick(now, emotion)
        after = (auto.presses + auto.restarts) if auto is not None else 0
        self.tap._emotion = emotion
        self.tap._ticked(now, frame, after - before)
        return frame

    def __getattr__(self, name: str) -> Any:  # the sequencer's extras (take_outbox, ...)
        return getattr(self.inner, name)


class ForwardingEngine:
    """An emotion engine standing in front of another: everything goes to `inner`; a
    subclass changes what it must (the tap's and the replay's)."""

    def __init__(self, engine: Any) -> None:
        self.inner = engine

    def update(self, observations: Observations) -> RoomEmotion:
        emotion: RoomEmotion = self.inner.update(observations)
        return emotion

    def idle(self, now: float) -> RoomEmotion:
        emotion: RoomEmotion = self.inner.idle(now)
        return emotion

    def capture_neutral(self, seconds: float) -> None:
        self.inner.capture_neutral(seconds)

    @property
    def neutral_note(self) -> str:
        return str(self.inner.neutral_note)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class TappedEngine(ForwardingEngine):
    """The emotion engine, reporting each observation it is given to the tap."""

    def __init__(self, engine: Any, tap: RecordingTap) -> None:
        super().__init__(engine)
        self.tap = tap

    def update(self, observations: Observations) -> RoomEmotion:
        self.tap._observed(observations)
        return super().update(observations)


class TappedCommands:
    """The command queue: keys put here (origin `key`), everything else drained is `osc`."""

    def __init__(self, sink: CommandSink[Command], tap: RecordingTap,
                 origin: Origin = Origin.KEY) -> None:
        self.inner, self.tap, self.origin = sink, tap, origin

    def put(self, item: Command) -> bool:
        self.tap._origins.setdefault(id(item), self.origin)  # the outermost wrapper knows
        return self.inner.put(item)

    def drain(self) -> list[Command]:
        return self.inner.drain()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

