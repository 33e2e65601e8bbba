"""`essence check --kiosk`: what would stop an unattended run, found before the doors open.

Beside the ordinary checks (show file, shaders, models, audio outputs) it reports: no
display or not the chosen one, screen blanking or DPMS on (read with `xset q` where X11
and xset are there), no camera, no sound output, a nearly full disk under the state
folder, a state folder that cannot be written, the opening hours, and the systemd unit
not installed or not enabled. One OK/FAIL/INFO line each (runtime/check.py's Report).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping

from performance.core.errors import ConfigError, InputError
from performance.kiosk.hours import parse_hours
from performance.kiosk.state import StatePaths
from performance.kiosk.unit import UnitState, unit_path, unit_state
from performance.runtime.check import Report

MIN_FREE_BYTES = 1_000_000_000  # less free space than this under the state folder: FAIL
MIN_FREE_SHARE = 0.05


def check_display(report: Report, display: int, environ: Mapping[str, str]) -> None:
    """A display server, and display `display` on it."""
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        report.fail("display", "no DISPLAY or WAYLAND_DISPLAY: the kiosk needs a desktop "
                    "session (log the gallery user in automatically)")
        return
    from performance.adapters.window import list_displays

    try:
        displays = list_displays()
    except Exception as exc:  # SDL cannot reach the server: a finding, not a crash
        report.fail("display", f"cannot open the display server ({exc})")
        return
    if not 0 <= display < len(displays):
        report.fail("display", f"display {display} not found ({len(displays)} connected: "
                    + "; ".join(_size(d.size) for d in displays) + ")")
        return
    report.ok("display", f"display {display}: {_size(displays[display].size)}")


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def check_blanking(report: Report, environ: Mapping[str, str]) -> None:
    """Screen blanking and DPMS, from `xset q` (X11 only)."""
    if not environ.get("DISPLAY") or shutil.which("xset") is None:
        report.info("screen blanking", "cannot tell (needs X11 and xset); switch off the "
                    "screen saver and power saving in the desktop's settings")
        return
    try:
        out = subprocess.run(["xset", "q"], capture_output=True, text=True, timeout=5,
                             env=dict(environ), check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        report.info("screen blanking", f"cannot tell (xset q failed: {exc})")
        return
    timeout = re.search(r"timeout:\s+(\d+)", out)
    dpms_on = "DPMS is Enabled" in out
    problems = []
    if timeout is not None and int(timeout.group(1)) > 0:
        problems.append(f"the screen saver blanks after {timeout.group(1)} s (`xset s off`)")
    if dpms_on:
        problems.append("DPMS power saving is on (`xset -dpms`)")
    if problems:
        report.fail("screen blanking", "; ".join(problems))
    else:
        report.ok("screen blanking", "screen saver off" + ("" if "DPMS" not in out
                                                          else ", DPMS off"))


def check_camera(report: Report, spec: str) -> None:
    """The input opens and gives a frame (a video file or a camera)."""
    from performance.sources.factory import open_source

    try:
        source = open_source(spec)
    except InputError as exc:
        report.fail("camera", f"{exc} (the kiosk would start without an audience and retry)")
        return
    try:
        frame = source.read()
    except Exception as exc:  # a camera that opens but gives nothing
        report.fail("camera", f"{source.name} opens but gives no frame ({exc})")
        return
    finally:
        source.close()
    what = "no frame" if frame is None else f"{frame.image.shape[1]}x{frame.image.shape[0]}"
    report.ok("camera", f"{source.name}: {what}")


def check_sound_output(report: Report) -> None:
    """At least one output (a kiosk without one plays silent all day)."""
    from performance.audio.device import list_audio_devices

    try:
        devices = list_audio_devices()
    except Exception as exc:  # PortAudio errors are findings
        report.fail("sound output", f"cannot list output devices ({exc})")
        return
    if not devices:
        report.fail("sound output", "no output device: the kiosk would play silent")
    else:
        report.ok("sound output", str(devices[0]) + (f" (+{len(devices) - 1} more)"
                                                     if len(devices) > 1 else ""))


def check_state(report: Report, paths: StatePaths) -> None:
    """The state folder can be written and its disk is not nearly full."""
    try:
        paths.folder.mkdir(parents=True, exist_ok=True)
        probe = paths.folder / ".check"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        report.fail("state folder", f"{paths.folder} cannot be written ({exc}): no resume "
                    "point, no health report")
        return
    usage = shutil.disk_usage(paths.folder)
    free_gb = usage.free / 1e9
    if usage.free < MIN_FREE_BYTES or usage.free < MIN_FREE_SHARE * usage.total:
        report.fail("disk", f"only {free_gb:.1f} GB free under {paths.folder}")
    else:
        report.ok("disk", f"{free_gb:.1f} GB free under {paths.folder}")


def check_hours(report: Report, text: str) -> None:
    """The opening hours parse (else the kiosk refuses to start)."""
    try:
        hours = parse_hours(text)
    except ConfigError as exc:
        report.fail("opening hours", str(exc))
        return
    report.ok("opening hours", "always open" if hours.always else text)


def check_unit(report: Report) -> None:
    """The systemd user unit is written and enabled."""
    state = unit_state()
    if state is UnitState.ENABLED:
        report.ok("systemd unit", f"{unit_path()} enabled")
    elif state is UnitState.INSTALLED:
        report.fail("systemd unit", f"{unit_path()} is not enabled: systemctl --user enable "
                    "--now essence-kiosk.service")
    else:
        report.fail("systemd unit", "not installed: essence kiosk --install-unit")


def run_kiosk_checks(report: Report, *, spec: str, display: int, hours: str,
                     paths: StatePaths, environ: Mapping[str, str] | None = None) -> None:
    """Every kiosk check into `report`."""
    env = os.environ if environ is None else environ
    check_display(report, display, env)
    check_blanking(report, env)
    check_camera(report, spec)
    check_sound_output(report)
    check_state(report, paths)
    check_hours(report, hours)
    check_unit(report)
