"""The recording format: a real file written and read back, every kind of record, and the
one-line errors for bad lines (naming the file and the line)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from pathlib import Path

import pytest

from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.errors import InputError
from performance.core.types import FaceObservation, Observations
from performance.recording.format import encode, encode_header, read_recording
from performance.recording.header import NotARecording
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
    RecordKind,
    StateRecord,
    command_of,
    command_record,
    face_record,
    observations_of,
)
from performance.show.commands import Blackout, Go, GotoCue, SetChaosMode, SetInput, Stop

HEADER = Header(started="2026-12-02T12:00:00+00:00", source="clip.mp4", cues="cues/show.toml",
                settings={"reader": "fused", "smooth_time": 0.35}, stage=(320, 180), fps=30.0)
FACE = FaceRecord(bbox=(0.1, 0.2, 0.3, 0.45), yaw=-3.5, pitch=1.25, roll=0.0,
                  blendshapes=tuple(i / 100 for i in range(52)),
                  expression=(0.1, 0.5, 0.1, 0.1, 0.1, 0.05, 0.05))
RECORDS: list[Record] = [
    FrameRecord(t=0.0333, n=1, index=1, media_time=0.0333, faces=(FACE,)),
    FrameRecord(t=0.0667, n=2, index=2, media_time=0.0667,
                faces=(FaceRecord((0.5, 0.5, 0.6, 0.7), 0.0, 0.0, 0.0, (0.0,) * 52),)),
    CommandRecord(t=0.07, n=2, command="go", args={}, origin=Origin.KEY),
    CommandRecord(t=0.08, n=2, command="set_input", args={"name": "speed", "value": 0.7},
                  origin=Origin.OSC, accepted=False, reason="show mode"),
    CueRecord(t=0.07, n=2, act=1, cue="1", name="Opening", by=FiredBy.GO),
    OscRecord(t=0.09, n=2, address="/go", sender="192.168.1.20", status="ok"),
    StateRecord(t=0.07, n=2, act=1, cue="1", phase="running", faces=1, valence=0.25,
                arousal=-0.5, chaos=0.125, emotions=(0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0),
                master=1.0, visual="essence_module", mix=0.25, chaos_mode=False,
                inputs={"speed": 0.7, "tint": (0.1, 0.2, 0.3)}),
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_every_kind_round_trips_through_a_real_file(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", [encode_header(HEADER)] + [encode(r) for r in RECORDS])
    rec = read_recording(path)
    assert rec.header == HEADER
    assert rec.records == RECORDS
    assert rec.frames == RECORDS[:2] and rec.commands == RECORDS[2:4]
    assert rec.cues == [RECORDS[4]] and rec.osc == [RECORDS[5]] and rec.states == [RECORDS[6]]
    assert rec.warnings == [] and rec.duration == pytest.approx(0.09 - 0.0333)


def test_lines_are_json_objects_a_data_frame_can_take(tmp_path: Path) -> None:
    """What `pandas.read_json(path, lines=True)` needs: one JSON object per line, each record
    with `t` and `kind` (and no bytes or base64 anywhere: only numbers and short strings)."""
    path = write(tmp_path / "r.jsonl", [encode_header(HEADER)] + [encode(r) for r in RECORDS])
    lines = path.read_text().splitlines()
    objects = [json.loads(line) for line in lines]
    assert all(isinstance(o, dict) for o in objects)
    assert objects[0]["format"] == "essence-recording" and objects[0]["version"] == 1
    assert [o["kind"] for o in objects[1:]] == [str(r.kind) for r in RECORDS]
    assert all(list(o)[:3] == ["t", "kind", "n"] for o in objects[1:])
    frame = objects[1]["faces"][0]
    assert len(frame["blendshapes"]) == len(BLENDSHAPE_NAMES) == 52
    assert len(frame["expression"]) == 7


def test_faces_and_commands_convert_both_ways() -> None:
    face = FaceObservation(bbox=(0.1, 0.2, 0.3, 0.4),
                           blendshapes={name: i / 52 for i, name in enumerate(BLENDSHAPE_NAMES)},
                           yaw=5.0, pitch=-2.0, roll=1.0, expression=(1.0,) + (0.0,) * 6)
    record = face_record(face)
    assert record.blendshapes[BLENDSHAPE_NAMES.index("jawOpen")] == pytest.approx(
        BLENDSHAPE_NAMES.index("jawOpen") / 52)
    back = observations_of(FrameRecord(1.5, 3, 7, 1.25, (record,)), "replay")
    assert back.faces == (face,) and back.timestamp == 1.5 and back.frame_index == 7
    assert isinstance(back, Observations)
    for command in (Go(), GotoCue("3.5"), Stop(), Blackout(True), SetChaosMode(on=True),
                    SetInput("tint", (0.5, 0.25, 1.0)), SetInput("speed", 0.3)):
        name, args = command_record(command)
        assert command_of(name, json.loads(json.dumps(args))) == command
    assert command_record(Go(press=4)) == ("go", {})  # a run's gate ticket is not kept
    with pytest.raises(ValueError, match="unknown command 'explode'"):
        command_of("explode", {})


@pytest.mark.parametrize(("line", "message"), [
    ('{"t": 1.0, "kind": "frame", "n": 0, "index": 0, "media_time": 0.0, "faces": '
     '[{"bbox": [0, 0, 1, 1], "yaw": 0, "pitch": 0, "roll": 0, "blendshapes": [0.5]}]}',
     "line 2: bad frame record (blendshapes must be a list of 52 numbers)"),
    ('{"t": 1.0, "kind": "sneeze", "n": 0}', "line 2: bad sneeze record"),
    ('{"t": 1.0, "kind": "cue", "n": 0, "act": 1, "cue": "1", "name": "x"}',
     "line 2: bad cue record (missing key 'by')"),
    ('{"t": "soon", "kind": "osc", "n": 0, "address": "/go", "sender": "h", "status": "ok"}',
     "line 2: bad osc record (t must be a number"),
    ('{"t": 1.0, "kind": "command", "n": 0, "command": "explode", "args": {}, '
     '"origin": "key"}', "line 2: bad command record (unknown command 'explode'"),
    ('[1, 2, 3]', "line 2: a record must be a JSON object"),
    ('{"t": 1.0, "kind": "cue", nope', "line 2: not JSON"),
])
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path: Path, line: str,
                                                      message: str) -> None:
    ok = encode(RECORDS[4])
    path = write(tmp_path / "bad.jsonl", [encode_header(HEADER), line, ok])
    with pytest.raises(InputError) as caught:
        read_recording(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def header_line(header: Header, **changes: object) -> str:
    """`header`'s line with top-level keys, or settings (`s_KEY`), changed."""
    obj = json.loads(encode_header(header))
    for key, value in changes.items():
        if key.startswith("s_"):
            obj["settings"][key[2:]] = value
        else:
            obj[key] = value
    return json.dumps(obj)


