"""The projector mapping in a real live run (headless, EGL) and in a real offline render: the
calibration named by the `projector_calibration` setting is the output's final pass (the
stage keeps the unwarped audience image), and `render --calibration` writes warped frames."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from performance.config import Settings
from performance.runtime.live import LiveOptions, run_live
from performance.runtime.offline import RenderJob, render_offline
from performance.venue.homography import apply, quad_to_square
from performance.venue.projector import ProjectorCalibration, save_projector

pytestmark = [pytest.mark.integration, pytest.mark.gl, pytest.mark.timeout(150)]
SIZE = (160, 90)
CORNERS = ((0.2, 0.1), (0.9, 0.15), (0.85, 0.9), (0.1, 0.8))


def test_a_live_run_draws_through_the_calibration_as_its_final_pass(tmp_path: Path) -> None:
    path = tmp_path / "hall-display0.toml"
    save_projector(path, ProjectorCalibration(output="HDMI-1", size=SIZE, corners=CORNERS))
    seen: list[tuple[str, np.ndarray, np.ndarray]] = []

    def inspect(frame: int, compositor: object) -> None:
        if frame in (10, 20):
            seen.append((str(compositor.last_pass),  # type: ignore[attr-defined]
                         compositor.read_output(),  # type: ignore[attr-defined]
                         compositor.read_stage()))  # type: ignore[attr-defined]

    started = time.monotonic()
    run_live(LiveOptions(input="scripted", size=SIZE, fps=30, headless=True, seconds=3.0,
                         visual="crowd_chaos"),
             Settings(projector_calibration=str(path), sound=False, osc_port=0,
                      osc_tcp_port=0),
             inspect=inspect, report=lambda _: None,
             events=lambda: ["ctrl+q"] if len(seen) == 2 else [])
    assert time.monotonic() - started < 60 and len(seen) == 2
    for last_pass, output, stage in seen:
        assert last_pass == "warped"
        assert output[2, 2].tolist() == [0, 0, 0]  # outside the pinned quad: black
        assert stage.mean() > 5  # the stage keeps the whole unwarped picture
        # a pixel inside the quad shows the stage where the inverse homography says
        xs, ys = np.meshgrid(np.arange(40, 120, 7) + 0.5, np.arange(25, 65, 7) + 0.5)
        points = np.c_[xs.ravel(), ys.ravel()]
        uv = apply(quad_to_square(CORNERS), points / SIZE) * SIZE
        got = output[(points[:, 1]).astype(int), (points[:, 0]).astype(int)].astype(int)
        want = stage[np.clip(uv[:, 1], 0, SIZE[1] - 1).astype(int),
                     np.clip(uv[:, 0], 0, SIZE[0] - 1).astype(int)].astype(int)
        assert np.median(np.abs(got - want)) <= 12


def test_render_with_a_calibration_writes_warped_frames(tmp_path: Path) -> None:
    import av

    path = tmp_path / "hall-display0.toml"
    save_projector(path, ProjectorCalibration(output="HDMI-1", size=SIZE, corners=CORNERS))
    frames = {}
    for name, calibration in (("plain", ""), ("warped", str(path))):
        out = tmp_path / f"{name}.mp4"
        render_offline(RenderJob(input="scripted", out=out, seconds=0.5, size=SIZE, fps=10,
                                 visual="crowd_chaos", contact_frames=0,
                                 calibration=calibration),
                       Settings(sound=False), progress=False)
        with av.open(str(out)) as video:
            frames[name] = [f.to_ndarray(format="rgb24") for f in video.decode(video=0)]
    assert len(frames["plain"]) == len(frames["warped"]) == 5
    plain, warped = frames["plain"][-1], frames["warped"][-1]
    assert warped[:8, :8].max() <= 3  # outside the pinned quad: black (H.264 noise aside)
    assert np.abs(plain.astype(int) - warped.astype(int)).mean() > 5
    xs, ys = np.meshgrid(np.arange(40, 120, 7) + 0.5, np.arange(25, 65, 7) + 0.5)
    points = np.c_[xs.ravel(), ys.ravel()]
    uv = apply(quad_to_square(CORNERS), points / SIZE) * SIZE
    got = warped[points[:, 1].astype(int), points[:, 0].astype(int)].astype(int)
    want = plain[uv[:, 1].astype(int), uv[:, 0].astype(int)].astype(int)
    assert np.median(np.abs(got - want)) <= 16  # the plain frame, pinned
