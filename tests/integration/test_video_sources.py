"""Integration tests: real video files (and damaged copies of them) and the capture worker.

Uses the real public clips from the `testdata` fixture; bad files are made in tmp_path.
Nothing sleeps longer than needed: the worker tests drive a ManualClock.
"""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from performance.core.clock import ManualClock, MonotonicClock
from performance.core.errors import InputError
from performance.core.mailbox import LatestSlot
from performance.core.types import Frame
from performance.sources import (
    CaptureWorker,
    FrameSource,
    SourceLost,
    SyntheticSource,
    VideoFileSource,
    open_source,
)

pytestmark = pytest.mark.integration

CLIP = "single_face.mp4"


def _read_all(src: FrameSource, limit: int = 10_000) -> list[Frame]:
    frames = []
    for frame in src:
        frames.append(frame)
        assert len(frames) < limit, "source did not end"
    return frames


# -- VideoFileSource on a real clip -------------------------------------------------------


def test_real_clip_metadata_and_frames(testdata: Path) -> None:
    with VideoFileSource(testdata / CLIP) as src:
        assert src.size == (640, 360)
        assert src.fps == pytest.approx(30.0, abs=0.1)
        assert src.frame_count is not None and abs(src.frame_count - 72) <= 1
        assert not src.is_live
        frames = _read_all(src)
        assert src.read() is None
    assert abs(len(frames) - 72) <= 1
    assert src.end_note is None
    assert [f.index for f in frames] == list(range(len(frames)))
    stamps = [f.timestamp for f in frames]
    assert all(b > a for a, b in itertools.pairwise(stamps))
    assert stamps[0] == 0.0 and stamps[-1] == pytest.approx((len(frames) - 1) / 30.0, abs=0.01)
    assert all(f.image.shape == (360, 640, 3) and f.image.dtype == np.uint8 for f in frames)


def test_frames_are_rgb(testdata: Path) -> None:
    cap = cv2.VideoCapture(str(testdata / CLIP))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    frame = VideoFileSource(testdata / CLIP).read()
    assert frame is not None
    assert np.array_equal(frame.image, bgr[..., ::-1])
    assert not np.array_equal(frame.image, bgr)  # the clip is not grey: the order matters


def test_loop_keeps_timestamps_increasing_and_resets_media_time(testdata: Path) -> None:
    src = VideoFileSource(testdata / CLIP, loop=True)
    n = src.frame_count or 72
    frames = [src.read() for _ in range(2 * n + 10)]
    assert all(f is not None for f in frames)
    got = [f for f in frames if f is not None]
    stamps = [f.timestamp for f in got]
    assert all(b > a for a, b in itertools.pairwise(stamps))
    resets = [i for i in range(1, len(got)) if got[i].media_time < got[i - 1].media_time]
    assert len(resets) == 2
    first_loop = resets[0]
    assert abs(first_loop - n) <= 1  # one pass is the clip's own frame count
    assert got[first_loop].media_time == 0.0
    # the loop continues one frame duration after the last frame of the previous pass
    assert src.fps is not None
    assert got[first_loop].timestamp == pytest.approx(got[first_loop - 1].timestamp
                                                      + 1 / src.fps)
    assert np.array_equal(got[first_loop].image, got[0].image)
    assert [f.index for f in got] == list(range(len(got)))
    src.close()


def test_hold_repeats_last_frame_with_advancing_time(testdata: Path) -> None:
    src = VideoFileSource(testdata / CLIP, hold=True)
    frames = [src.read() for _ in range(80)]
    got = [f for f in frames if f is not None]
    assert len(got) == 80
    last = next(i for i in range(1, 80) if np.array_equal(got[i].image, got[i - 1].image)) - 1
    assert src.frame_count is not None and src.fps is not None
    assert abs(last - (src.frame_count - 1)) <= 1  # held from the clip's last frame on
    for i in range(last + 1, 80):
        assert np.array_equal(got[i].image, got[last].image)
        assert got[i].timestamp == pytest.approx(got[i - 1].timestamp + 1 / src.fps)
        assert got[i].media_time == got[last].media_time
    assert [f.index for f in got] == list(range(80))


