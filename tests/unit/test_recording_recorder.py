"""The recorder: `record()` never waits on the disk (a slow or failing sink, a real full
disk), a write error stops recording with one log line, the file appears only on close."""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from pathlib import Path
from typing import TextIO

import pytest

from performance.recording.format import read_recording
from performance.recording.recorder import Recorder, default_path, recordings_dir
from performance.recording.records import CueRecord, FiredBy, Header

HEADER = Header(started="now", source="scripted", cues="", settings={}, stage=(64, 36),
                fps=30.0)


def cue(i: int) -> CueRecord:
    return CueRecord(t=i / 30, n=i, act=1, cue=str(i), name=f"cue {i}", by=FiredBy.GO)


class SlowFile(io.StringIO):
    """A sink that takes `delay` seconds per write (a stalled network disk)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.release.wait(self.delay)
        return super().write(text)


def test_the_file_appears_on_close_and_only_the_temp_while_recording(tmp_path: Path) -> None:
    out = tmp_path / "take.jsonl"
    recorder = Recorder(out, HEADER).start()
    for i in range(100):
        assert recorder.record(cue(i))
    time.sleep(0.1)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [recorder.temp.name]
    assert recorder.temp.name.startswith(".take.jsonl.") and ".partial" in recorder.temp.name
    assert recorder.close() == out
    assert [p.name for p in tmp_path.iterdir()] == ["take.jsonl"]
    assert read_recording(out).cues == [cue(i) for i in range(100)]
    assert not recorder.record(cue(101))  # closed: nothing more is taken


def test_a_slow_sink_never_delays_record(tmp_path: Path) -> None:
    slow = SlowFile(delay=0.2)

    def opener(path: Path) -> TextIO:
        return slow

    recorder = Recorder(tmp_path / "slow.jsonl", HEADER, queue_size=64, opener=opener).start()
    started = time.perf_counter()
    taken = [recorder.record(cue(i)) for i in range(2000)]
    elapsed = time.perf_counter() - started
    assert elapsed < 0.1, f"2000 record() calls took {elapsed:.3f} s"
    assert recorder.dropped > 0 and taken.count(True) <= 64 + 1  # the queue bound held
    slow.release.set()
    recorder.close()


def test_a_write_error_stops_recording_with_one_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "full.jsonl"

    class FailAfterHeader(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            if self.writes > 1:
                raise OSError(28, "No space left on device")
            return super().write(text)

    with caplog.at_level(logging.INFO, logger="performance.recording.recorder"):
        recorder = Recorder(out, HEADER, opener=lambda p: FailAfterHeader()).start()
        for i in range(50):
            recorder.record(cue(i))
            time.sleep(0.002)
        deadline = time.monotonic() + 5
        while recorder.active and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not recorder.active and recorder.failed == "No space left on device"
        assert not recorder.record(cue(99))  # refused at once, never queued
        recorder.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert str(out) in errors[0].getMessage() and "the show goes on" in errors[0].getMessage()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_real_full_disk_stops_recording_and_keeps_the_show_going(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """/dev/full fails every flush with ENOSPC, as a full disk does."""
    with caplog.at_level(logging.ERROR, logger="performance.recording.recorder"):
        def full_disk(path: Path) -> TextIO:
            return Path("/dev/full").open("w", encoding="utf-8")

        recorder = Recorder(tmp_path / "x.jsonl", HEADER, opener=full_disk).start()
        deadline = time.monotonic() + 5
        while recorder.active and time.monotonic() < deadline:
            recorder.record(cue(1))
            time.sleep(0.005)
        assert recorder.failed is not None and "space" in recorder.failed.lower()
        started = time.perf_counter()
        for i in range(1000):
            recorder.record(cue(i))
        assert time.perf_counter() - started < 0.05
        assert recorder.close() is None  # nothing could be written: no file
    assert len(caplog.records) == 1
    assert not (tmp_path / "x.jsonl").exists()


def test_the_default_place_is_a_timestamped_file_in_the_user_data_dir() -> None:
    from datetime import datetime

    path = default_path(datetime(2026, 12, 2, 13, 5, 9))
    assert path.parent == recordings_dir() and "essence-rig" in str(path.parent)
    assert path.name == "rehearsal-2026-12-02_13-05-09.jsonl"
