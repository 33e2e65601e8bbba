"""The recording tap on a real sequencer (the Neo-Lumen show): the record key and
`/essence/record` start and stop it, commands carry their origin, cues say what fired them,
and the overlay line and OSC feedback say that it records."""

from __future__ import annotations

from pathlib import Path

import pytest

from performance.config import DEFAULT_CUES
from performance.control.addresses import resolve
from performance.control.feedback import STATUS_ADDRESSES, rig_status_from
from performance.core.mailbox import CommandQueue
from performance.core.types import RoomEmotion
from performance.operator.keys import KEYMAP, KeyAction, handle_keys
from performance.recording.format import read_recording
from performance.recording.records import FiredBy, Header, Origin
from performance.recording.tap import RecordingTap
from performance.runtime.assemble import load_show
from performance.show.autogo import AutoGo
from performance.show.commands import Command, Go, SetChaosMode, SetRecording
from performance.show.sequencer import Sequencer

HEADER = Header(started="now", source="test", cues=str(DEFAULT_CUES), settings={},
                stage=(64, 36), fps=10.0)


def frame_loop(tap: RecordingTap, show: object, commands: object, keys: list[list[str]],
               *, dt: float = 0.1, frames: int | None = None) -> None:
    """What the main loop does each frame: keys -> drain -> apply, then tick (ends it)."""
    emotion = RoomEmotion(timestamp=0.0)
    for n in range(frames or len(keys)):
        now = n * dt
        handle_keys(keys[n] if n < len(keys) else [], commands, None)  # type: ignore[arg-type]
        for command in commands.drain():  # type: ignore[attr-defined]
            show.apply(command, now)  # type: ignore[attr-defined]
        show.tick(now, emotion)  # type: ignore[attr-defined]


def test_the_record_key_starts_and_stops_a_recording(tmp_path: Path) -> None:
    lines: list[str] = []
    target = tmp_path / "take.jsonl"
    tap = RecordingTap(lambda: HEADER, path_for=lambda: target, announce=lines.append)
    queue: CommandQueue[Command] = CommandQueue()
    commands = tap.wrap_commands(queue)
    show = tap.wrap_show(Sequencer(load_show()))
    assert KEYMAP["f9"] is KeyAction.RECORD and not KeyAction.RECORD.local
    keys = [[], ["space"], ["f9"], [], ["space"], ["c"], [], ["f9"], ["space"], []]
    frame_loop(tap, show, commands, keys)
    assert not tap.recording
    tap.stop()  # the run's end: waits for the recording F9 stopped to be saved
    assert tap.saved == [target]
    assert lines[0] == f"essence: recording the tracking stream (numbers, no images) to {target}"
    assert lines[1] == f"essence: recording stopped, saved {target}"
    rec = read_recording(target)
    # frames 2..6 recorded (from the frame F9 was pressed in to the one before the next F9)
    assert [s.n for s in rec.states] == list(range(5))
    assert [(c.n, c.command, c.origin) for c in rec.commands] == [
        (2, "go", Origin.KEY), (3, "set_chaos_mode", Origin.KEY)]
    assert [(c.cue, c.by, c.n) for c in rec.cues] == [("1", FiredBy.GO, 2)]
    assert [c.command for c in rec.commands if c.command == "set_recording"] == []


