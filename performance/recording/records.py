"""The recording's record types: the header, one frozen dataclass per kind of line, the
`Recording` read back, and the conversions between show objects and records (a show Command
to and from its (name, args); a FaceObservation to and from a FaceRecord).

- Every record has `t` (seconds on the show clock, the loop clock the show is ticked with)
  and `n` (the loop frame it belongs to, from 0); `kind` on the line is a `RecordKind`.
- `Recording`: `header` (`Header`), `path`, and one typed list per kind, in file order:
  `frames` (`FrameRecord`), `commands` (`CommandRecord`), `cues` (`CueRecord`), `osc`
  (`OscRecord`), `states` (`StateRecord`); `records` holds all of them in file order.
- `command_record` / `command_of`: a show Command to and from its (name, args) in a record.

How they are written and read (JSON lines) is `performance.recording.format`; docs/recording.md
describes every field. Only numbers and short strings are stored: never an image, a face crop
or bytes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, get_args

from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.types import FaceObservation, FaceRole, Observations
from performance.show.commands import Command

FORMAT = "essence-recording"
VERSION = 1


class RecordKind(StrEnum):
    """What one line after the header holds."""

    FRAME = "frame"  # the tracking stream: one observation (all faces of one camera frame)
    COMMAND = "command"  # a command applied to the show
    CUE = "cue"  # a cue fired
    OSC = "osc"  # an OSC message received
    STATE = "state"  # the show state of one loop frame (what replay compares)


class Origin(StrEnum):
    """Where a command came from."""

    KEY = "key"  # the rig's keyboard
    OSC = "osc"  # OSC control (a tablet, QLab)
    AUTO = "auto"  # the rig itself (AutoGo, a test script)
    CONSOLE = "console"  # a person at the terminal or a script (`essence record --go-at`)


class FiredBy(StrEnum):
    """What made a cue fire."""

    GO = "go"  # a GO (or goto/back) command this frame
    AUDIENCE = "audience"  # the armed cue's audience condition was met
    AUTO = "auto"  # AutoGo pressed GO (an unattended show)
    FOLLOW = "follow"  # the previous cue's auto-follow / auto-continue


@dataclass(frozen=True)
class Header:
    """The first line. `started` is wall time for people only (replay never reads it)."""

    started: str
    source: str
    cues: str  # the show file's path, "" for the autopilot
    settings: dict[str, Any]  # the few settings that change the show (reader, smooth_time..)
    stage: tuple[int, int]
    fps: float
    format: str = FORMAT
    version: int = VERSION


@dataclass(frozen=True)
class FaceRecord:
    """One face of one frame: numbers only. `blendshapes` in BLENDSHAPE_NAMES order;
    `expression` the expression network's 7 values in EMOTIONS order (None: not read)."""

    bbox: tuple[float, float, float, float]
    yaw: float
    pitch: float
    roll: float
    blendshapes: tuple[float, ...]
    expression: tuple[float, ...] | None = None
    role: FaceRole = FaceRole.AUDIENCE  # in the camera calibration's performer zone or not


@dataclass(frozen=True)
class FrameRecord:
    """One observation the show took: source frame `index`, `media_time`, its faces."""

    t: float
    n: int
    index: int
    media_time: float
    faces: tuple[FaceRecord, ...]
    kind: RecordKind = RecordKind.FRAME


@dataclass(frozen=True)
class CommandRecord:
    """A command applied to the show: `command` (snake_case name), its `args`, `origin`,
    and whether the show took it (`accepted`, `reason` when refused)."""

    t: float
    n: int
    command: str
    args: dict[str, Any]
    origin: Origin
    accepted: bool = True
    reason: str = ""
    kind: RecordKind = RecordKind.COMMAND


@dataclass(frozen=True)
class CueRecord:
    """A cue fired: its act, id, name and what fired it."""

    t: float
    n: int
    act: int
    cue: str
    name: str
    by: FiredBy
    kind: RecordKind = RecordKind.CUE


@dataclass(frozen=True)
class OscRecord:
    """An OSC message received: address, sender host (never the port), the reply's status."""

    t: float
    n: int
    address: str
    sender: str
    status: str
    kind: RecordKind = RecordKind.OSC


