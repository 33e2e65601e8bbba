"""The recording format: a rehearsal's tracking stream, commands, cues, OSC and show states as
JSON lines (one object per line, append-friendly, `pandas.read_json(path, lines=True)`).

Stable API (the rehearsal report imports it):

- `read_recording(path) -> Recording`: validates every line; a bad line raises InputError
  naming the file and the line; a truncated last line (a crash mid-write) is dropped and
  reported once in `Recording.warnings` (and logged).
- `Recording`: `header` (`Header`), `path`, and one typed list per kind, in file order:
  `frames` (`FrameRecord`), `commands` (`CommandRecord`), `cues` (`CueRecord`), `osc`
  (`OscRecord`), `states` (`StateRecord`); `records` holds all of them in file order.
- Every record has `t` (seconds on the show clock, the loop clock the show is ticked with)
  and `n` (the loop frame it belongs to, from 0); `kind` on the line is a `RecordKind`.
- `encode_header(header)`, `encode(record)`: one line of JSON each (no newline);
  `decode_record(obj)`: a record from a parsed line (ValueError/KeyError/TypeError on bad).
- `command_record` / `command_of`: a show Command to and from its (name, args) in a record.

docs/recording.md describes every field. Only numbers and short strings are stored: never
an image, a face crop or bytes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, get_args

from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.errors import InputError
from performance.core.types import EMOTIONS, FaceObservation, FaceRole, Observations
from performance.show.commands import Command

log = logging.getLogger(__name__)

FORMAT = "essence-recording"
VERSION = 1
SUFFIX = ".jsonl"


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
_TYPES: dict[RecordKind, type] = {
    RecordKind.FRAME: FrameRecord, RecordKind.COMMAND: CommandRecord, RecordKind.CUE: CueRecord,
    RecordKind.OSC: OscRecord, RecordKind.STATE: StateRecord,
}


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


# -- lines -----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Enum):
        return value.value
    return value


def encode_header(header: Header) -> str:
    """The header line (format and version first)."""
    body = _plain(header)
    ordered = {"format": body.pop("format"), "version": body.pop("version"), **body}
    return json.dumps(ordered, separators=(",", ":"), allow_nan=False)


def encode(record: Record) -> str:
    """One record as one line: `t`, `kind`, `n` first, then its fields."""
    body = _plain(record)
    ordered = {"t": body.pop("t"), "kind": str(body.pop("kind")), "n": body.pop("n"), **body}
    return json.dumps(ordered, separators=(",", ":"), allow_nan=False)


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a number, got {value!r}")
    return float(value)


def _numbers(value: Any, key: str, length: int | None = None) -> tuple[float, ...]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise ValueError(f"{key} must be a list of {length or 'some'} numbers")
    return tuple(_number(v, key) for v in value)


def _face(obj: Mapping[str, Any]) -> FaceRecord:
    expression = obj.get("expression")
    return FaceRecord(
        bbox=_numbers(obj["bbox"], "bbox", 4),  # type: ignore[arg-type]  # checked: four
        yaw=_number(obj["yaw"], "yaw"), pitch=_number(obj["pitch"], "pitch"),
        roll=_number(obj["roll"], "roll"),
        blendshapes=_numbers(obj["blendshapes"], "blendshapes", len(BLENDSHAPE_NAMES)),
        expression=None if expression is None
        else _numbers(expression, "expression", len(EMOTIONS)),
        role=FaceRole(obj.get("role", FaceRole.AUDIENCE.value)))  # absent: audience


def decode_record(obj: Mapping[str, Any]) -> Record:
    """The typed record of one parsed line (ValueError, KeyError or TypeError when bad)."""
    kind = RecordKind(obj["kind"])
    t, n = _number(obj["t"], "t"), obj["n"]
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a frame number, got {n!r}")
    if kind is RecordKind.FRAME:
        return FrameRecord(t, n, int(obj["index"]), _number(obj["media_time"], "media_time"),
                           tuple(_face(f) for f in obj["faces"]))
    if kind is RecordKind.COMMAND:
        command_of(obj["command"], obj["args"])  # a command replay can apply
        return CommandRecord(t, n, obj["command"], dict(obj["args"]), Origin(obj["origin"]),
                             bool(obj.get("accepted", True)), str(obj.get("reason", "")))
    if kind is RecordKind.CUE:
        return CueRecord(t, n, int(obj["act"]), str(obj["cue"]), str(obj["name"]),
                         FiredBy(obj["by"]))
    if kind is RecordKind.OSC:
        return OscRecord(t, n, str(obj["address"]), str(obj["sender"]), str(obj["status"]))
    cue = obj["cue"]
    return StateRecord(t, n, int(obj["act"]), None if cue is None else str(cue),
                       str(obj["phase"]), int(obj["faces"]), _number(obj["valence"], "valence"),
                       _number(obj["arousal"], "arousal"), _number(obj["chaos"], "chaos"),
                       _numbers(obj["emotions"], "emotions", len(EMOTIONS)),
                       _number(obj["master"], "master"), str(obj["visual"]),
                       _number(obj["mix"], "mix"), bool(obj["chaos_mode"]),
                       _inputs(obj.get("inputs", {})))


def _inputs(obj: Any) -> dict[str, float | tuple[float, ...]]:
    if not isinstance(obj, dict):
        raise ValueError("inputs must be an object of numbers")
    return {str(k): _numbers(v, f"inputs.{k}") if isinstance(v, list)
            else _number(v, f"inputs.{k}") for k, v in obj.items()}


def _header(obj: Any, path: Path) -> Header:
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise InputError(path, f"line 1: not an essence recording (no \"format\": \"{FORMAT}\")")
    if obj.get("version") != VERSION:
        raise InputError(path, f"line 1: recording version {obj.get('version')!r}; this rig "
                               f"reads version {VERSION}")
    try:
        stage = obj["stage"]
        return Header(started=str(obj["started"]), source=str(obj["source"]),
                      cues=str(obj["cues"]), settings=dict(obj["settings"]),
                      stage=(int(stage[0]), int(stage[1])), fps=_number(obj["fps"], "fps"))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(path, f"line 1: bad header ({_why(exc)})") from exc


def _why(exc: BaseException) -> str:
    return f"missing key {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0]


def iter_lines(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line number from 1, text, whether it is the last line and has no newline)."""
    try:
        with path.open("r", encoding="utf-8") as fh:
            lines = fh.readlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read the recording ({_why(exc)})") from exc
    for i, line in enumerate(lines, start=1):
        yield i, line, i == len(lines) and not line.endswith("\n")


def read_recording(path: str | Path) -> Recording:
    """Read and validate a recording (see the module docstring)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(path, "no such recording")
    recording: Recording | None = None
    for number, line, unfinished in iter_lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if unfinished and recording is not None:
                note = f"{path}: line {number} is cut short (the recording stopped " \
                       "mid-write, e.g. a crash); read up to the line before"
                log.warning("%s", note)
                recording.warnings.append(note)
                break
            raise InputError(path, f"line {number}: not JSON ({exc.msg})") from exc
        if recording is None:
            recording = Recording(path=path, header=_header(obj, path))
            continue
        if not isinstance(obj, dict):
            raise InputError(path, f"line {number}: a record must be a JSON object")
        try:
            recording.add(decode_record(obj))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(path, f"line {number}: bad {obj.get('kind', 'record')} record "
                                   f"({_why(exc)})") from exc
    if recording is None:
        raise InputError(path, "empty file, not an essence recording")
    return recording
