"""`essence check --kiosk` against real things: an X server whose screen saver blanks and one
whose does not (read with the real `xset q`), a real clip and a missing camera, the unit
written by `essence kiosk --install-unit` before and after it is enabled, no display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import running_xvfb

ROOT = Path(__file__).resolve().parents[2]
ESSENCE = [sys.executable, "-m", "performance"]

pytestmark = pytest.mark.integration


def check(tmp_path: Path, *args: str, **env: str) -> tuple[int, dict[str, str]]:
    """Run the check; (exit status, what -> its OK/FAIL/INFO line)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    environ.update(ESSENCE_STATE_DIR=str(tmp_path / "state"),
                   XDG_CONFIG_HOME=str(tmp_path / "config"), SDL_VIDEODRIVER="x11",
                   ALSA_CONFIG_PATH=str(ROOT / "tests" / "data" / "alsa-null.conf"),
                   PYTHONPATH=str(ROOT), **env)
    done = subprocess.run([*ESSENCE, "check", "--kiosk", "--no-gl", *args], env=environ,
                          capture_output=True, text=True, timeout=120)
    lines = {}
    for line in done.stdout.splitlines():
        status, _, rest = line.partition("  ")
        what, _, _ = rest.strip().partition(":")
        if status.strip() in ("OK", "FAIL", "INFO"):
            lines[what] = line
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, lines


def test_kiosk_preflight_finds_what_would_stop_an_unattended_run(tmp_path: Path,
                                                                 testdata: Path) -> None:
    clip = str(testdata / "WolfgangLanger_Pexels.mp4")
    with running_xvfb(size="800x600x24") as blanking:
        status, lines = check(tmp_path, "--input", "9", "--display", "1", DISPLAY=blanking)
    assert status == 1
    assert lines["screen blanking"].startswith("FAIL") and "600 s" in lines["screen blanking"]
    assert lines["display"].startswith("FAIL") and "display 1 not found" in lines["display"]
    assert lines["camera"].startswith("FAIL") and "camera 9" in lines["camera"]
    assert lines["systemd unit"].startswith("FAIL") and "--install-unit" in lines["systemd unit"]
    assert lines["disk"].startswith("OK") and lines["sound output"].startswith("OK")
    installed = subprocess.run([*ESSENCE, "kiosk", "--install-unit", "--input", clip],
                               env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
                                    "PYTHONPATH": str(ROOT)},
                               capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr
    assert "systemctl --user enable --now essence-kiosk.service" in installed.stdout
    with running_xvfb("-s", "0", size="800x600x24") as quiet:
        status, lines = check(tmp_path, "--input", clip, DISPLAY=quiet)
        assert lines["systemd unit"].startswith("FAIL") and "not enabled" in lines["systemd unit"]
        user = tmp_path / "config" / "systemd" / "user"
        wants = user / "graphical-session.target.wants"
        wants.mkdir()
        (wants / "essence-kiosk.service").symlink_to(user / "essence-kiosk.service")
        status, lines = check(tmp_path, "--input", clip, DISPLAY=quiet)
    assert lines["screen blanking"].startswith("OK")
    assert lines["display"].startswith("OK") and "800x600" in lines["display"]
    assert lines["camera"].startswith("OK") and "WolfgangLanger" in lines["camera"]
    assert lines["systemd unit"].startswith("OK")
    status, lines = check(tmp_path, "--input", clip)  # no display at all
    assert lines["display"].startswith("FAIL") and "no DISPLAY" in lines["display"]
