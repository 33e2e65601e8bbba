"""`essence calibrate camera` in a real window under Xvfb, on a real clip with the real face
model: real X key presses and clicks (xdotool) mirror the picture, draw an ignore zone and the
performer zone, S saves a file that loads back with them; Escape after a change only warns.
And `essence calibrate neutral` writes a baseline `run --baseline` reads; a bad camera file
given to `analyze` is one line naming the file and key."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from performance.emotion.baseline import load_baseline
from performance.emotion.mapping import EmotionMapping
from performance.render.context import fit_rect
from performance.venue.calfile import save_calibration
from performance.venue.camera import load_camera
from tests.integration.conftest import escape_warns_then_quits, running_xvfb, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.gl, pytest.mark.timeout(180)]
ROOT = Path(__file__).resolve().parents[2]
ESSENCE = [sys.executable, "-m", "performance"]
CANVAS = (640, 480)


def test_keys_and_clicks_draw_zones_and_s_saves_a_file_that_loads_back(
        tmp_path: Path, testdata: Path, face_model: Path) -> None:
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed (apt-get install xdotool)")
    out = tmp_path / "calibration" / "hall-camera.toml"
    out.parent.mkdir()
    x, y, w, h = fit_rect((640, 360), CANVAS)  # single_face.mp4 is 640x360

    def at(px: float, py: float) -> tuple[str, str]:
        return str(round(x + px * w)), str(round(y + py * h))

    with running_xvfb(size="640x480x24") as display:
        env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11",
               "PYTHONPATH": str(ROOT), "ESSENCE_FACE_MODEL": str(face_model)}
        proc = subprocess.Popen(
            [*ESSENCE, "calibrate", "camera", str(testdata / "single_face.mp4"),
             "--size", "640x480", "--out", str(out), "--width", "1280", "--height", "720"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def xdo(*args: str) -> str:
            return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                                  timeout=10).stdout.strip()

        def click(px: float, py: float) -> None:
            xdo("mousemove", "--window", window, *at(px, py))
            time.sleep(0.15)
            xdo("click", "1")
            time.sleep(0.15)

        try:
            assert wait_until(lambda: xdo("search", "--classname", ".") != "", 60)
            window = xdo("search", "--classname", ".").split()[0]
            xdo("windowfocus", "--sync", window)
            time.sleep(1.0)
            xdo("key", "--delay", "80", "m")
            for point in ((0.1, 0.1), (0.4, 0.1), (0.4, 0.4)):
                click(*point)
            xdo("key", "--delay", "80", "Return", "p")
            for point in ((0.6, 0.5), (0.9, 0.5), (0.9, 0.9), (0.6, 0.9)):
                click(*point)
            click(0.75, 0.95)
            xdo("key", "--delay", "80", "BackSpace", "Return", "s")
            assert wait_until(out.exists, 15)
            saved = load_camera(out)
            assert saved.mirror and not saved.flip
            assert (saved.width, saved.height) == (1280, 720)
            assert len(saved.ignore_zones) == 1
            got = np.array(saved.ignore_zones[0])
            assert got == pytest.approx(np.array([[0.1, 0.1], [0.4, 0.1], [0.4, 0.4]]),
                                        abs=2 / h)
            assert saved.performer_zone is not None and len(saved.performer_zone) == 4
            assert np.array(saved.performer_zone) == pytest.approx(
                np.array([[0.6, 0.5], [0.9, 0.5], [0.9, 0.9], [0.6, 0.9]]), abs=2 / h)
            text = escape_warns_then_quits(xdo, proc, "r")  # unsaved
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, text
    assert "saved" in text and "quit without saving" in text and "Traceback" not in text
    assert load_camera(out).rotation == 0  # the unsaved turn never reached the file


def test_calibrate_neutral_writes_a_baseline_from_a_clip(
        tmp_path: Path, testdata: Path, face_model: Path) -> None:
    out = tmp_path / "neutral.toml"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ESSENCE_FACE_MODEL": str(face_model)}
    done = subprocess.run([*ESSENCE, "calibrate", "neutral", str(testdata / "single_face.mp4"),
                           "--seconds", "1.5", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    mapping = EmotionMapping.load()
    values = load_baseline(out, mapping.feature_names)  # what --baseline reads
    assert values.shape == mapping.population_baseline.shape and np.isfinite(values).all()


def test_a_bad_camera_file_is_one_line_naming_file_and_key(
        tmp_path: Path, testdata: Path, face_model: Path) -> None:
    bad = tmp_path / "hall-camera.toml"
    save_calibration(bad, "camera", 1, {"picture": {"rotation": 45}})
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ESSENCE_FACE_MODEL": str(face_model)}
    done = subprocess.run([*ESSENCE, "analyze", str(testdata / "single_face.jpg"),
                           "--camera-calibration", str(bad), "--csv", "-"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"essence: {bad}: picture.rotation: must be 0, 90, 180 or 270, got 45")
    assert "Traceback" not in done.stderr
