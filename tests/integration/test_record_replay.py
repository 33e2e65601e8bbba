"""Record a real rehearsal (a real clip through the real face model, the Neo-Lumen cue list,
GO presses and a parameter set, headless GL), then replay it: the show states are the same,
frame by frame, as recorded and between replays (the offline path, `render --replay` to a
video, and a live `rehearse --replay`). The recording holds numbers only, and nothing but the
file asked for is written while recording."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from performance.config import DEFAULT_CUES, Settings
from performance.core.mailbox import CommandQueue
from performance.recording.format import read_recording
from performance.recording.records import FiredBy, Origin, Recording
from performance.recording.tap import TappedCommands
from performance.runtime.live import LiveOptions, run_live, run_show
from performance.runtime.recorded import make_tap, render_replay, replay_offline
from performance.show.commands import Command, SetInput
from tests.integration.conftest import small_tmpfs

pytestmark = [pytest.mark.integration, pytest.mark.gl]

ROOT = Path(__file__).resolve().parents[2]
FRAMES = 150
GO_AT = (3, 20, 60)  # cue 0 (house dark), cue 1 (the gates), cue 1.5 (pre-wait 1 s)
SET_AT = 40


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, testdata: Path,
             face_model: Path) -> tuple[Recording, Settings, set[Path]]:
    home = tmp_path_factory.mktemp("home")
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    cwd = Path.cwd()
    os.chdir(home)
    out = home / "takes" / "rehearsal.jsonl"
    settings = Settings(face_model=str(face_model), cues=str(DEFAULT_CUES), sound=False,
                        osc_port=0, osc_tcp_port=0)
    try:
        before = files_under(home)
        clip = str(testdata / "single_face.mp4")
        size, fps = (160, 90), 30.0
        tap = make_tap(clip, settings, stage=size, fps=fps, announce=lambda line: None)
        queue: CommandQueue[Command] = CommandQueue()
        console = TappedCommands(queue, tap, origin=Origin.CONSOLE)
        frame = [0]

        def events() -> list[str]:  # the operator's keys, frame by frame
            n, frame[0] = frame[0], frame[0] + 1
            if n == SET_AT:
                console.put(SetInput("grain", 0.9))
            return ["space"] if n in GO_AT else []

        report = run_live(LiveOptions(input=clip, loop_video=True, headless=True, size=size,
                                      fps=fps, max_frames=FRAMES, record=str(out)),
                          settings, commands=console, events=events, tap=tap)
        written = files_under(home) - before
    finally:
        os.chdir(cwd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert report.frames == FRAMES and report.max_faces >= 1
    return read_recording(out), settings, written


def test_the_recording_holds_the_rehearsal(recorded: tuple[Recording, Settings,
                                                          set[Path]]) -> None:
    rec, settings, _ = recorded
    assert rec.header.cues == str(DEFAULT_CUES) and rec.header.stage == (160, 90)
    assert rec.header.settings["reader"] == settings.reader
    assert [s.n for s in rec.states] == list(range(FRAMES))
    assert all(b.t > a.t for a, b in zip(rec.states, rec.states[1:], strict=False))
    faces = [f for f in rec.frames if f.faces]
    assert len(faces) >= 10, "the face model saw the face in the clip"
    assert all(len(face.blendshapes) == 52 for f in faces for face in f.faces)
    assert any(face.expression is not None for f in faces for face in f.faces)
    gos = [c for c in rec.commands if c.command == "go"]
    assert [c.n for c in gos] == list(GO_AT) and {c.origin for c in gos} == {Origin.KEY}
    assert all(c.accepted for c in gos)
    sets = [c for c in rec.commands if c.command == "set_input"]
    assert [(c.n, c.origin, c.args, c.accepted) for c in sets] == [
        (SET_AT, Origin.CONSOLE, {"name": "grain", "value": 0.9}, True)]
    fired = [(c.cue, c.by) for c in rec.cues]
    assert fired[:3] == [("0", FiredBy.GO), ("1", FiredBy.GO), ("1.5", FiredBy.GO)]
    assert [c.n for c in rec.cues[:2]] == [GO_AT[0], GO_AT[1]]
    assert rec.cues[2].n > GO_AT[2]  # after its pre-wait
    assert any(s.inputs.get("grain") == 0.9 for s in rec.states)
    assert any(s.faces >= 1 for s in rec.states) and max(s.act for s in rec.states) == 1


def test_privacy_numbers_only_and_no_other_file(recorded: tuple[Recording, Settings,
                                                               set[Path]]) -> None:
    rec, _, written = recorded
    home = rec.path.parents[1]
    # the libraries' own caches (compiled GL shaders, matplotlib's font list, pulled in by
    # MediaPipe) are written on first use whether or not the show records; nothing else is
    library_caches = (home / "cache" / "mesa_shader_cache", home / "cache" / "matplotlib")
    others = {p for p in written if not any(p.is_relative_to(c) for c in library_caches)}
    assert others == {rec.path}, f"files written while recording: {sorted(others)}"

    def check(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                check(v)
        elif isinstance(value, list):
            for v in value:
                check(v)
        else:  # numbers, booleans, nulls and short names: never an image or bytes
            assert value is None or isinstance(value, int | float | bool) \
                or (isinstance(value, str) and len(value) < 200), repr(value)[:80]

    for line in rec.path.read_text().splitlines():
        check(json.loads(line))


def test_replays_give_the_same_states_frame_by_frame(
        recorded: tuple[Recording, Settings, set[Path]], tmp_path: Path) -> None:
    rec, settings, _ = recorded
    first = replay_offline(rec, settings)
    assert first == rec.states
    video = render_replay(rec, tmp_path / "replay.mp4", settings, contact_frames=4)
    assert video.states == rec.states == first
    assert video.report.frames == FRAMES and (tmp_path / "replay.mp4").stat().st_size > 1000
    assert (tmp_path / "replay.contact.png").is_file()


def test_a_live_rehearse_replay_shows_the_same_states(
        recorded: tuple[Recording, Settings, set[Path]], tmp_path: Path) -> None:
    """`essence rehearse --replay`: the live loop on the recording's clock, recording
    itself again; that second recording's states are the first one's."""
    rec, settings, _ = recorded
    again = tmp_path / "again.jsonl"
    report, _ = run_show(LiveOptions(replay=str(rec.path), record=str(again), headless=True,
                                     size=(160, 90), operator=True), settings)
    assert report.frames == FRAMES
    assert read_recording(again).states == rec.states


def test_the_commands_end_to_end(recorded: tuple[Recording, Settings, set[Path]],
                                 tmp_path: Path) -> None:
    """`essence record` and `essence render --replay` as a person types them."""
    _, settings, _ = recorded
    env = dict(os.environ, PYTHONPATH=str(ROOT), ESSENCE_FACE_MODEL=settings.face_model)
    take = tmp_path / "take.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "performance", "record", "scripted", "--out", str(take),
         "--headless", "--seconds", "1.5", "--size", "160x90", "--osc-port", "0",
         "--no-sound", "--cues", str(DEFAULT_CUES), "--auto-go", "0.3"],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert f"recording the tracking stream (numbers, no images) to {take}" in done.stdout
    assert f"saved {take}" in done.stdout
    taken = read_recording(take)
    assert taken.cues and taken.cues[0].by is FiredBy.AUTO
    video = tmp_path / "take.mp4"
    done = subprocess.run(
        [sys.executable, "-m", "performance", "render", "--replay", str(take), "--out",
         str(video), "--no-progress", "--no-sound", "--contact-frames", "0"],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert f"replayed {len(taken.states)} frames of {take}" in done.stdout
    assert video.stat().st_size > 1000
    bad = tmp_path / "bad.jsonl"
    bad.write_text(take.read_text().splitlines()[0] + "\n{oops\n" + "{}\n")
    done = subprocess.run(
        [sys.executable, "-m", "performance", "render", "--replay", str(bad), "--out",
         str(tmp_path / "bad.mp4")], capture_output=True, text=True, timeout=60, env=env,
        cwd=ROOT)
    assert done.returncode == 2 and f"{bad}: line 2: not JSON" in done.stderr
    assert "Traceback" not in done.stderr


def test_osc_records_stops_and_reports_the_recording(tmp_path: Path) -> None:
    """A real OSC control process: its messages become `osc` records (host, never port), its
    GO a `command` record from `osc`, `/essence/status/recording` follows, and
    `/essence/record 0` stops the recording while the show goes on."""
    import socket
    import threading
    import time

    from performance.control.wire import build_message, parse_packet

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(cues=str(DEFAULT_CUES), sound=False, osc_port=port, osc_tcp_port=0,
                        osc_reply_port=0)
    out = tmp_path / "osc.jsonl"
    seen: list[tuple[str, list[Any]]] = []

    def operator() -> None:  # a tablet: subscribe, GO, a heartbeat, then stop recording
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.05)

            def listen(seconds: float) -> None:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    try:
                        data, _ = s.recvfrom(65536)
                    except TimeoutError:
                        continue
                    seen.extend((m.address, list(m.args)) for m in parse_packet(data))

            time.sleep(1.5)  # the OSC child starts
            for address, args in (("/updates", [1]), ("/go", []), ("/thump", [])):
                s.sendto(build_message(address, args), ("127.0.0.1", port))
                listen(0.3)
            s.sendto(build_message("/essence/record", [0]), ("127.0.0.1", port))
            listen(0.8)

    sender = threading.Thread(target=operator)
    sender.start()
    report, _ = run_show(LiveOptions(input="scripted", headless=True, size=(64, 36), fps=30,
                                     seconds=4.0, record=str(out)), settings)
    sender.join()
    rec = read_recording(out)
    assert [(o.address, o.sender, o.status) for o in rec.osc][:3] == [
        ("/updates", "127.0.0.1", "ok"), ("/go", "127.0.0.1", "none"),
        ("/thump", "127.0.0.1", "ok")]
    assert [(c.command, c.origin, c.accepted) for c in rec.commands] == [("go", Origin.OSC,
                                                                          True)]
    assert rec.cues[0].by is FiredBy.GO
    assert len(rec.states) < report.frames  # /essence/record 0 stopped it, not the show
    status = [args for address, args in seen if address == "/essence/status/recording"]
    assert status[:1] == [[1]] and status[-1] == [0]
    assert ("/reply/essence/record", ) in {(a,) for a, _ in seen}


# -- a full disk while recording ----------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, bool]]:
    """A folder on a 1 MB tmpfs (when we may mount one, as root and CI may), else a plain
    folder whose writer gets a per-file size limit (RLIMIT_FSIZE: each write past it fails
    with EFBIG where a full disk gives ENOSPC, at the same place in the code under test)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    with small_tmpfs(folder, "1m") as mounted:
        yield folder, mounted


