"""`essence devices`: the audio outputs, cameras and displays this machine offers."""

from __future__ import annotations

import argparse
from typing import Any

from performance.config import Settings


def register(sub: Any) -> None:
    """Add `devices` to the `essence` parser."""
    devices = sub.add_parser(
        "devices", help="list audio outputs, cameras and displays (numbers and names to use)"
    )
    devices.set_defaults(handler=_devices)


def _audio_lines() -> list[str]:
    from performance.audio.device import AudioUnavailable, list_audio_devices

    try:
        found = list_audio_devices()
    except AudioUnavailable as exc:
        return [f"  none: {exc} (the show runs silent)"]
    if not found:
        return ["  none (the show runs silent)"]
    return ["  " + d.describe() for d in found]


def _camera_lines() -> list[str]:
    from performance.sources.camera import list_cameras

    cameras = list_cameras()
    if not cameras:
        return ["  none listed by the OS (a camera may still open by number)"]
    return [f"  {c.index}: {c.name}" for c in cameras]


def _display_lines() -> list[str]:
    try:
        from performance.adapters.window import list_displays
    except ImportError as exc:  # pygame (SDL) missing: say so, list the rest
        return [f"  unknown: displays are listed by the window module ({exc})"]
    try:
        displays = list_displays()
    except Exception as exc:  # no X server / no display: say so, list the rest
        return [f"  none: {exc}"]
    if not displays:
        return ["  none (no display found)"]
    return [f"  {d.index}: {d.size[0]}x{d.size[1]}" for d in displays]


def _devices(args: argparse.Namespace, settings: Settings) -> int:
    for title, lines in (("audio outputs", _audio_lines), ("cameras", _camera_lines),
                         ("displays", _display_lines)):
        print(f"{title}:")
        for line in lines():
            print(line)
    return 0