def test_other_real_clips_open(testdata: Path) -> None:
    with open_source(str(testdata / "face_noface.mov")) as src:
        assert isinstance(src, VideoFileSource)
        first = src.read()
        assert first is not None and first.image.ndim == 3


# -- bad inputs ------------------------------------------------------------------------------


def _expect_input_error(path: Path, reason: str) -> InputError:
    with pytest.raises(InputError) as info:
        VideoFileSource(path)
    err = info.value
    assert err.where == str(path)
    assert reason in err.reason
    assert str(path) in str(err)
    return err


def test_bad_inputs_name_the_file(testdata: Path, tmp_path: Path) -> None:
    _expect_input_error(tmp_path / "missing.mp4", "no such file")
    _expect_input_error(tmp_path, "directory")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    _expect_input_error(text, "not a readable video")
    renamed = tmp_path / "photo.mp4"
    shutil.copy(testdata / "single_face.jpg", renamed)
    _expect_input_error(renamed, "not a readable video")
    empty_file = tmp_path / "empty.mp4"
    empty_file.write_bytes(b"")
    _expect_input_error(empty_file, "not a readable video")
    # a real container holding zero frames
    no_frames = tmp_path / "no_frames.avi"
    writer = cv2.VideoWriter(str(no_frames), cv2.VideoWriter.fourcc(*"MJPG"), 30.0, (64, 48))
    assert writer.isOpened()
    writer.release()
    _expect_input_error(no_frames, "no frames")
    # the factory gives the same errors
    with pytest.raises(InputError, match=r"photo\.mp4: not a readable video"):
        open_source(str(renamed))


def _truncated(src: Path, dest: Path) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    return dest


def test_truncated_clip_with_index_at_the_end_fails_to_open(testdata: Path,
                                                             tmp_path: Path) -> None:
    # single_face.mp4 keeps its index (moov) after the media: half a file cannot be opened
    half = _truncated(testdata / CLIP, tmp_path / "half.mp4")
    _expect_input_error(half, "not a readable video")


def test_truncated_clip_with_index_first_stops_at_the_damage(testdata: Path,
                                                             tmp_path: Path) -> None:
    # WolfgangLanger_Pexels.mp4 is 'fast start' (index first): half a file opens
    half = _truncated(testdata / "WolfgangLanger_Pexels.mp4", tmp_path / "half_fast.mp4")
    t0 = time.monotonic()
    src = VideoFileSource(half)
    assert src.frame_count is not None and src.frame_count > 400
    frames = _read_all(src)
    assert time.monotonic() - t0 < 10.0
    assert 0 < len(frames) < src.frame_count
    assert src.end_note is not None
    assert f"stopped after {len(frames)} of {src.frame_count} frames" in src.end_note
    assert src.read() is None


# -- the capture worker ----------------------------------------------------------------------


def _drive(clock: ManualClock, worker: CaptureWorker,
           done: Callable[[CaptureWorker], bool], step: float, timeout: float = 5.0) -> None:
    """Advance the clock in steps until `done(worker)` holds (the worker may be mid-wait)."""
    deadline = time.monotonic() + timeout
    while not worker.wait_for(done, 0.01):
        assert time.monotonic() < deadline, f"worker stuck in status {worker.status!r}"
        clock.advance(step)


def test_worker_paces_by_clock_and_slot_keeps_the_newest() -> None:
    clock = ManualClock()
    slot: LatestSlot[Frame] = LatestSlot()
    statuses: list[str] = []
    worker = CaptureWorker(lambda: SyntheticSource(width=32, height=24, fps=10.0), slot,
                           clock=clock, on_status=statuses.append)
    worker.start()
    try:
        assert worker.wait_for(lambda w: w.frames_read == 1, 2.0)
        assert worker.status == "live"
        assert not worker.wait_for(lambda w: w.frames_read > 1, 0.05)  # not due yet
        for k in range(1, 11):  # nobody takes: each new frame overwrites the last
            clock.set(k / 10.0)
            want = k + 1
            assert worker.wait_for(lambda w: w.frames_read == want, 2.0)  # noqa: B023
        newest = slot.take(timeout=1.0)
        assert newest is not None and newest.index == 10 and newest.timestamp == 1.0
        assert worker.dropped == slot.dropped == 10
        assert not worker.wait_for(lambda w: w.frames_read > 11, 0.05)
        # after a long stall the schedule restarts: one frame now, no burst of 50
        clock.advance(5.0)
        assert worker.wait_for(lambda w: w.frames_read == 12, 2.0)
        assert not worker.wait_for(lambda w: w.frames_read > 12, 0.05)
        clock.advance(0.1)
        assert worker.wait_for(lambda w: w.frames_read == 13, 2.0)
        t0 = time.monotonic()
        assert worker.stop(timeout=2.0)
        assert time.monotonic() - t0 < 0.5  # stopping is prompt
    finally:
        worker.stop()
    assert statuses == ["live", "stopped"]