def test_osc_commands_are_marked_osc_and_the_switch_resolves(tmp_path: Path) -> None:
    tap = RecordingTap(lambda: HEADER, path_for=lambda: tmp_path / "osc.jsonl",
                       announce=lambda line: None)
    queue: CommandQueue[Command] = CommandQueue()
    commands = tap.wrap_commands(queue)
    seq = Sequencer(load_show())
    show = tap.wrap_show(seq)
    on = resolve("/essence/record", (1,), "i").action
    off = resolve("/essence/record", (0,), "i").action
    assert on.command == SetRecording(True) and off.command == SetRecording(False)  # type: ignore[union-attr]
    queue.put(on.command)  # type: ignore[union-attr]  # as the OSC hub queues it
    queue.put(Go())
    frame_loop(tap, show, commands, [[]])
    assert tap.recording and tap.recording_line() == f"REC {tmp_path / 'osc.jsonl'}"
    receipts = seq.take_receipts()
    assert [(type(c).__name__, o.accepted) for c, o in receipts] == [
        ("SetRecording", True), ("Go", True)]  # the OSC sender gets "ok"
    status = rig_status_from(seq.status(), recording=tap.recording)
    assert status.recording and "/essence/status/recording" in STATUS_ADDRESSES
    queue.put(SetChaosMode(True))
    queue.put(off.command)  # type: ignore[union-attr]
    frame_loop(tap, show, commands, [[]])
    assert not tap.recording and tap.recording_line() is None
    tap.stop()  # the run's end: waits for it to be saved
    rec = read_recording(tmp_path / "osc.jsonl")
    assert [(c.command, c.origin) for c in rec.commands] == [
        ("go", Origin.OSC), ("set_chaos_mode", Origin.OSC)]


def test_the_record_key_stops_without_the_render_thread_waiting_for_the_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """F9 hands the saving (empty the queue, fsync, rename) to a thread of its own: a disk
    that takes 2 s a write holds the frame that pressed F9 for none of them."""
    import threading
    import time

    from performance.recording import recorder as recorder_module

    release = threading.Event()

    class SlowDisk:
        """A file whose writes wait until released (a disk that does not answer)."""

        def __init__(self, path: Path) -> None:
            self._fh = path.open("x", encoding="utf-8")

        def write(self, text: str) -> int:
            if "\"kind\"" in text:  # records (the header goes through at once)
                release.wait(10)
            return self._fh.write(text)

        def __getattr__(self, name: str) -> object:
            return getattr(self._fh, name)

    monkeypatch.setattr(recorder_module, "_open", SlowDisk)
    target = tmp_path / "slow.jsonl"
    tap = RecordingTap(lambda: HEADER, path_for=lambda: target, announce=lambda line: None)
    queue: CommandQueue[Command] = CommandQueue()
    commands = tap.wrap_commands(queue)
    show = tap.wrap_show(Sequencer(load_show()))
    tap.start()
    frame_loop(tap, show, commands, [[], []])
    started = time.monotonic()
    frame_loop(tap, show, commands, [["f9"]])  # the frame that stops it
    assert time.monotonic() - started < 0.5 and not tap.recording
    assert tap.results == []  # still being saved, on its own thread
    release.set()
    tap.stop()
    assert tap.saved == [target] and read_recording(target).states


def test_cues_say_what_fired_them(tmp_path: Path) -> None:
    """GO (also through a pre-wait), the previous cue's auto-continue, and AutoGo."""
    tap = RecordingTap(lambda: HEADER, path_for=lambda: tmp_path / "cues.jsonl",
                       announce=lambda line: None)
    queue: CommandQueue[Command] = CommandQueue()
    commands = tap.wrap_commands(queue)
    show = tap.wrap_show(AutoGo(Sequencer(load_show()), after=3.0))
    tap.start()
    keys = [[], ["space"], [], ["space"], [], ["space"]]
    frame_loop(tap, show, commands, keys, dt=0.5, frames=60)
    tap.stop()
    fired = [(c.cue, c.by) for c in read_recording(tmp_path / "cues.jsonl").cues]
    assert fired[:3] == [("0", FiredBy.GO), ("1", FiredBy.GO), ("1.5", FiredBy.GO)]
    assert ("2", FiredBy.FOLLOW) in fired  # 1.5 continues into 2 by itself
    assert FiredBy.AUTO in {by for _, by in fired}  # AutoGo pressed GO after 3 s of waiting


