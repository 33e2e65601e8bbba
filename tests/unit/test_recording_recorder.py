"""The recorder: `record()` never waits on the disk (a slow or failing sink, a real full
disk), a write error stops recording with one log line, the file appears only on close, and
a failed or crashed recording never touches an older file of the same name: what it wrote
stays, readable, in `NAME.incomplete.jsonl`."""

from __future__ import annotations

import errno
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pytest

from performance.recording.format import encode, encode_header, read_recording
from performance.recording.recorder import (
    Recorder,
    Saved,
    default_path,
    incomplete_path,
    recordings_dir,
)
from performance.recording.records import CueRecord, FiredBy, Header

ROOT = Path(__file__).resolve().parents[2]
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
    assert [p.name for p in tmp_path.iterdir()] == ["take.incomplete.jsonl"]
    assert recorder.temp == incomplete_path(out)
    saved = recorder.close()
    assert saved is not None and saved.saved == out and saved.complete
    assert saved.written == 100 and saved.problem() is None
    assert saved.line() == f"essence: recording stopped, saved {out}"
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
        saved = recorder.close()  # nothing could be written: no file
        assert saved is not None and saved.saved is None and not saved.complete
    assert len(caplog.records) == 1
    assert not (tmp_path / "x.jsonl").exists()
    assert not (tmp_path / "x.incomplete.jsonl").exists()


def test_the_default_place_is_a_timestamped_file_in_the_user_data_dir() -> None:
    from datetime import datetime

    path = default_path(datetime(2026, 12, 2, 13, 5, 9))
    assert path.parent == recordings_dir() and "essence-rig" in str(path.parent)
    assert path.name == "rehearsal-2026-12-02_13-05-09.jsonl"


def test_two_recordings_in_the_same_second_get_two_names(tmp_path: Path) -> None:
    from datetime import datetime

    when = datetime(2026, 12, 2, 13, 5, 9)
    first = default_path(when, tmp_path)
    first.write_text("an earlier take\n")
    second = default_path(when, tmp_path)
    assert second.name == "rehearsal-2026-12-02_13-05-09-2.jsonl"
    assert first.read_text() == "an earlier take\n"


# -- a failed write never destroys the older file -------------------------------------------


class FullDisk(io.RawIOBase):
    """A real file on a disk that has `room` bytes left: a write takes what fits (as a real
    full disk does, a cut-short line) and then fails with ENOSPC."""

    def __init__(self, path: Path, room: int) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        taken = os.write(self.fd, bytes(data[:self.room]))
        self.room -= taken
        return taken

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


def full_disk(room: int) -> Callable[[Path], TextIO]:
    def opener(path: Path) -> TextIO:
        return io.TextIOWrapper(io.BufferedWriter(FullDisk(path, room), buffer_size=256),
                                encoding="utf-8")
    return opener


def record_until_it_stops(recorder: Recorder, records: int = 200) -> Saved:
    for i in range(records):
        recorder.record(cue(i))
        time.sleep(0.001)
    deadline = time.monotonic() + 5
    while recorder.active and time.monotonic() < deadline:
        time.sleep(0.01)
    saved = recorder.close()
    assert saved is not None
    return saved


def test_a_full_disk_at_the_first_line_keeps_the_old_file_and_saves_nothing(
        tmp_path: Path) -> None:
    out = tmp_path / "keep.jsonl"
    out.write_text(encode_header(HEADER) + "\n" + encode(cue(7)) + "\n", encoding="utf-8")
    before = out.read_bytes()
    saved = record_until_it_stops(Recorder(out, HEADER, opener=full_disk(0)).start())
    assert out.read_bytes() == before  # the good recording is untouched
    assert saved.saved is None and saved.written == 0 and not saved.complete
    assert saved.problem() == (f"{out}: cannot be written (No space left on device); nothing "
                               "was saved; the old file is left as it was")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.jsonl"]  # no empty leftover