def _header(**changes: object) -> str:
    """HEADER's line with `changes` (`header_line`)."""
    return header_line(HEADER, **changes)


@pytest.mark.parametrize(("header", "message"), [
    ('{"format": "essence-recording", "version": 7}', "line 1: recording version 7"),
    (_header(version=True), "line 1: recording version True"),
    (_header(version="1"), "line 1: recording version '1'"),
    ('{"format": "essence-recording", "version": 1, "started": "x"}',
     "line 1: bad header (missing key 'source')"),
    (_header(s_reader="magic"),
     "line 1: settings.reader must be one of fused, blendshapes, network, got 'magic'"),
    (_header(s_max_faces=999), "line 1: settings.max_faces = 999 is outside [1, 64]"),
    (_header(s_smooth_time="fast"), "line 1: settings.smooth_time must be float, got 'fast'"),
    (_header(settings=[1]), "line 1: settings must be an object of settings, got [1]"),
    (_header(s_visual="essence_module"),
     "line 1: settings.visual 'essence_module' and cues 'cues/show.toml' exclude each other"),
    (_header(s_visual=3), "line 1: settings.visual must be a visual's name or null, got 3"),
    (_header(fps=0), "line 1: fps must be a frame rate above 0, got 0"),
    (_header(fps=-30), "line 1: fps must be a frame rate above 0, got -30"),
    (_header(fps="30"), "line 1: fps must be a frame rate above 0, got '30'"),
    (_header(stage=[0, -5]), "line 1: stage 0x-5 is outside 16..8192 pixels per side"),
    (_header(stage=[320]), "line 1: stage must be [width, height] in pixels, got [320]"),
    (_header(stage=[320.5, 180]), "line 1: stage must be [width, height] in pixels"),
    (_header(cues=None), "line 1: cues must be a string, got None"),
])
def test_a_bad_header_is_one_error_naming_file_line_and_key(tmp_path: Path, header: str,
                                                            message: str) -> None:
    """One check of the header (`validate_header`) for every reader of a recording: render
    --replay, rehearse --replay and report all read through `read_recording`."""
    path = write(tmp_path / "h.jsonl", [header, encode(RECORDS[6])])
    with pytest.raises(InputError) as caught:
        read_recording(path)
    assert not isinstance(caught.value, NotARecording)  # a recording, with a bad header
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_a_file_that_is_no_recording_is_told_apart(tmp_path: Path) -> None:
    """NotARecording (the report then tries it as neither): another format, text, empty."""
    for name, text in (("other.jsonl", '{"format": "something-else"}\n'),
                       ("notes.jsonl", "hello\n"), ("empty.jsonl", "")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(NotARecording):
            read_recording(path)
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(NotARecording, match="not UTF-8 text"):
        read_recording(binary)


def test_unknown_settings_of_a_newer_rig_are_kept_and_a_good_header_reads(
        tmp_path: Path) -> None:
    path = write(tmp_path / "ok.jsonl", [_header(s_future_knob=3, s_visual=None)])
    header = read_recording(path).header
    assert header.settings["future_knob"] == 3 and header.stage == (320, 180)
    assert header.fps == 30.0 and header.cues == "cues/show.toml"


def _state_at(t: float, n: int) -> str:
    return encode(dataclasses.replace(RECORDS[6], t=t, n=n))  # type: ignore[type-var]


@pytest.mark.parametrize(("lines", "message"), [
    ([_state_at(0.1, 1), _state_at(0.0, 0)],
     "line 3: state record of frame 0 after frame 1: the records run backwards"),
    ([_state_at(0.2, 1), _state_at(0.1, 2)],
     "line 3: state record: t 0.1 is before the previous state's 0.2 (line 2): the show "
     "clock never runs backwards"),
    ([_state_at(0.1, 1), _state_at(0.2, 1)],
     "line 3: state record: a second state of frame 1 (the first is line 2)"),
    ([_state_at(0.1, 3), encode(RECORDS[4])],  # the cue is of frame 2
     "line 3: cue record of frame 2 after frame 3"),
])
def test_records_that_run_backwards_are_refused_naming_the_line(
        tmp_path: Path, lines: list[str], message: str) -> None:
    path = write(tmp_path / "back.jsonl", [encode_header(HEADER), *lines])
    with pytest.raises(InputError) as caught:
        read_recording(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_a_camera_frame_taken_before_the_last_state_is_in_order(tmp_path: Path) -> None:
    """A frame record's t is its capture time, which may precede the previous frame's state
    (perception latency): only `n` and the states' show clock are ordered."""
    frame = dataclasses.replace(RECORDS[0], t=0.05, n=3)
    path = write(tmp_path / "late.jsonl", [encode_header(HEADER), _state_at(0.1, 2),
                                           encode(frame), _state_at(0.2, 3)])
    assert [s.n for s in read_recording(path).states] == [2, 3]


def test_a_folder_or_a_fifo_is_said_to_be_one_never_read(tmp_path: Path) -> None:
    folder = tmp_path / "takes"
    folder.mkdir()
    with pytest.raises(InputError, match=re.escape(f"{folder}: is a folder, not a regular file")):
        read_recording(folder)
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)  # nobody writes: reading it would block for ever
    with pytest.raises(InputError, match=re.escape(f"{fifo}: is a FIFO, not a regular file")):
        read_recording(fifo)


def test_empty_or_missing_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_recording(empty)
    with pytest.raises(InputError, match="no such recording"):
        read_recording(tmp_path / "missing.jsonl")


def test_a_cut_short_last_line_is_dropped_and_reported_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A crash mid-write leaves half a line at the end: everything before it is read."""
    full = encode(RECORDS[0])
    path = tmp_path / "crash.jsonl"
    path.write_text(encode_header(HEADER) + "\n" + encode(RECORDS[4]) + "\n" + full[:40])
    with caplog.at_level(logging.WARNING, logger="performance.recording.format"):
        rec = read_recording(path)
    assert rec.cues == [RECORDS[4]] and rec.frames == []
    assert len(rec.warnings) == 1 and "line 3 is cut short" in rec.warnings[0]
    assert len([r for r in caplog.records if "cut short" in r.getMessage()]) == 1
    # the same cut in the middle of the file is an error, not a crash to tolerate
    path.write_text(encode_header(HEADER) + "\n" + full[:40] + "\n" + encode(RECORDS[4]) + "\n")
    with pytest.raises(InputError, match="line 2: not JSON"):
        read_recording(path)


def test_kinds_are_an_enum_of_five() -> None:
    assert [str(k) for k in RecordKind] == ["frame", "command", "cue", "osc", "state"]


def test_a_performer_face_keeps_its_role_through_a_file(tmp_path: Path) -> None:
    """A replayed performer is still the performer (read apart from the crowd)."""
    from performance.core.types import FaceRole

    face = FaceObservation(bbox=(0.1, 0.2, 0.3, 0.4), blendshapes={}, role=FaceRole.PERFORMER)
    frame = FrameRecord(0.5, 1, 2, 0.5, (face_record(face),))
    path = write(tmp_path / "r.jsonl", [encode_header(HEADER), encode(frame)])
    assert json.loads(path.read_text().splitlines()[1])["faces"][0]["role"] == "performer"
    [back] = read_recording(path).frames
    assert observations_of(back, "replay").faces[0].role is FaceRole.PERFORMER
    line = path.read_text().splitlines()[1].replace(',"role":"performer"', "")
    path.write_text(encode_header(HEADER) + "\n" + line + "\n")  # a file from before roles
    assert read_recording(path).frames[0].faces[0].role is FaceRole.AUDIENCE
