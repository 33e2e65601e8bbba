"""The real pygame window under Xvfb: it presents changing frames and keys become commands.

Each scenario runs in its own interpreter (see window_scenarios.py for why).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import running_xvfb

pytestmark = [pytest.mark.integration, pytest.mark.gl]

SCENARIOS = Path(__file__).with_name("window_scenarios.py")


@pytest.fixture(scope="module")
def xvfb() -> Iterator[str]:
    """A private X server for this module's windows."""
    with running_xvfb() as display:
        yield display


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


def test_without_a_window_system_calibrate_says_what_to_do_without_an_option_it_lacks() -> None:
    """`calibrate projector` has no --headless (it fits a screen): the message says to set
    DISPLAY, and offers --headless only to the commands that take it."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    done = subprocess.run(
        [sys.executable, "-m", "performance", "calibrate", "projector", "--venue", "hall"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    mine = [line for line in done.stderr.splitlines() if line.startswith("essence: ")]
    assert len(mine) == 1 and "set DISPLAY to the screen" in mine[0], done.stderr
    assert "run and rehearse take --headless" in mine[0]