def test_worker_unpaced_reads_to_the_end_and_closes_the_slot() -> None:
    slot: LatestSlot[Frame] = LatestSlot()
    worker = CaptureWorker(lambda: SyntheticSource(width=16, height=16, frames=50), slot,
                           clock=ManualClock(), pace=False)
    worker.start()
    assert worker.wait_for(lambda w: w.status == "ended", 5.0)
    assert worker.frames_read == 50
    last = slot.take(timeout=1.0)
    assert last is not None and last.index == 49
    assert slot.take(timeout=0.01) is None and slot.closed
    assert slot.dropped == 49
    assert worker.stop(1.0)


class FlakySource(FrameSource):
    """A live-like source that raises SourceLost after `good` frames."""

    is_live = True

    def __init__(self, good: int) -> None:
        self.name = "flaky camera"
        self.inner = SyntheticSource(width=16, height=16)
        self.good = good
        self.closed = False

    def read(self) -> Frame | None:
        if self.good <= 0:
            raise SourceLost(self.name, "camera stopped delivering frames")
        self.good -= 1
        return self.inner.read()

    def close(self) -> None:
        self.closed = True


def test_worker_reports_a_lost_source_once_and_recovers() -> None:
    clock = ManualClock()
    slot: LatestSlot[Frame] = LatestSlot()
    statuses: list[str] = []
    opened: list[FrameSource] = []
    calls = 0

    def factory() -> FrameSource:
        nonlocal calls
        calls += 1
        if calls == 1:
            src: FrameSource = FlakySource(good=3)
        elif calls <= 4:  # the camera is not back yet
            raise InputError("camera 0 (/dev/video0)", "cannot open this camera")
        else:
            src = SyntheticSource(width=16, height=16, frames=5)
        opened.append(src)
        return src

    worker = CaptureWorker(factory, slot, clock=clock, retry_s=1.0, on_status=statuses.append,
                           pace=False)
    worker.start()
    try:
        assert worker.wait_for(lambda w: w.status.startswith("lost: "), 2.0)
        assert worker.frames_read == 3
        assert "flaky camera: camera stopped delivering frames" in worker.status
        assert isinstance(opened[0], FlakySource) and opened[0].closed
        assert worker.running  # not fatal
        _drive(clock, worker, lambda w: w.status == "ended", step=0.5)
    finally:
        worker.stop()
    assert calls == 5
    assert worker.frames_read == 3 + 5
    assert statuses[0] == "live"
    assert statuses[1] == "lost: flaky camera: camera stopped delivering frames"
    # the failed reopen attempts change the reason, each reported once, never repeated
    lost = [s for s in statuses if s.startswith("lost: ")]
    assert len(lost) == len(set(lost)) == 2
    assert statuses[-2:] == ["live", "ended"]


def test_worker_retries_a_source_that_never_opens_and_stops_promptly() -> None:
    clock = ManualClock()
    statuses: list[str] = []
    calls = 0

    def factory() -> FrameSource:
        nonlocal calls
        calls += 1
        raise InputError("camera 'c920'", "no camera name contains this")

    worker = CaptureWorker(factory, LatestSlot(), clock=clock, retry_s=2.0,
                           on_status=statuses.append)
    worker.start()
    try:
        _drive(clock, worker, lambda w: calls >= 4, step=1.0)
        assert worker.status == "lost: camera 'c920': no camera name contains this"
    finally:
        t0 = time.monotonic()
        assert worker.stop(timeout=2.0)
        assert time.monotonic() - t0 < 0.5
    assert statuses == ["lost: camera 'c920': no camera name contains this", "stopped"]


