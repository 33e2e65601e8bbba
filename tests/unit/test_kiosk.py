"""The kiosk's parts without a window: opening hours, the crash ledger, the resume point,
the KioskShow's modes, saving off the render thread, the log rate limit, one instance."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from performance.core.clock import ManualClock
from performance.core.errors import ConfigError, EssenceError
from performance.core.types import CrowdReading, RoomEmotion
from performance.kiosk.crashes import Start, judge, ledger_text, read_starts
from performance.kiosk.health import Health, format_health, read_health
from performance.kiosk.hours import parse_hours
from performance.kiosk.lock import single_instance
from performance.kiosk.logs import RateLimit
from performance.kiosk.resume import ResumePoint, load_resume
from performance.kiosk.show import KioskMode, KioskShow, KioskShowOptions
from performance.kiosk.state import StatePaths
from performance.kiosk.writer import StateWriter
from performance.runtime.assemble import load_show
from performance.show.autogo import AutoGo
from performance.show.frame import ShowStatus
from performance.show.sequencer import Sequencer
from performance.show.status import SequencerPhase

MONDAY = datetime(2026, 11, 30, 12, 0)  # a Monday


# -- opening hours -------------------------------------------------------------------------

def test_hours_every_day_weekdays_and_past_midnight() -> None:
    daily = parse_hours("10:00-18:00")
    assert daily.is_open(MONDAY) and not daily.is_open(MONDAY.replace(hour=18))
    assert daily.is_open(MONDAY.replace(hour=10)) and not daily.is_open(MONDAY.replace(hour=9))
    week = parse_hours("mon-fri 10:00-18:00; sat,sun 11:00-13:00, 14:00-16:00")
    saturday = MONDAY + timedelta(days=5)
    assert week.is_open(MONDAY) and week.is_open(saturday)
    assert not week.is_open(saturday.replace(hour=13, minute=30))  # the gap
    assert week.is_open(saturday.replace(hour=11)) and week.is_open(saturday.replace(hour=15))
    late = parse_hours("fri 20:00-02:00")
    friday = MONDAY + timedelta(days=4)
    assert late.is_open(friday.replace(hour=23)) and late.is_open(
        (friday + timedelta(days=1)).replace(hour=1, minute=59))
    assert not late.is_open((friday + timedelta(days=1)).replace(hour=2))
    assert not late.is_open(MONDAY.replace(hour=1))  # Sunday night is not Friday night
    assert parse_hours("").is_open(MONDAY.replace(hour=3))
    assert daily.next_change(MONDAY) == MONDAY.replace(hour=18)


@pytest.mark.parametrize("text", ["10-18", "mon-xyz 10:00-18:00", "25:00-26:00",
                                  "10:00-10:00", "mon"])
def test_bad_hours_name_the_setting(text: str) -> None:
    with pytest.raises(ConfigError, match="opening_hours"):
        parse_hours(text)


# -- the crash ledger ----------------------------------------------------------------------

def test_unclean_starts_within_the_window_mean_safe_mode(tmp_path: Path) -> None:
    now = 10_000.0
    starts = [Start(now - 900), Start(now - 300), Start(now - 200, clean=True),
              Start(now - 100), Start(now - 50)]
    assert judge(starts, now, limit=4, window=600).safe is False  # 900 s ago is outside
    starts.append(Start(now - 10))
    verdict = judge(starts, now, limit=4, window=600)
    assert verdict.safe and verdict.crashes == 4 and "4 crashes in 10 min" in verdict.reason
    assert not judge(starts, now, limit=0, window=600).safe  # 0: never
    path = tmp_path / "starts.json"
    path.write_text(ledger_text(starts))
    assert read_starts(path) == starts
    path.write_text("{not json")
    assert read_starts(path) == []  # unreadable: no crashes counted, no traceback


# -- the resume point ----------------------------------------------------------------------

def test_the_resume_point_round_trips_and_ignores_other_shows(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture
                                                              ) -> None:
    show = tmp_path / "show.toml"
    show.write_text("")
    point = ResumePoint(show=str(show.resolve()), cue_id="3", act=2, cue_name="Gates")
    path = tmp_path / "resume.json"
    path.write_text(point.to_json())
    assert load_resume(path, show) == point
    assert load_resume(path, tmp_path / "other.toml") is None
    assert load_resume(tmp_path / "missing.json", show) is None
    path.write_text('{"show": 1}')
    with caplog.at_level(logging.WARNING):
        assert load_resume(path, show) is None
    assert "resume point unreadable" in caplog.text and str(path) in caplog.text


# -- the kiosk show ------------------------------------------------------------------------

def room(faces: float) -> RoomEmotion:
    return RoomEmotion(timestamp=0.0, crowd=CrowdReading(face_count=faces))


def test_attract_after_an_empty_room_and_back_when_someone_comes() -> None:
    clock = ManualClock()
    fired: list[str] = []
    seq = Sequencer(load_show())
    show = KioskShow(AutoGo(seq, 1.0), KioskShowOptions(attract_after=10.0, fade=2.0),
                     hours=parse_hours(""), wall=lambda: MONDAY, sequencer=seq,
                     on_cue=lambda f: fired.append(str(f.cue_id)))
    frame = show.tick(clock.now(), room(0))
    while clock.now() < 9.5:
        frame = show.tick(clock.advance(0.1), room(0))
    assert show.mode is KioskMode.SHOW
    assert fired and fired[0] == seq.cues.cues[0].id  # each cue change is handed on
    while clock.now() < 11.0:
        frame = show.tick(clock.advance(0.1), room(0))
    assert show.mode is KioskMode.ATTRACT and frame.current.visual == "essence_module"
    assert 0.0 < frame.mix < 1.0 and frame.previous is not None  # fading in
    while clock.now() < 13.0:
        frame = show.tick(clock.advance(0.1), room(0))
    assert frame.mix == 1.0 and frame.previous is None
    frame = show.tick(clock.advance(0.1), room(2))
    assert show.mode is KioskMode.SHOW and frame.mix < 1.0  # fading back to the story
    for _ in range(25):
        frame = show.tick(clock.advance(0.1), room(2))
    assert frame.current == seq.tick(clock.now(), room(2)).current  # the story's own picture


def test_closed_hours_pause_the_story_fade_out_and_silence_it() -> None:
    clock = ManualClock()
    wall = [MONDAY.replace(hour=17, minute=59)]
    seq = Sequencer(load_show())
    show = KioskShow(AutoGo(seq, 0.5), KioskShowOptions(attract_after=0.0, fade=1.0),
                     hours=parse_hours("10:00-18:00"), wall=lambda: wall[0], sequencer=seq)
    for _ in range(30):
        frame = show.tick(clock.advance(0.1), room(1))
    assert show.mode is KioskMode.SHOW and frame.master > 0.9 and frame.sound.enabled
    wall[0] = MONDAY.replace(hour=18)
    frame = show.tick(clock.advance(0.1), room(1))
    assert show.mode is KioskMode.CLOSED and seq.status().phase is SequencerPhase.PAUSED
    for _ in range(12):
        frame = show.tick(clock.advance(0.1), room(1))
    assert frame.master == 0.0 and not frame.sound.enabled
    cue_at_night = seq.status().cue_id
    for _ in range(600):  # a minute of night: nothing fires
        show.tick(clock.advance(0.1), room(1))
    assert seq.status().cue_id == cue_at_night
    wall[0] = MONDAY.replace(hour=10) + timedelta(days=1)
    frame = show.tick(clock.advance(0.1), room(1))
    assert show.mode is KioskMode.SHOW and frame.status is not ShowStatus.PAUSED
    for _ in range(12):
        frame = show.tick(clock.advance(0.1), room(1))
    assert frame.master > 0.9 and frame.sound.enabled


def test_safe_mode_holds_the_safe_visual_silent_and_fires_nothing() -> None:
    seq = Sequencer(load_show())
    show = KioskShow(AutoGo(seq, 0.1), KioskShowOptions(safe_visual="fallback"),
                     hours=parse_hours(""), wall=lambda: MONDAY, sequencer=seq, safe=True)
    for i in range(50):
        frame = show.tick(i * 0.1, room(3))
    assert frame.current.visual == "fallback" and not frame.sound.enabled
    assert show.mode is KioskMode.SAFE and seq.status().cue_id is None


# -- saving off the render thread ----------------------------------------------------------

def test_the_writer_keeps_the_last_good_file_when_the_disk_refuses(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "blocked"  # a file where the folder should be (root writes anywhere)
    target = tmp_path / "state" / "resume.json"
    writer = StateWriter()
    try:
        writer.submit(target, "good\n")
        assert writer.flush() and target.read_text() == "good\n"
        blocked.write_text("")  # a file where a folder should be: every save fails
        bad = blocked / "resume.json"
        with caplog.at_level(logging.ERROR):
            for n in range(5):
                writer.submit(bad, f"{n}\n")
                writer.flush()
        assert writer.failing(bad) is not None and writer.failed >= 1
        assert caplog.text.count("cannot save") == 1  # logged once, not five times
        for n in range(50):  # newest wins: the last one is what lands
            writer.submit(target, f"v{n}\n")
        assert writer.flush() and target.read_text() == "v49\n"
        assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    finally:
        writer.close()


# -- logs ----------------------------------------------------------------------------------

def test_a_fault_repeating_every_frame_writes_one_line_a_second() -> None:
    t = [0.0]
    limit = RateLimit(1.0, clock=lambda: t[0])
    logger = logging.getLogger("essence.test.rate")

    def record(msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
        return logger.makeRecord(logger.name, level, __file__, 1, msg, args, None)

    passed = []
    for frame in range(180):  # three seconds at 60 fps
        t[0] = frame / 60.0
        rec = record("draw failed (%s)", f"frame {frame}")
        if limit.filter(rec):
            passed.append(rec.getMessage())
    assert len(passed) == 3
    assert "59 more like this held back" in passed[1]
    cues = [record("cue %s fired", n, level=logging.INFO) for n in range(5)]
    assert all(limit.filter(r) for r in cues)  # different info lines all pass


# -- health and one instance ---------------------------------------------------------------

def test_health_file_reads_back_and_a_bad_one_is_one_line(tmp_path: Path) -> None:
    health = Health(updated="2026-12-01T10:00:00", pid=1, uptime_s=5.0, mode="show",
                    health="ok", cue_id="2", fps=59.9, restarts={"osc": 1})
    path = tmp_path / "health.json"
    path.write_text(health.to_json())
    data = read_health(path)
    assert data["fps"] == 59.9 and data["restarts"] == {"osc": 1}
    text = format_health(data, age_s=45.0)
    assert "STALE" in text and "restarts: osc 1" in text
    assert health.line() == "show | act 0 cue 2 | ok | 60 fps | faces 0"
    path.write_text("[1, 2")
    with pytest.raises(EssenceError, match=r"health\.json: unreadable"):
        read_health(path)
    with pytest.raises(EssenceError, match="no health report"):
        read_health(tmp_path / "none.json")
    good = json.loads(health.to_json())
    for change, message in (({"version": 7}, r"health\.json: health report version 7; this "
                                              r"rig reads version 1"),
                            ({"updated": None}, r"health\.json: not a health report \(no "
                                                r"'updated' text\)"),
                            ({"updated": "notadate"}, r"health\.json: updated: 'notadate' is "
                                                      r"not a date and time"),
                            ({"health": 3}, r"no 'health' text")):
        path.write_text(json.dumps({**good, **change}))
        with pytest.raises(EssenceError, match=message):
            read_health(path)


def test_a_second_kiosk_on_the_same_state_folder_is_refused(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path)
    with single_instance(paths), pytest.raises(
            EssenceError, match=rf"already runs .*pid {os.getpid()}"), single_instance(paths):
        pass
    with single_instance(paths):  # released: the next one gets in
        assert (tmp_path / "kiosk.lock").read_text().strip() == str(os.getpid())


@pytest.mark.parametrize("where", ["a file in its place", "under a file"])
def test_a_state_folder_that_cannot_be_used_is_one_line_naming_it(tmp_path: Path,
                                                                   where: str) -> None:
    """It was a traceback (FileExistsError, or a read-only file system) and no picture."""
    blocker = tmp_path / "state"
    blocker.write_text("not a folder\n")
    folder = blocker if where == "a file in its place" else blocker / "kiosk"
    with pytest.raises(EssenceError) as refused, single_instance(StatePaths(folder)):
        pass
    assert str(refused.value).startswith(f"{folder}: the kiosk's state folder cannot be "
                                         "used (")
    assert str(refused.value).endswith("set ESSENCE_STATE_DIR to a writable folder")
    assert blocker.read_text() == "not a folder\n"


def test_the_kiosk_keymap_drops_the_close_button_and_every_key_but_the_chord() -> None:
    from performance.config import Settings
    from performance.core.mailbox import CommandQueue
    from performance.kiosk.run import live_options
    from performance.operator.keys import KeyAction, handle_keys
    from performance.runtime.live import LiveOptions

    keymap = live_options(LiveOptions(), Settings(), safe=False).keymap
    assert keymap is not None
    queue: CommandQueue = CommandQueue()
    local = handle_keys(["quit", "space", "escape", "ctrl+q", "b", "f", "ctrl+shift+q"], queue,
                        None, keymap)
    assert local == [KeyAction.QUIT] and queue.drain() == []


def test_the_wall_clock_jumping_fires_no_cue_twice_and_skips_none() -> None:
    """The story runs on the show's monotonic clock; a wall clock jumping an hour forward
    and back (within the opening hours) changes nothing."""
    def walk(jumps: dict[int, timedelta]) -> list[str]:
        clock, wall = ManualClock(), [MONDAY]
        seq = Sequencer(load_show())
        fired: list[str] = []
        show = KioskShow(AutoGo(seq, 0.5), KioskShowOptions(attract_after=0.0),
                         hours=parse_hours("09:00-20:00"), wall=lambda: wall[0], sequencer=seq,
                         on_cue=lambda f: fired.append(str(f.cue_id)))
        for step in range(6000):  # ten minutes at 10 Hz
            wall[0] = wall[0] + timedelta(seconds=0.1) + jumps.get(step, timedelta())
            show.tick(clock.advance(0.1), room(2))
        return fired

    steady = walk({})
    jumped = walk({1000: timedelta(hours=1), 3000: timedelta(hours=-1)})
    assert len(steady) > 5 and jumped == steady


def test_a_log_that_cannot_be_written_never_stops_the_show(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    from performance.kiosk.logs import SafeRotatingHandler, install_kiosk_logging

    (tmp_path / "full").write_text("")  # a file where the log's folder should be
    root = logging.getLogger()
    before = list(root.handlers)
    raise_before = logging.raiseExceptions
    try:
        last = install_kiosk_logging(tmp_path / "full" / "essence.log")
        for n in range(100):
            logging.getLogger("essence.test.disk").error("frame %d failed", n)
        files = [h for h in root.handlers if isinstance(h, SafeRotatingHandler)]
        assert last.text.startswith("error: frame 0 failed")  # the health still hears it
    finally:
        for handler in root.handlers[len(before):]:
            root.removeHandler(handler)
        for handler in before:
            handler.filters.clear()
        logging.raiseExceptions = raise_before
    assert "Traceback" not in capsys.readouterr().err
    assert not files or getattr(files[0], "failures", 0) >= 1


def test_the_soak_slope_leaves_out_the_warm_up_and_reads_mb_per_hour() -> None:
    from performance.kiosk.soak import Sample, slope_mb_per_hour

    def at(t: float, rss: float) -> Sample:
        return Sample(t_s=t, rss_mb=rss, children_mb=0.0, fds=10, threads=5, frames=0,
                      frame_p99_ms=0.0, restarts=0, faults=0)

    warm = [at(60.0 * i, 100.0 + 50.0 * i) for i in range(3)]  # climbs while warming up
    steady = [at(60.0 * i, 250.0 + 0.01 * i) for i in range(3, 12)]  # 0.01 MB a minute
    assert abs(slope_mb_per_hour(warm + steady) - 0.6) < 1e-6
    assert slope_mb_per_hour(warm[:2]) == 0.0  # too few samples to say


def test_a_kiosk_with_a_cue_list_takes_osc_commands_and_is_no_autopilot() -> None:
    """The services see the sequencer through the kiosk's wrapper: `/essence/go` is
    answered ok and fires the next cue (it was answered `no cue list`, and no cue's OSC
    went out: the kiosk was taken for the autopilot)."""
    from performance.control.hub import ControlHub
    from performance.control.wire import build_message, parse_packet
    from performance.runtime.services import ShowServices
    from performance.show.autogo import sequencer_of

    clock = ManualClock()
    seq = Sequencer(load_show())
    show = KioskShow(AutoGo(seq, 3600.0), KioskShowOptions(attract_after=0.0),
                     hours=parse_hours(""), wall=lambda: MONDAY, sequencer=seq)
    assert sequencer_of(show) is seq
    hub = ControlHub(clock=clock)
    services = ShowServices(show=show, commands=hub, clock=clock, hub=hub)
    assert services.sequencer is seq
    sender = ("udp", "127.0.0.1", 40001)
    hub.handle_packet(build_message("/essence/go"), sender)
    for command in hub.drain():
        show.apply(command, clock.now())
    emotion = room(0)
    services.publish(show.tick(clock.advance(0.1), emotion), emotion)
    [(_, packet)] = hub.replies_due("udp")
    body = json.loads(str(parse_packet(packet)[0].args[0]))
    assert body["status"] == "ok", body
    assert seq.status().cue_id == seq.cues.cues[0].id


def test_the_unit_runs_the_kiosk_with_every_option_given(tmp_path: Path) -> None:
    """`--install-unit` keeps what the technician gave (it dropped the console, the camera's
    zones, the mirror, the models, the reader ...): each option reaches the unit's command,
    files made absolute, and the command parses back to the same options."""
    from performance.cli import build_parser
    from performance.cli.kiosk import kiosk_command

    zones = tmp_path / "hall-camera.toml"
    argv = ["kiosk", "--install-unit", "--input", "0", "--console", "8090", "--console-camera",
            "--oscquery-port", "5678", "--camera-calibration", str(zones), "--mirror",
            "--fps", "30", "--no-vsync", "--perception", "thread", "--control", "process",
            "--face-model", str(tmp_path / "face.task"), "--reader", "blendshapes",
            "--max-faces", "12", "--tiles", "3x2", "--no-sound", "--windowed"]
    args = build_parser().parse_args(argv)
    command = kiosk_command(args)
    back = build_parser().parse_args(command[command.index("kiosk"):])
    for dest in ("console", "console_camera", "oscquery_port", "camera_calibration", "mirror",
                 "fps", "no_vsync", "perception", "control", "face_model", "reader",
                 "max_faces", "tiles", "sound", "fullscreen", "input"):
        assert getattr(back, dest) == getattr(args, dest), dest
    assert not back.install_unit  # the unit runs the kiosk, it does not install again
    assert command[command.index("--camera-calibration") + 1] == str(zones.resolve())


def test_status_of_a_killed_kiosk_says_it_is_gone_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh report whose pid is dead (kill -9) is no running kiosk: exit 1 at once, not
    for the 30 s until the report goes stale; a missing cue reads `none`, not None."""
    import subprocess
    import sys

    from performance.cli import main

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    monkeypatch.setenv("ESSENCE_STATE_DIR", str(tmp_path))
    report = Health(updated="2026-12-04T20:00:00", pid=dead.pid, uptime_s=9.0, mode="show",
                    health="ok")
    (tmp_path / "health.json").write_text(report.to_json())
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert f"the kiosk that wrote this (pid {dead.pid}) is gone" in out
    assert "cue_id: none" in out
    alive = Health(updated="2026-12-04T20:00:00", pid=os.getpid(), uptime_s=9.0, mode="show",
                   health="ok")
    (tmp_path / "health.json").write_text(alive.to_json())
    assert main(["status"]) == 0 and "is gone" not in capsys.readouterr().out