@pytest.mark.parametrize("room", [0, 6000], ids=["full", "fills-mid-recording"])
def test_record_on_a_full_disk_keeps_the_old_recording_and_exits_2(
        small_disk: tuple[Path, bool], room: int) -> None:
    """`essence record --out keep.jsonl` over a good recording on a disk with `room` bytes
    left: the good one keeps its bytes, what could be written stays readable in
    keep.incomplete.jsonl (none of it when nothing fit), one line says so, exit 2."""
    import resource

    folder, mounted = small_disk
    keep = folder / "keep.jsonl"
    good = (json.dumps({"format": "essence-recording", "version": 1, "started": "x",
                        "source": "scripted", "cues": "", "settings": {}, "stage": [64, 36],
                        "fps": 20.0}) + "\n").encode()
    keep.write_bytes(good)
    limit: int | None = None
    if mounted:
        free = os.statvfs(folder)
        (folder / "fill").write_bytes(b"\0" * max(free.f_bavail * free.f_frsize - room, 0))
    else:
        limit = max(room, 64)

    def preexec() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1",
               MESA_SHADER_CACHE_DISABLE="true")
    done = subprocess.run(
        [sys.executable, "-m", "performance", "record", "scripted", "--out", str(keep),
         "--headless", "--seconds", "2", "--size", "64x36", "--fps", "20", "--osc-port", "0",
         "--no-sound"], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
        preexec_fn=preexec)
    assert "Traceback" not in done.stderr
    assert done.returncode == 2, (done.stdout, done.stderr)
    mine = [line for line in done.stderr.splitlines() if line.startswith("essence: ")]
    assert len(mine) == 1 and mine[0].startswith(f"essence: {keep}: cannot be written ("), mine
    assert mine[0].endswith("; the old file is left as it was")
    assert f"saved {keep}" not in done.stdout
    assert keep.read_bytes() == good
    part = folder / "keep.incomplete.jsonl"
    left = sorted(p.name for p in folder.iterdir() if p.name != "fill")
    if room == 0:
        assert "nothing was saved" in mine[0] and left == ["keep.jsonl"]
    else:
        assert f"records written before are in {part}" in mine[0]
        assert left == ["keep.incomplete.jsonl", "keep.jsonl"]
        assert read_recording(part).states  # the part written is a readable recording
