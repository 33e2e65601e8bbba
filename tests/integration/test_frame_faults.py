"""Garbage, black, tiny and huge frames from the camera, into a real run (the real face
model in its own process, frames through shared memory): the picture keeps its pace, the
face in the good frames between them is still tracked, nothing stops."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from performance.config import Settings
from performance.core.types import Frame
from performance.runtime.live import LiveOptions, run_live
from performance.sources.base import FrameSource

pytestmark = [pytest.mark.integration, pytest.mark.gl]


class BadFrames(FrameSource):
    """A real clip where every other stretch of frames is replaced by a bad one."""

    name = "camera 0 (bad frames)"

    def __init__(self, inner: FrameSource) -> None:
        self.inner = inner
        self.count = 0
        rng = np.random.default_rng(0)
        self.bad = [
            rng.integers(0, 256, (360, 640, 3), dtype=np.uint8),  # garbage
            np.zeros((360, 640, 3), dtype=np.uint8),  # black
            np.full((2, 2, 3), 128, dtype=np.uint8),  # tiny
            rng.integers(0, 256, (4000, 6000, 3), dtype=np.uint8),  # huge (72 MB)
            np.zeros((1, 1, 3), dtype=np.uint8),
        ]

    def read(self) -> Frame | None:
        frame = self.inner.read()
        if frame is None:
            return None
        self.count += 1
        stretch = (self.count // 6) % (2 * len(self.bad))
        if stretch % 2:  # a bad stretch
            image = self.bad[stretch // 2]
            return replace(frame, image=image)
        return frame

    def close(self) -> None:
        self.inner.close()


def test_bad_frames_never_stop_the_picture_or_the_tracking(testdata: Path) -> None:
    from performance.sources.video import VideoFileSource

    report = run_live(
        LiveOptions(input="0", headless=True, size=(160, 90), fps=30, seconds=6.0),
        Settings(), source_factory=lambda: BadFrames(
            VideoFileSource(testdata / "single_face.mp4", loop=True)),
        report=lambda _: None)
    assert report.frames >= 0.8 * 30 * 6  # the picture kept its pace
    assert report.perception_frames > 20  # perception went on through the bad frames
    assert report.max_tracked == 1  # and found the face in the good ones
    assert not report.input_status.lost


class TroubledDetector:
    """The real face model, but one call in five raises and one in five takes ten times as
    long (picklable: the perception process builds it from this class)."""

    def __init__(self) -> None:
        from performance.runtime.pipeline import landmarker_factory

        self.inner = landmarker_factory(Settings(), "video")()
        self.calls = 0

    def detect(self, frame: Frame) -> object:
        import time

        self.calls += 1
        if self.calls % 5 == 1:
            raise RuntimeError("inference failed (injected)")
        started = time.monotonic()
        out = self.inner.detect(frame)
        if self.calls % 5 == 3:
            time.sleep(9 * (time.monotonic() - started))  # ten times slower
        return out

    def close(self) -> None:
        self.inner.close()


def test_inference_failing_or_ten_times_slower_keeps_the_frame_rate(testdata: Path) -> None:
    from performance.sources.video import VideoFileSource

    def run(detector: type | None) -> float:
        report = run_live(
            LiveOptions(input="0", headless=True, size=(160, 90), fps=30, seconds=4.0),
            Settings(), source_factory=lambda: VideoFileSource(testdata / "single_face.mp4",
                                                               loop=True),
            detector_factory=detector, report=lambda _: None)
        if detector is not None:
            assert report.perception_frames > 3 and report.max_tracked == 1
            assert "inference failed" in str(report.input_status)  # said, not hidden
        return report.stats.fps

    troubled, healthy = run(TroubledDetector), run(None)
    assert troubled >= 0.9 * healthy  # the picture does not feel the trouble
