"""The real pygame window under Xvfb: it presents changing frames and keys become commands.

Each scenario runs in its own interpreter (see window_scenarios.py for why).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.gl]

SCENARIOS = Path(__file__).with_name("window_scenarios.py")


@pytest.fixture(scope="module")
def xvfb() -> Iterator[str]:
    """A private X server (Xvfb) on a free display number; yields e.g. ":97"."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed (apt-get install xvfb)")
    number = next(n for n in range(97, 200)
                  if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x720x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 10.0
    while not socket.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for a server process to come up, not pacing a test
    assert socket.exists(), f"Xvfb :{number} did not start"
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


def scenario(name: str, display: str) -> dict:
    env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11"}
    done = subprocess.run([sys.executable, str(SCENARIOS), name], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_window_presents_changing_frames_and_keys_become_commands(xvfb: str) -> None:
    seen = scenario("present", xvfb)
    assert seen["frames"] == 52  # ctrl+q posted while drawing frame 50 ends the run after 51
    assert seen["applied"] == ["Go", "Panic"]  # space, escape
    assert seen["shape"] == [180, 320, 3]
    assert seen["first_mean"] > 10  # not black
    assert seen["change"] > 1.0  # the picture moves


def test_unknown_display_index_is_a_clear_error(xvfb: str) -> None:
    assert "display 7: no such display" in scenario("bad_display", xvfb)["error"]


def test_list_displays_reports_the_xvfb_screen(xvfb: str) -> None:
    assert scenario("displays", xvfb)["displays"] == [[0, [1280, 720]]]


def test_without_a_window_system_run_says_so_instead_of_drawing_unseen() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    done = subprocess.run(
        [sys.executable, "-m", "performance", "run", "--input", "scripted", "--seconds", "1",
         "--osc-port", "0", "--no-sound"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "no window system found" in done.stderr and "--headless" in done.stderr
