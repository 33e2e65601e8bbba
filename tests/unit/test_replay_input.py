"""Bad recordings given to the three commands that read one (`render --replay`, `rehearse
--replay`, `report`): the same one-line error from each, naming the file, the line and the
key (one header check, `recording.header.validate_header`), exit 2, never a traceback and
never a page or a video. Real files, the real `essence` entry point; every error comes
before a window, a GL context or a face model is opened."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from performance.cli import main
from performance.config import DEFAULT_CUES
from performance.core.types import EMOTIONS
from performance.recording.format import encode
from performance.recording.records import Header, StateRecord
from tests.unit.test_recording_format import header_line

HEADER = Header(started="2026-12-02T12:00:00+00:00", source="clip.mp4", cues=str(DEFAULT_CUES),
                settings={"reader": "fused", "max_faces": 8, "visual": None}, stage=(160, 90),
                fps=10.0)


def _state(n: int, t: float) -> str:
    return encode(StateRecord(t=t, n=n, act=0, cue=None, phase="running", faces=0,
                              valence=0.0, arousal=0.0, chaos=0.0,
                              emotions=(1.0,) + (0.0,) * (len(EMOTIONS) - 1), master=1.0,
                              visual="enclave", mix=1.0, chaos_mode=False))


def recording(path: Path, *, times: list[float] | None = None, **header: object) -> Path:
    """A small real recording: HEADER with `header`'s keys changed (`s_KEY`: a setting),
    then one state per frame at `times`."""
    times = [n / 10 for n in range(10)] if times is None else times
    lines = [header_line(HEADER, **header), *(_state(n, t) for n, t in enumerate(times))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def commands(path: Path, tmp_path: Path) -> dict[str, list[str]]:
    return {
        "render": ["render", "--replay", str(path), "--out", str(tmp_path / "out.mp4"),
                   "--no-progress", "--no-sound"],
        "rehearse": ["rehearse", "--replay", str(path), "--headless", "--osc-port", "0",
                     "--no-sound"],
        "report": ["report", str(path), "--out", str(tmp_path / "out.html"), "--no-progress"],
    }


def the_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    mine = [line for line in err.splitlines() if line.startswith("essence: ")]
    assert len(mine) == 1, err
    return mine[0]


BAD_HEADERS: list[tuple[dict[str, object], str]] = [
    ({"s_reader": "magic"},
     "line 1: settings.reader must be one of fused, blendshapes, network, got 'magic'"),
    ({"fps": 0}, "line 1: fps must be a frame rate above 0, got 0"),
    ({"stage": [0, -5]}, "line 1: stage 0x-5 is outside 16..8192 pixels per side"),
    ({"s_visual": "enclave"}, "line 1: settings.visual 'enclave' and cues"),
    ({"s_max_faces": 999}, "line 1: settings.max_faces = 999 is outside [1, 64]"),
    ({"version": 99}, "line 1: recording version 99; this rig reads version 1"),
]


@pytest.mark.parametrize("command", ["render", "rehearse", "report"])
@pytest.mark.parametrize(("header", "message"), BAD_HEADERS)
def test_a_bad_header_is_the_same_error_from_every_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str,
        header: dict[str, object], message: str) -> None:
    path = recording(tmp_path / "take.jsonl", **header)
    line = the_error(commands(path, tmp_path)[command], capsys)
    assert line.startswith(f"essence: {path}: {message}"), line
    assert "--size" not in line and "--visual" not in line  # options nobody gave
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "out.html").exists()


@pytest.mark.parametrize("command", ["render", "rehearse", "report"])
@pytest.mark.parametrize(("times", "message"), [
    ([0.9, 0.8, 0.7], "line 3: state record: t 0.8 is before the previous state's 0.9 "
                      "(line 2): the show clock never runs backwards"),
])
def test_a_recording_that_runs_backwards_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str,
        times: list[float], message: str) -> None:
    path = recording(tmp_path / "back.jsonl", times=times)
    assert the_error(commands(path, tmp_path)[command], capsys) == f"essence: {path}: {message}"


@pytest.mark.parametrize("command", ["render", "rehearse", "report"])
def test_a_folder_or_a_fifo_is_said_to_be_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    folder = tmp_path / "takes"
    folder.mkdir()
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)  # nobody writes to it: a read would block for ever
    assert the_error(commands(folder, tmp_path)[command], capsys) == \
        f"essence: {folder}: is a folder, not a regular file"
    assert the_error(commands(fifo, tmp_path)[command], capsys) == \
        f"essence: {fifo}: is a FIFO, not a regular file"
    missing = tmp_path / "gone.jsonl"
    assert "no such" in the_error(commands(missing, tmp_path)[command], capsys)


def test_report_with_a_broken_show_file_fails_with_its_own_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = recording(tmp_path / "take.jsonl")
    broken = tmp_path / "broken.toml"
    broken.write_text('[show]\nname = "x"\n\n[[act]]\nname = "one\n', encoding="utf-8")
    out = tmp_path / "r.html"
    line = the_error(["report", str(path), "--cues", str(broken), "--out", str(out),
                      "--contact-frames", "0"], capsys)
    assert line.startswith(f"essence: {broken}:5: not valid TOML"), line
    assert not out.exists()


def test_report_of_a_recording_says_a_given_show_file_is_not_the_one_replayed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    path = recording(tmp_path / "take.jsonl", cues="")
    out = tmp_path / "r.html"
    assert main(["report", str(path), "--cues", str(DEFAULT_CUES), "--out", str(out),
                 "--contact-frames", "0"]) == 0
    assert out.is_file()
    said = [r.getMessage() for r in caplog.records if "replays the show file" in r.getMessage()]
    assert said == [f"{path}: a recording replays the show file it recorded (the autopilot), "
                    f"not {DEFAULT_CUES}"]


@pytest.mark.parametrize("command", ["render", "rehearse"])
@pytest.mark.parametrize("option", [["--cues", str(DEFAULT_CUES)], ["--visual", "enclave"]])
def test_a_show_option_with_a_replay_is_refused_not_ignored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str,
        option: list[str]) -> None:
    path = recording(tmp_path / "take.jsonl")
    line = the_error([*commands(path, tmp_path)[command], *option], capsys)
    assert line == (f"essence: {option[0]}: a replay plays the show it recorded (its cues and "
                    "visual); leave this option out with --replay")
