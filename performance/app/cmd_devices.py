"""`essence devices`: the audio outputs, cameras and displays this machine offers."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
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
        window = importlib.import_module("performance.app.window")
    except ImportError as exc:
        return [f"  unknown: displays are listed by the window module ({exc})"]
    lister: Callable[[], Any] | None = getattr(window, "list_displays", None)
    if lister is None:
        return ["  unknown: this build's window module cannot list displays"]
    try:
        displays = list(lister())
    except Exception as exc:  # no X server / no display: say so, list the rest
        return [f"  none: {exc}"]
    if not displays:
        return ["  none (no display found)"]
    return ["  " + _display_line(d) for d in displays]


def _display_line(display: Any) -> str:
    index, size = getattr(display, "index", None), getattr(display, "size", None)
    if index is None or not size:
        return str(display)
    return f"{index}: {size[0]}x{size[1]}"


def _devices(args: argparse.Namespace, settings: Settings) -> int:
    for title, lines in (("audio outputs", _audio_lines), ("cameras", _camera_lines),
                         ("displays", _display_lines)):
        print(f"{title}:")
        for line in lines():
            print(line)
    return 0
