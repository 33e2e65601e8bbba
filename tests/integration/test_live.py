"""`essence run` / `rehearse`: the real window under Xvfb, headless EGL, real video and model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from performance.config import Settings
from performance.core.errors import ConfigError, InputError
from performance.core.types import Frame, Observations
from performance.runtime.live import LiveOptions, RunReport, run_live
from performance.sources.base import FrameSource, SourceLost
from performance.sources.synthetic import SyntheticSource

pytestmark = [pytest.mark.integration, pytest.mark.gl]

ROOT = Path(__file__).resolve().parents[2]


def settings_with_model(face_model: Path) -> Settings:
    return Settings(face_model=str(face_model))


# -- headless runs ------------------------------------------------------------------------


def test_cli_headless_scripted_prints_plausible_frame_stats() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "performance", "run", "--headless", "--input", "scripted",
         "--seconds", "2", "--size", "160x90", "--osc-port", "0", "--no-sound"],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    match = re.search(r"frames (\d+), ([\d.]+) fps; frame time ms: p50 ([\d.]+), mean ([\d.]+), "
                      r"p95 ([\d.]+), p99 ([\d.]+).*dropped (\d+); latency ms capture->emotion "
                      r"p50 (\d+) p95 (\d+), capture->presented p50 (\d+) p95 (\d+); "
                      r"perception ([\d.]+) fps", done.stdout)
    assert match, done.stdout
    frames, fps, p50, mean, p95, p99, dropped, e50, e95, s50, s95, perceived = (
        float(g) for g in match.groups())
    assert 60 <= frames <= 125  # 2 s at a 60 fps target on a slow shared CPU
    assert 30 <= fps <= 61
    assert 10.0 <= p50 <= p95 <= p99 < 1000 and 15.0 <= mean <= p99
    assert dropped < frames / 2
    # the scripted audience publishes 30 times a second, folded in on the next frame
    assert e50 <= e95 <= s95 < 200 and e50 <= s50 <= s95
    assert 20 <= perceived <= 31
    assert "most faces 3" in done.stdout  # the scripted audience reached the engine


def test_rehearse_runs_perception_on_a_worker_and_the_engine_sees_the_face(
    testdata: Path, face_model: Path
) -> None:
    grabs: dict[str, np.ndarray] = {}

    def inspect(frame: int, compositor: object) -> None:
        if frame % 10 == 0:
            grabs["output"] = compositor.read_output()  # type: ignore[attr-defined]
            grabs["stage"] = compositor.read_stage()  # type: ignore[attr-defined]

    report = run_live(
        LiveOptions(input=str(testdata / "single_face.mp4"), headless=True, seconds=2.0,
                    size=(320, 180), fps=30, operator=True, preview=True),
        settings_with_model(face_model), inspect=inspect, report=lambda _: None,
    )
    assert report.perception_frames >= 5
    assert report.max_faces == 1
    assert report.max_tracked == 1
    assert report.frames >= 10  # drawing shares 2 cores with MediaPipe
    # the operator preview (bottom-right) is on the operator's output, never on the stage
    out, stage = grabs["output"].astype(int), grabs["stage"].astype(int)
    preview = np.abs(out[110:165, 205:305] - stage[110:165, 205:305]).mean()
    middle = np.abs(out[70:100, 20:190] - stage[70:100, 20:190]).mean()
    assert preview > 20
    assert middle < 2


class StuckDetector:
    """A detector that blocks inside `detect` until the test opens its gate."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.finished = 0

    def detect(self, frame: Frame) -> Observations:
        self.entered.set()
        self.gate.wait(30)
        self.finished += 1
        return Observations(frame.timestamp, frame.index, frame.source, ())

    def close(self) -> None:
        self.gate.set()


def test_loop_never_waits_for_a_stuck_detector() -> None:
    detector = StuckDetector()
    during: list[int] = []

    def inspect(frame: int, compositor: object) -> None:
        if frame == 0:  # from here on inference is stuck, whatever the machine's speed
            assert detector.entered.wait(10), "perception never got a frame"
        if detector.entered.is_set() and detector.finished == 0:
            during.append(frame)
        if frame == 59:
            detector.gate.set()

    report = run_live(
        LiveOptions(input="synthetic", headless=True, size=(160, 90), fps=0, max_frames=60),
        Settings(perception="thread"), source_factory=lambda: SyntheticSource(64, 48),
        detector_factory=lambda: detector, inspect=inspect, report=lambda _: None,
    )
    assert report.frames == 60
    assert during == list(range(60))  # every frame was drawn while inference was stuck
    assert report.observations_taken == 0


