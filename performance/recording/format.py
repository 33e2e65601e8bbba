"""The recording format: a rehearsal's records (performance.recording.records) as JSON lines
(one object per line, append-friendly, `pandas.read_json(path, lines=True)`): the encoder,
the decoder and the validating reader.

Stable API (the rehearsal report imports it):

- `read_recording(path) -> Recording`: validates every line (the header with
  `header.validate_header`; the records' order: frames never run backwards); a bad line
  raises InputError naming the file and the line (`NotARecording` when the file is no
  recording at all); a truncated last line (a crash mid-write) is dropped and reported once
  in `Recording.warnings` (and logged).
- `encode_header(header)`, `encode(record)`: one line of JSON each (no newline);
  `decode_record(obj)`: a record from a parsed line (ValueError/KeyError/TypeError on bad).

The record types themselves (`Header`, `FrameRecord`, ..., `Recording`) are in
performance.recording.records; docs/recording.md describes every field.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import math
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.errors import InputError
from performance.core.files import read_regular, reason
from performance.core.types import EMOTIONS, FaceRole
from performance.recording.header import NotARecording, validate_header
from performance.recording.records import (
    CommandRecord,
    CueRecord,
    FaceRecord,
    FiredBy,
    FrameRecord,
    Header,
    Origin,
    OscRecord,
    Record,
    Recording,
    RecordKind,
    StateRecord,
    command_of,
)

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"
LIMIT = 1 << 30
"""The largest recording read, bytes (about 13 hours of a one-face rehearsal)."""


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


def _why(exc: BaseException) -> str:
    return f"missing key {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0]


def iter_lines(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line number from 1, text, whether it is the last line and has no newline). Only a
    regular file of at most `LIMIT` bytes is read (a folder, a FIFO or a device is refused at
    once, never read); InputError naming `path` otherwise."""
    try:
        text = read_regular(path, limit=LIMIT).decode("utf-8")
    except FileNotFoundError as exc:
        raise InputError(path, "no such recording") from exc
    except OSError as exc:
        raise InputError(path, reason(exc) if exc.errno in (errno.EINVAL, errno.EFBIG)
                         else f"cannot read the recording ({reason(exc)})") from exc
    except UnicodeDecodeError as exc:
        raise NotARecording(path, f"not UTF-8 text (byte {exc.start}), not an essence "
                                  "recording") from exc
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines, start=1):
        yield i, line, i == len(lines) and not line.endswith("\n")


class _Order:
    """The order every recording is written in: `n` never decreases, one state record per
    frame, and the states' show clock `t` never runs backwards (other records keep the time
    they were taken at, e.g. a camera frame's capture time, so only the states are checked)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.n = 0
        self.state: tuple[int, int, float] | None = None  # line, n, t of the last state

    def check(self, record: Record, number: int) -> None:
        where = f"line {number}: {record.kind} record"
        if record.n < self.n:
            raise InputError(self.path, f"{where} of frame {record.n} after frame {self.n}: "
                                        "the records run backwards (a recording only goes "
                                        "forward)")
        self.n = record.n
        if not isinstance(record, StateRecord):
            return
        if self.state is not None:
            line, n, t = self.state
            if record.n == n:
                raise InputError(self.path, f"{where}: a second state of frame {n} (the "
                                            f"first is line {line})")
            if record.t < t:
                raise InputError(self.path, f"{where}: t {record.t:g} is before the previous "
                                            f"state's {t:g} (line {line}): the show clock "
                                            "never runs backwards")
        self.state = (number, record.n, record.t)


def read_recording(path: str | Path) -> Recording:
    """Read and validate a recording (see the module docstring)."""
    path = Path(path).expanduser()
    recording: Recording | None = None
    order = _Order(path)
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
            error = InputError if recording is not None else NotARecording
            raise error(path, f"line {number}: not JSON ({exc.msg})") from exc
        if recording is None:
            recording = Recording(path=path, header=validate_header(obj, path))
            continue
        if not isinstance(obj, dict):
            raise InputError(path, f"line {number}: a record must be a JSON object")
        try:
            record = decode_record(obj)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(path, f"line {number}: bad {obj.get('kind', 'record')} record "
                                   f"({_why(exc)})") from exc
        order.check(record, number)
        recording.add(record)
    if recording is None:
        raise NotARecording(path, "empty file, not an essence recording")
    return recording