def test_a_disk_that_fills_mid_recording_keeps_the_old_file_and_the_part_written(
        tmp_path: Path) -> None:
    out = tmp_path / "keep.jsonl"
    out.write_text(encode_header(HEADER) + "\n" + encode(cue(7)) + "\n", encoding="utf-8")
    before = out.read_bytes()
    saved = record_until_it_stops(Recorder(out, HEADER, opener=full_disk(4000)).start())
    assert out.read_bytes() == before
    part = tmp_path / "keep.incomplete.jsonl"
    assert saved.saved == part and 0 < saved.written < 200 and not saved.complete
    assert saved.line() == (f"essence: {out}: cannot be written (No space left on device); the "
                            f"{saved.written} records written before are in {part}; the old "
                            "file is left as it was")
    kept = read_recording(part)  # readable: the cut-short last line is dropped
    assert kept.cues[:saved.written] == [cue(i) for i in range(saved.written)]
    assert part.stat().st_size == 4000


def test_a_new_name_on_a_full_disk_leaves_no_empty_file(tmp_path: Path) -> None:
    out = tmp_path / "new.jsonl"
    saved = record_until_it_stops(Recorder(out, HEADER, opener=full_disk(10)).start())
    assert saved.saved is None and list(tmp_path.iterdir()) == []
    assert saved.problem() == f"{out}: cannot be written (No space left on device); nothing " \
                              "was saved"


CRASHING = """
import sys, time
from pathlib import Path
from performance.recording.recorder import Recorder
from performance.recording.records import CueRecord, FiredBy, Header

header = Header(started="now", source="scripted", cues="", settings={}, stage=(64, 36),
                fps=30.0)
recorder = Recorder(Path(sys.argv[1]), header).start()
for i in range(50):
    recorder.record(CueRecord(t=i / 30, n=i, act=1, cue=str(i), name="c", by=FiredBy.GO))
time.sleep(0.5)
print("written", flush=True)
time.sleep(60)
"""


def test_a_killed_recording_stays_readable_and_the_next_one_leaves_it_alone(
        tmp_path: Path) -> None:
    """SIGKILL mid-recording (a real process): the old file is untouched, what was written is
    in `keep.incomplete.jsonl`, and the next recording to that name (after the same checks
    `essence record --out` makes) neither removes nor overwrites it."""
    from performance.core.files import check_writable

    out = tmp_path / "keep.jsonl"
    out.write_text(encode_header(HEADER) + "\n", encoding="utf-8")
    before = out.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", CRASHING, str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    crashed = tmp_path / "keep.incomplete.jsonl"
    assert out.read_bytes() == before
    assert [c.cue for c in read_recording(crashed).cues] == [str(i) for i in range(50)]
    kept = crashed.read_bytes()
    check_writable(out)
    recorder = Recorder(out, HEADER).start()
    recorder.record(cue(1))
    time.sleep(0.1)
    assert recorder.temp.name == "keep.incomplete-2.jsonl"
    saved = recorder.close()
    assert saved is not None and saved.complete and read_recording(out).cues == [cue(1)]
    assert crashed.read_bytes() == kept


def test_a_recording_stops_at_the_size_a_replay_reads_and_keeps_what_fits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full room at 30 fps passes 1 GiB in under an hour; the reader refuses more (its
    memory), so the recorder stops there, says so once, and saves what fits (readable)."""
    from performance.recording import recorder as recorder_module

    monkeypatch.setattr(recorder_module, "LIMIT", 4096)  # bytes, for the test
    out = tmp_path / "long.jsonl"
    saved = record_until_it_stops(Recorder(out, HEADER).start())
    assert saved.capped and not saved.complete and saved.saved == out
    assert out.stat().st_size <= 4096
    assert len(read_recording(out).cues) == saved.written and 0 < saved.written < 200
    assert saved.problem() == (f"{out}: recording stopped at 4096 bytes, the most a replay reads; "
                               f"the {saved.written} records before are saved there")