@dataclass(frozen=True)
class StateRecord:
    """The show state of one loop frame (replay compares these, the report plots them)."""

    t: float
    n: int
    act: int
    cue: str | None
    phase: str  # ShowStatus: running, paused, armed, panic, blackout, ended
    faces: int  # faces the emotion layer tracks and sees
    valence: float
    arousal: float
    chaos: float
    emotions: tuple[float, ...]  # the room's shares in EMOTIONS order
    master: float
    visual: str
    mix: float
    chaos_mode: bool
    inputs: dict[str, float | tuple[float, ...]] = field(default_factory=dict)  # the visual's
    kind: RecordKind = RecordKind.STATE


Record = FrameRecord | CommandRecord | CueRecord | OscRecord | StateRecord


@dataclass
class Recording:
    """A recording read back: the header and the records, all and by kind, in file order."""

    path: Path
    header: Header
    records: list[Record] = field(default_factory=list)
    frames: list[FrameRecord] = field(default_factory=list)
    commands: list[CommandRecord] = field(default_factory=list)
    cues: list[CueRecord] = field(default_factory=list)
    osc: list[OscRecord] = field(default_factory=list)
    states: list[StateRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, record: Record) -> None:
        self.records.append(record)
        by_kind: dict[RecordKind, list[Any]] = {
            RecordKind.FRAME: self.frames, RecordKind.COMMAND: self.commands,
            RecordKind.CUE: self.cues, RecordKind.OSC: self.osc, RecordKind.STATE: self.states,
        }
        by_kind[record.kind].append(record)

    @property
    def duration(self) -> float:
        """Seconds from the first record to the last (0 when empty)."""
        if not self.records:
            return 0.0
        return max(r.t for r in self.records) - min(r.t for r in self.records)


# -- commands --------------------------------------------------------------------------------


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


COMMAND_TYPES: dict[str, type] = {_snake(cls.__name__): cls for cls in get_args(Command)}
"""snake_case name -> Command class (`go`, `goto_cue`, `set_input`, `blackout`, ...)."""


def command_record(command: Command) -> tuple[str, dict[str, Any]]:
    """A command's name and arguments for a CommandRecord (Go's press id is not kept: it
    is a ticket of one run's OSC gate)."""
    args = {f.name: getattr(command, f.name) for f in dataclasses.fields(command)}
    args.pop("press", None)
    return _snake(type(command).__name__), args


def command_of(name: str, args: Mapping[str, Any]) -> Command:
    """The Command a record names (lists become tuples); ValueError for an unknown one."""
    cls = COMMAND_TYPES.get(name)
    if cls is None:
        raise ValueError(f"unknown command {name!r} (known: {', '.join(sorted(COMMAND_TYPES))})")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}
    command: Command = cls(**values)
    return command


# -- faces -----------------------------------------------------------------------------------


def face_record(face: FaceObservation) -> FaceRecord:
    """A face's numbers (blendshapes in BLENDSHAPE_NAMES order, 0 for a missing name)."""
    return FaceRecord(
        bbox=tuple(float(v) for v in face.bbox),  # type: ignore[arg-type]  # four values
        yaw=float(face.yaw), pitch=float(face.pitch), roll=float(face.roll),
        blendshapes=tuple(float(face.blendshapes.get(name, 0.0)) for name in BLENDSHAPE_NAMES),
        expression=None if face.expression is None
        else tuple(float(v) for v in face.expression), role=face.role)


def face_observation(face: FaceRecord) -> FaceObservation:
    """The FaceObservation a FaceRecord stands for."""
    return FaceObservation(bbox=face.bbox, blendshapes=dict(zip(BLENDSHAPE_NAMES,
                                                                face.blendshapes, strict=True)),
                           yaw=face.yaw, pitch=face.pitch, roll=face.roll,
                           expression=face.expression, role=face.role)


def observations_of(frame: FrameRecord, source: str) -> Observations:
    """The Observations a FrameRecord stands for, timed at its show-clock time `t`."""
    return Observations(timestamp=frame.t, frame_index=frame.index, source=source,
                        faces=tuple(face_observation(f) for f in frame.faces),
                        media_time=frame.media_time)