class LosingSource(FrameSource):
    """A real video that 'unplugs' after `after` frames, like a camera pulled out.

    Not live, so the capture worker paces it to its 30 fps as a camera would deliver it.
    """

    def __init__(self, inner: FrameSource, after: int) -> None:
        self.inner, self.after, self.name = inner, after, "camera 0 (test)"
        self.read_count = 0

    def read(self) -> Frame | None:
        if self.read_count >= self.after:
            raise SourceLost(self.name, "camera stopped delivering frames")
        self.read_count += 1
        return self.inner.read()

    def close(self) -> None:
        self.inner.close()


def test_lost_camera_keeps_rendering_shows_lost_and_decays_to_no_audience(
    testdata: Path, face_model: Path
) -> None:
    from performance.sources.video import VideoFileSource

    opened: list[int] = []

    def factory() -> FrameSource:
        opened.append(1)
        if len(opened) > 1:
            raise SourceLost("camera 0", "no such device")
        return LosingSource(VideoFileSource(testdata / "single_face.mp4"), after=45)

    report: RunReport = run_live(
        LiveOptions(input="0", headless=True, size=(160, 90), fps=30, seconds=4.0,
                    operator=True),
        settings_with_model(face_model), source_factory=factory, report=lambda _: None,
    )
    assert report.max_tracked == 1  # the face was seen before the camera went
    assert report.input_status.lost and str(report.input_status).startswith("lost: camera 0")
    assert report.frames >= 60  # the picture went on
    assert report.final_faces == 0  # forgotten: the no-audience state


# -- bad input -----------------------------------------------------------------------------


def test_unknown_input_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(InputError, match=re.escape(f"{missing}: no such file")):
        run_live(LiveOptions(input=str(missing), headless=True, max_frames=1), Settings())


def test_cli_bad_size_and_missing_rehearsal_video_are_clear_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from performance.cli import main

    assert main(["run", "--headless", "--input", "scripted", "--size", "wide"]) == 2
    assert "--size: expected WIDTHxHEIGHT" in capsys.readouterr().err
    assert main(["rehearse", "missing_clip.mp4", "--headless"]) == 2
    assert "missing_clip.mp4: no such video file" in capsys.readouterr().err


def test_unknown_visual_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"--visual: unknown visual 'nebula' \(known: .*enclave"):
        run_live(LiveOptions(input="scripted", headless=True, max_frames=1, visual="nebula"),
                 Settings())


def test_a_run_that_fails_to_start_releases_what_it_opened(
    testdata: Path, face_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown visual is found once the GL stage exists: the context and the video
    opened before it are released all the same."""
    import performance.render.headless as headless
    import performance.sources.factory as factory

    contexts: list[object] = []
    sources: list[object] = []
    closed: list[object] = []

    def recording_context():  # type: ignore[no-untyped-def]
        ctx = real_context()
        contexts.append(ctx)
        return ctx

    def recording_source(spec: str, **kw: object) -> FrameSource:
        source = real_source(spec, **kw)  # type: ignore[arg-type]
        real_close = source.close

        def close() -> None:
            closed.append(source)
            real_close()

        source.close = close  # type: ignore[method-assign]
        sources.append(source)
        return source

    real_context, real_source = headless.create_headless_context, factory.open_source
    monkeypatch.setattr(headless, "create_headless_context", recording_context)
    monkeypatch.setattr(factory, "open_source", recording_source)
    with pytest.raises(ConfigError, match="--visual: unknown visual 'nebula'"):
        run_live(LiveOptions(input=str(testdata / "single_face.mp4"), headless=True,
                             max_frames=1, visual="nebula"), settings_with_model(face_model))
    assert len(contexts) == 1 and len(sources) == 1
    assert type(contexts[0].mglo).__name__ == "InvalidObject"  # type: ignore[attr-defined]
    assert closed == sources