def test_a_recording_without_frames_cannot_be_replayed(tmp_path: Path) -> None:
    from performance.core.errors import InputError
    from performance.recording.format import encode_header
    from performance.recording.replay import ReplayCursor

    path = tmp_path / "empty.jsonl"
    path.write_text(encode_header(HEADER) + "\n")
    with pytest.raises(InputError, match="no frames to replay"):
        ReplayCursor(read_recording(path))


def test_the_operator_overlay_says_where_the_recording_goes(tmp_path: Path) -> None:
    from performance.core.status import InputState, InputStatus
    from performance.operator.info import OperatorInfo
    from performance.operator.preview import OperatorView
    from performance.show.frame import Layer, ShowFrame

    target = tmp_path / "overlay.jsonl"
    tap = RecordingTap(lambda: HEADER, path_for=lambda: target, announce=lambda line: None)
    view = OperatorView(operator=True, camera_live=lambda: False,
                        recording=tap.recording_line)
    info = OperatorInfo(now=1.0, frame=1, show=ShowFrame(time=1.0, current=Layer("enclave")),
                        emotion=RoomEmotion(timestamp=1.0),
                        input_status=InputStatus(InputState.SCRIPTED), messages=(),
                        stats=None, observations=None)
    assert not any("REC" in text for text, _ in view.status_lines(info))
    tap.start()
    assert any(text == f"REC {target}" for text, _ in view.status_lines(info))
    tap.stop()
    assert not any("REC" in text for text, _ in view.status_lines(info))


def test_a_show_with_no_recording_tap_refuses_the_record_command() -> None:
    """The kiosk has no tap: `/essence/record` is answered with the reason, never `ok`."""
    from performance.show.seqoptions import NO_RECORDING

    seq = Sequencer(load_show())
    outcome = seq.apply(SetRecording(True), 0.0)
    assert not outcome.accepted and outcome.reason == NO_RECORDING
    RecordingTap(lambda: HEADER).wrap_show(AutoGo(seq, 5.0))  # a tap in front, via AutoGo
    assert seq.apply(SetRecording(True), 0.1).accepted


def test_under_the_autopilot_the_tap_answers_the_record_command_itself(tmp_path: Path) -> None:
    """The autopilot keeps no receipts (every other command is refused 'no cue list'):
    the record command is answered `ok` from the tap, once, and recording did start."""
    from performance.show.autopilot import Autopilot

    tap = RecordingTap(lambda: HEADER, path_for=lambda: tmp_path / "auto.jsonl")
    show = tap.wrap_show(Autopilot())
    command = SetRecording(True)
    assert show.apply(command, 0.0).accepted  # type: ignore[union-attr]
    assert tap.recording
    [(taken, outcome)] = tap.take_receipts()
    assert taken is command and outcome.accepted and tap.take_receipts() == []
    tap.stop()


def test_a_recording_started_by_the_record_key_on_a_full_disk_keeps_the_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """F9 or `/essence/record` (the tap picks the recorder): the same rule as `essence
    record`: the older file of that name is left as it was, the line says nothing was saved."""
    from performance.recording import recorder as recorder_module
    from tests.unit.test_recording_recorder import full_disk

    target = tmp_path / "take.jsonl"
    target.write_text("an older take\n", encoding="utf-8")
    monkeypatch.setattr(recorder_module, "_open", full_disk(0))  # the disk is full
    lines: list[str] = []
    tap = RecordingTap(lambda: HEADER, path_for=lambda: target, announce=lines.append)
    queue: CommandQueue[Command] = CommandQueue()
    frame_loop(tap, tap.wrap_show(Sequencer(load_show())), tap.wrap_commands(queue),
               [["f9"], [], [], [], ["f9"]])
    tap.stop()  # the run's end: waits for the recording F9 stopped
    assert target.read_text(encoding="utf-8") == "an older take\n"
    assert lines[1] == (f"essence: {target}: cannot be written (No space left on device); "
                        "nothing was saved; the old file is left as it was")
    assert [r.complete for r in tap.results] == [False] and tap.saved == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.jsonl"]