def test_worker_plays_a_real_file_at_its_fps_with_the_wall_clock(testdata: Path) -> None:
    slot: LatestSlot[Frame] = LatestSlot()
    worker = CaptureWorker(lambda: VideoFileSource(testdata / CLIP), slot,
                           clock=MonotonicClock())
    worker.start()
    try:
        assert worker.wait_for(lambda w: w.frames_read >= 1, 5.0)
        t0 = time.monotonic()
        time.sleep(0.3)
        n = worker.frames_read
        elapsed = time.monotonic() - t0
    finally:
        assert worker.stop(timeout=2.0)
    assert n <= 1 + 30 * elapsed + 2  # paced: never faster than the file's 30 fps
    assert n >= 3  # but it does play
    assert worker.status == "stopped"


class StuckCamera(FrameSource):
    """A live source at 50 fps: `image(i)` for frame i; read `block_at` blocks `block_s`."""

    is_live = True
    fps = 50.0

    def __init__(self, image: Callable[[int], np.ndarray], block_at: int = -1,
                 block_s: float = 0.0) -> None:
        self.name = "camera 9 (stuck)"
        self.image, self.block_at, self.block_s, self.i = image, block_at, block_s, 0

    def read(self) -> Frame | None:
        time.sleep(0.02)
        self.i += 1
        if self.i == self.block_at:
            time.sleep(self.block_s)
        return Frame(self.image(self.i), time.monotonic(), self.i, self.name)

    def close(self) -> None:
        pass


def test_worker_reports_a_blocked_read_or_a_frozen_image_as_stalled_not_a_dark_room() -> None:
    textured = np.indices((48, 64, 3)).sum(axis=0).astype(np.uint8)
    cases = {
        "dark": (lambda: StuckCamera(lambda i: np.zeros((48, 64, 3), np.uint8)), None),
        "frozen": (lambda: StuckCamera(lambda i: textured), "the same image for"),
        "blocked": (lambda: StuckCamera(lambda i: textured + np.uint8(i), 5, 30.0),
                    "no frame for 0.3 s (a read is blocked)"),
    }
    for name, (factory, reason) in cases.items():
        worker = CaptureWorker(factory, LatestSlot(), clock=MonotonicClock(), stall_s=0.3)
        worker.start()
        try:
            assert worker.wait_for(lambda w: w.frames_read >= 3, 2.0), name
            if reason is None:  # uniform frames never count as frozen
                time.sleep(0.8)
                assert worker.status == "live" and worker.stalls == 0 and worker.opened == 1
                continue
            assert worker.wait_for(lambda w: w.input_status.state.value == "stalled", 2.0)
            assert reason in worker.status and worker.input_status.lost, worker.status
            assert worker.wait_for(lambda w: w.opened >= 2, 1.0)  # opened again at once
        finally:
            t0 = time.monotonic()
            assert worker.stop(timeout=3.0)
            assert time.monotonic() - t0 < 1.5  # a reader left blocked does not hold it
    assert worker.stalls >= 1  # the blocked one was abandoned on its thread


def test_a_hung_camera_leaves_at_most_two_blocked_threads_behind() -> None:
    textured = np.indices((48, 64, 3)).sum(axis=0).astype(np.uint8)
    worker = CaptureWorker(lambda: StuckCamera(lambda i: textured, 1, 30.0), LatestSlot(),
                           clock=MonotonicClock(), retry_s=0.1, stall_s=0.3,
                           first_frame_s=0.3)
    worker.start()
    try:
        assert worker.wait_for(lambda w: w.stalls >= 2, 3.0)
        time.sleep(1.0)  # time for several more attempts, were there no bound
        assert worker.opened == 2 and worker.stalls == 2
        assert worker.input_status.state.value == "stalled"
        assert "no frame for 0.3 s" in worker.status
    finally:
        assert worker.stop(timeout=3.0)
