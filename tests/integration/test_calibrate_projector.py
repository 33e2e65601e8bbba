"""`essence calibrate projector` in a real window under Xvfb: real X key presses (xdotool)
move a corner fine and coarse, an OSC message from a "tablet" pins another, a real mouse
drag moves a third, S saves a file
that loads back with the moved corners; Escape after a change only warns; a bad file given
to `run` is one line naming the file and key, before any window opens."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from performance.control.wire import build_message
from performance.venue.homography import apply, square_to_quad
from performance.venue.projector import load_projector
from tests.integration.conftest import (
    escape_warns_then_quits,
    free_udp_port,
    running_xvfb,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.gl, pytest.mark.timeout(150)]
ROOT = Path(__file__).resolve().parents[2]
ESSENCE = [sys.executable, "-m", "performance"]


def test_keys_and_osc_move_corners_and_s_saves_a_file_that_loads_back(tmp_path: Path) -> None:
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed (apt-get install xdotool)")
    out = tmp_path / "calibration" / "hall-display0.toml"
    out.parent.mkdir()
    port = free_udp_port()
    with running_xvfb(size="640x360x24") as display:
        env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11",
               "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [*ESSENCE, "calibrate", "projector", "--windowed", "--size", "320x180",
             "--venue", "Hall", "--output-name", "HDMI-1", "--out", str(out),
             "--osc-port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def xdo(*args: str) -> str:
            return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                                  timeout=10).stdout.strip()

        try:
            assert wait_until(lambda: xdo("search", "--classname", ".") != "", 60)
            window = xdo("search", "--classname", ".").split()[0]
            xdo("windowfocus", "--sync", window)
            xdo("key", "--delay", "60", "2", "Left", "Left", "Left", "shift+Down", "s")
            assert wait_until(out.exists, 10)
            saved = load_projector(out)
            assert saved.corners[1] == pytest.approx((1 - 3 / 320, 10 / 180))
            assert saved.output == "HDMI-1" and saved.venue == "Hall"
            assert saved.size == (320, 180)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tablet:
                tablet.sendto(build_message("/essence/calibrate/corner", [4, 0.1, 0.9]),
                              ("127.0.0.1", port))
                time.sleep(0.5)
                before = out.stat().st_mtime_ns
                tablet.sendto(build_message("/essence/calibrate/save"), ("127.0.0.1", port))
            assert wait_until(lambda: out.stat().st_mtime_ns != before, 10)
            assert load_projector(out).corners[3] == pytest.approx((0.1, 0.9))
            # a mouse drag: press near corner 3 (bottom-right), move, release, then S
            xdo("mousemove", "--window", window, "315", "175")
            xdo("mousedown", "1")
            xdo("mousemove", "--window", window, "300", "168")
            xdo("mousemove", "--window", window, "288", "162")
            xdo("mouseup", "1")
            before = out.stat().st_mtime_ns
            xdo("key", "s")
            assert wait_until(lambda: out.stat().st_mtime_ns != before, 10)
            dragged = load_projector(out)
            assert dragged.corners[2] == pytest.approx((288 / 320, 162 / 180), abs=1.5 / 180)
            assert dragged.corners[3] == pytest.approx((0.1, 0.9))
            # mesh editing (M): drag the centre node where the corner-pin shows it
            xdo("key", "m")
            centre = apply(square_to_quad(dragged.corners), [(0.5, 0.5)])[0]
            px, py = round(centre[0] * 320), round(centre[1] * 180)
            xdo("mousemove", "--window", window, str(px), str(py))
            xdo("mousedown", "1")
            xdo("mousemove", "--window", window, str(px + 6), str(py + 3))
            xdo("mousemove", "--window", window, str(px + 12), str(py + 6))
            xdo("mouseup", "1")
            before = out.stat().st_mtime_ns
            xdo("key", "s")
            assert wait_until(lambda: out.stat().st_mtime_ns != before, 10)
            meshed = load_projector(out)
            assert meshed.mesh is not None and meshed.corners == dragged.corners
            assert meshed.mesh.offset(2, 2) == pytest.approx(
                ((px + 12) / 320 - centre[0], (py + 6) / 180 - centre[1]), abs=1.5 / 180)
            assert sum(1 for o in meshed.mesh.offsets if o != (0.0, 0.0)) == 1
            text = escape_warns_then_quits(xdo, proc, "1", "Right")  # unsaved
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, text
    assert "unsaved changes" in text and "quit without saving" in text
    assert "Traceback" not in text
    final = load_projector(out)
    assert final.corners[0] == (0.0, 0.0) and final.corners[3] == pytest.approx((0.1, 0.9))


def test_a_bad_calibration_stops_run_with_one_line_naming_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "hall-display0.toml"
    bad.write_text('kind = "projector"\nschema = 1\n[output]\nname = "x"\nsize = [1920, 1080]\n'
                   '[corners]\npoints = [[0, 0], [1, 0], [1, 1], [0, 1]]\n'
                   '[picture]\ngamma = -1\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "ALSA_CONFIG_PATH": str(ROOT / "tests" / "data" / "alsa-null.conf")}
    for command in (["run", "--headless", "--input", "scripted", "--seconds", "1",
                     "--osc-port", "0"],
                    ["render", "--input", "scripted", "--seconds", "0.2",
                     "--out", str(tmp_path / "x.mp4")]):
        done = subprocess.run([*ESSENCE, *command, "--calibration", str(bad)],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert lines[-1].startswith(f"essence: {bad}: picture.gamma: = -1"), done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.mp4").exists()
