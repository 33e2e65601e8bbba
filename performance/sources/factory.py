"""What an `--input` string means, in one place for every command.

Owns the dispatch from a spec to a source: digits -> camera index; an existing folder or
image file -> ImageSource; an existing other file -> VideoFileSource; "synthetic" ->
SyntheticSource; a path-looking spec that does not exist -> InputError("no such file");
anything else -> a camera name fragment. Also the file-kind helpers and the expansion of
`essence analyze` arguments into media files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from performance.core.clock import Clock, MonotonicClock
from performance.core.errors import InputError
from performance.sources.base import FrameSource
from performance.sources.camera import CameraSource
from performance.sources.images import ImageSource, expand_paths, is_image_path
from performance.sources.synthetic import SyntheticSource
from performance.sources.video import VideoFileSource, is_video_path
from performance.venue.camera import CameraCalibration

SYNTHETIC = "synthetic"


def looks_like_path(spec: str) -> bool:
    """Whether a spec is meant as a file: it has a separator, starts with . or ~, or has a
    media extension. Camera names ("HD Webcam C920") do not."""
    s = spec.strip()
    if not s:
        return False
    if "/" in s or "\\" in s or os.sep in s or s.startswith((".", "~")):
        return True
    return is_image_path(s) or is_video_path(s)


def open_source(
    spec: str,
    *,
    loop: bool = False,
    hold: bool = False,
    clock: Clock | None = None,
    camera: CameraCalibration | None = None,
) -> FrameSource:
    """Open the source an `--input` spec names (see the module docstring for the rules).

    `loop`/`hold` apply to files and stills; `clock` times camera frames (a MonotonicClock
    when not given). `camera`: a camera calibration; its mirror/flip/rotation/crop apply to
    every source (a rehearsal video of the same camera reads the same zones), its
    resolution and fps to a camera, and its device replaces the default camera
    (DEFAULT_CAMERA; an input naming another camera or a file wins). Raises InputError
    naming the file or device when it cannot be opened.
    """
    source = _open(spec, loop=loop, hold=hold, clock=clock, camera=camera)
    if camera is not None and camera.changes_picture:
        from performance.sources.transform import CalibratedSource

        return CalibratedSource(source, camera)
    return source


DEFAULT_CAMERA = "0"
"""The input of `essence run` when none is given: a camera calibration's device replaces it."""


def _open(spec: str, *, loop: bool, hold: bool, clock: Clock | None,
          camera: CameraCalibration | None) -> FrameSource:
    text = spec.strip()
    if camera is not None and camera.device and text == DEFAULT_CAMERA:
        text = camera.device
    if not text:
        raise InputError("--input", "empty input: give a camera index, a file or a folder")
    if camera is not None and not looks_like_path(text) and text.lower() != SYNTHETIC:
        return CameraSource(int(text) if text.isdigit() else text,
                            clock=clock or MonotonicClock(), width=camera.width or None,
                            height=camera.height or None, fps=camera.fps or None)
    if text.isdigit():
        return CameraSource(int(text), clock=clock or MonotonicClock())
    if text.lower() == SYNTHETIC:
        return SyntheticSource()
    path = Path(text).expanduser()
    if path.exists():
        if path.is_dir() or is_image_path(path):
            return ImageSource([path], loop=loop, hold=hold)
        return VideoFileSource(path, loop=loop, hold=hold)
    if looks_like_path(text):
        raise InputError(path, "no such file")
    return CameraSource(text, clock=clock or MonotonicClock())


def expand_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """Files and folders -> the media files to analyse, in the order given.

    A folder contributes its images and videos (not recursive), sorted by name; a file is
    kept as given. InputError for a missing path or a folder without media.
    """
    return expand_paths(paths, lambda p: is_image_path(p) or is_video_path(p),
                        "folder contains no images or videos")
