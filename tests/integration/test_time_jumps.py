"""Video files whose timestamps jump, written here with PyAV (explicit pts, real H.264 in
MP4, Matroska and MPEG-TS), through a real `essence render` and a real live run.

Before: the clip's second half sat an hour after its first, so `render` planned 108,144
frames for its 4.8 s (MP4: FFmpeg's average rate over the broken duration, 0.04 fps; MKV
and TS: a frame count from that duration), a render with `--seconds` perceived only the
first half, and a live run played the first half and then waited, still `live`.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from performance.config import Settings
from performance.core.clock import MonotonicClock
from performance.core.status import InputState, InputStatus
from performance.core.types import RoomEmotion
from performance.runtime.live import LiveOptions, run_live
from performance.show.frame import ShowFrame
from performance.sources.video import VideoFileSource

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
FPS = 30
HOUR = 3600.0


def face_frames(testdata: Path, size: tuple[int, int] = (320, 180)) -> list[np.ndarray]:
    """The 72 frames of the one-face clip, RGB at `size`."""
    cap = cv2.VideoCapture(str(testdata / "single_face.mp4"))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(cv2.resize(bgr, size), cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def write_clip(path: Path, frames: list[np.ndarray], times: list[float], fmt: str) -> Path:
    """H.264 frames at these presentation times (s), in container `fmt`."""
    container = av.open(str(path), mode="w", format=fmt)
    stream = container.add_stream("libx264", rate=FPS)
    stream.height, stream.width = frames[0].shape[:2]
    stream.pix_fmt = "yuv420p"
    stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
    stream.options = {"bf": "0"}
    for image, t in zip(frames, times, strict=True):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
    container.close()
    return path


def jumping_clip(testdata: Path, folder: Path, fmt: str = "mp4") -> Path:
    """The face clip twice (144 frames, 4.8 s), the second time an hour later."""
    frames = face_frames(testdata) * 2
    times = [i / FPS + (HOUR if i >= 72 else 0.0) for i in range(len(frames))]
    ext = {"mp4": "mp4", "matroska": "mkv", "mpegts": "ts"}[fmt]
    return write_clip(folder / f"jump.{ext}", frames, times, fmt)


def render(clip: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "performance", "render", "--input", str(clip), "--out",
         str(out), "--size", "96x54", "--fps", "10", *extra],
        capture_output=True, text=True, timeout=90, env=env, cwd=ROOT)


@pytest.mark.gl
@pytest.mark.timeout(120)
@pytest.mark.parametrize(("fmt", "seconds"), [("mp4", None), ("matroska", "3")])
def test_render_plans_and_perceives_the_real_clip(testdata: Path, tmp_path: Path,
                                                  fmt: str, seconds: str | None) -> None:
    clip = jumping_clip(testdata, tmp_path, fmt)
    done = render(clip, tmp_path / "out.mp4", *(["--seconds", seconds] if seconds else []))
    assert done.returncode == 0, done.stderr
    wrote = re.search(r"\((\d+) frames, ([\d.]+) s,", done.stdout)
    perceived = re.search(r"face model: (\d+) source frames", done.stdout)
    assert wrote and perceived, done.stdout
    frames, source_frames = int(wrote.group(1)), int(perceived.group(1))
    if seconds is None:  # the clip's own length: 144 frames at 30 fps
        assert (frames, wrote.group(2)) == (48, "4.80")
        assert source_frames >= 140  # both halves went through the face model
    else:
        assert (frames, wrote.group(2)) == (30, "3.00")
        assert source_frames >= 88  # 3 s of it, past the jump at 2.4 s (before: 72)
    warnings = [line for line in done.stderr.splitlines() if "timestamps not usable" in line]
    assert len(warnings) == 1 and str(clip) in warnings[0], done.stderr
    assert "jump forward 3600.0 s after frame 72" in warnings[0]


def test_timestamps_that_start_again_are_timed_by_frame_count(
        testdata: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two MPEG-TS files joined byte by byte (a common way to 'concatenate' recordings):
    the second half's timestamps start again at 0."""
    frames = face_frames(testdata, (160, 96))
    half = [write_clip(tmp_path / f"{name}.ts", frames, [i / FPS for i in range(72)],
                       "mpegts") for name in ("a", "b")]
    joined = tmp_path / "joined.ts"
    joined.write_bytes(half[0].read_bytes() + half[1].read_bytes())
    caplog.set_level(logging.WARNING, logger="performance.sources.video")
    for loop in range(2):  # a second pass (loop) is timed the same way
        source = VideoFileSource(joined, loop=bool(loop))
        stamps = [f.timestamp for _, f in zip(range(144 * (1 + loop)), source, strict=False)]
        source.close()
        steps = np.diff(stamps)
        assert source.frame_count == 144 and source.fps == pytest.approx(FPS, rel=0.02)
        assert len(stamps) == 144 * (1 + loop)
        assert steps.min() > 0.03 and steps.max() < 0.04  # one frame period, every step
    warned = [r.getMessage() for r in caplog.records if "timestamps not usable" in
              r.getMessage()]
    assert len(warned) == 2 and "jump back" in warned[0] and str(joined) in warned[0]


@pytest.mark.gl
@pytest.mark.timeout(90)
def test_a_live_run_plays_through_a_jump_without_waiting(testdata: Path, tmp_path: Path,
                                                         face_model: Path) -> None:
    clip = jumping_clip(testdata, tmp_path)
    clock = MonotonicClock()
    status: list[object] = []
    seen: list[tuple[float, InputState, int]] = []

    def publish(frame: ShowFrame, emotion: RoomEmotion) -> None:
        getter = status[0]
        assert callable(getter)
        now: InputStatus = getter()
        seen.append((clock.now(), now.state, len(emotion.faces)))

    report = run_live(
        LiveOptions(input=str(clip), headless=True, size=(160, 90), fps=30, seconds=8.0),
        Settings(face_model=str(face_model)), clock=clock, watch_input=status.append,
        publish=publish, report=lambda _: None)
    assert report.input_status.state is InputState.ENDED, report.input_status
    live = [t for t, state, _ in seen if state is InputState.LIVE]
    ended = next(t for t, state, _ in seen if state is InputState.ENDED)
    assert 4.0 <= ended - live[0] <= 6.5  # 4.8 s of frames at their rate, no hour's wait
    faces_late = [t for t, state, faces in seen if faces == 1 and t - live[0] > 3.4]
    assert faces_late  # the face after the jump was seen: its frames were perceived live
