"""What this machine offers the show: audio outputs, cameras and displays, as lines to print."""

from __future__ import annotations


def audio_lines() -> list[str]:
    """The audio outputs by number and name (none: the show runs silent)."""
    from performance.audio.device import AudioUnavailable, list_audio_devices

    try:
        found = list_audio_devices()
    except AudioUnavailable as exc:
        return [f"  none: {exc} (the show runs silent)"]
    if not found:
        return ["  none (the show runs silent)"]
    return ["  " + d.describe() for d in found]


def camera_lines() -> list[str]:
    """The cameras the OS lists, by index and name."""
    from performance.sources.camera import list_cameras

    cameras = list_cameras()
    if not cameras:
        return ["  none listed by the OS (a camera may still open by number)"]
    return [f"  {c.index}: {c.name}" for c in cameras]


def display_lines() -> list[str]:
    """The displays a window can open on, by index and size."""
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


def device_report() -> list[tuple[str, list[str]]]:
    """(title, lines) for each kind of device, in the order `essence devices` prints them."""
    return [("audio outputs", audio_lines()), ("cameras", camera_lines()),
            ("displays", display_lines())]
