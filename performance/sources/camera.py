"""Cameras as a frame source: finding one by index or name, opening it, reading it live.

Owns the camera names the OS reports (Linux: /sys/class/video4linux/video*/name), the
resolution/fps requests, timestamps from the injected clock, and the errors: a camera that
cannot be opened (InputError naming the device) and one that stops mid-run (SourceLost).
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2

from performance.core.clock import Clock
from performance.core.errors import InputError
from performance.core.types import Frame
from performance.sources.base import FrameSource, SourceLost
from performance.sources.cvlog import quiet_opencv

log = logging.getLogger(__name__)
quiet_opencv()  # the rig names what is wrong with a camera itself (cvlog.py)

SYSFS_VIDEO4LINUX = Path("/sys/class/video4linux")


@dataclass(frozen=True)
class CameraInfo:
    """A camera the OS lists: its index (as in /dev/videoN) and its name."""

    index: int
    name: str


class CaptureLike(Protocol):
    """The part of cv2.VideoCapture a camera source uses (tests inject a fake)."""

    def isOpened(self) -> bool: ...  # cv2's name
    def read(self) -> tuple[bool, Any]: ...
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def release(self) -> None: ...


def _open_cv2_capture(index: int) -> CaptureLike:
    backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    return cv2.VideoCapture(index, backend)


def _to_rgb(image: Any) -> Any:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def list_cameras(sysfs: Path = SYSFS_VIDEO4LINUX) -> list[CameraInfo]:
    """Cameras the OS names, by index. Empty where names are not available (not Linux).

    One USB camera often has several /dev/video nodes (capture + metadata); only the first
    node of each device (sysfs `index` 0) is listed when that attribute exists.
    """
    if not sysfs.is_dir():
        return []
    found: list[CameraInfo] = []
    for node in sysfs.glob("video*"):
        suffix = node.name[len("video"):]
        if not suffix.isdigit():
            continue
        try:
            name = (node / "name").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
        try:
            if int((node / "index").read_text().strip()) != 0:
                continue
        except (OSError, ValueError):
            pass  # no index attribute: keep the node
        found.append(CameraInfo(int(suffix), name or node.name))
    return sorted(found, key=lambda c: c.index)


def describe_camera(index: int) -> str:
    """'camera 0 (/dev/video0)' on Linux, 'camera 0' elsewhere."""
    if sys.platform.startswith("linux"):
        return f"camera {index} (/dev/video{index})"
    return f"camera {index}"


def find_camera(fragment: str, cameras: list[CameraInfo]) -> CameraInfo:
    """The first camera whose name contains `fragment` (case-insensitive); InputError if none."""
    wanted = fragment.strip().casefold()
    for cam in cameras:
        if wanted and wanted in cam.name.casefold():
            return cam
    if cameras:
        names = "; ".join(f"{c.index}: {c.name}" for c in cameras)
        reason = f"no camera name contains this (available: {names})"
    elif sys.platform.startswith("linux"):
        reason = "no camera name contains this (no cameras found)"
    else:
        reason = "cameras can only be chosen by name on Linux; give an index such as 0"
    raise InputError(f"camera '{fragment}'", reason)


class CameraSource(FrameSource):
    """A live camera, by index or by a fragment of its name.

    `width`, `height` and `fps` are requests; `size` and `fps` report what the camera gives.
    Timestamps come from `clock` and are strictly increasing; `media_time` is the time since
    the first frame. `read()` raises SourceLost when the camera stops delivering.
    """

    is_live = True

    def __init__(
        self,
        spec: int | str,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        clock: Clock,
        capture_factory: Callable[[int], CaptureLike] = _open_cv2_capture,
        camera_lister: Callable[[], list[CameraInfo]] = list_cameras,
    ) -> None:
        self.clock = clock
        if isinstance(spec, int) or spec.strip().isdigit():
            self.index = int(spec)
            self.name = describe_camera(self.index)
            known = {c.index: c.name for c in camera_lister()}
            if self.index in known:
                self.name = f"{self.name} '{known[self.index]}'"
        else:
            cam = find_camera(spec, camera_lister())
            self.index = cam.index
            self.name = f"{describe_camera(cam.index)} '{cam.name}'"
        self._cap: CaptureLike | None = capture_factory(self.index)
        if not self._cap.isOpened():
            self._cap.release()
            self._cap = None
            raise InputError(self.name, "cannot open this camera (missing, busy or no permission)")
        if width is not None:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(width))
        if height is not None:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(height))
        if fps is not None:
            self._cap.set(cv2.CAP_PROP_FPS, float(fps))
        got_fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(got_fps) if math.isfinite(got_fps) and got_fps > 0 else fps
        w, h = self._cap.get(cv2.CAP_PROP_FRAME_WIDTH), self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
        self.size = (int(w), int(h)) if w > 0 and h > 0 else None
        self.frame_count = None
        self._index = 0
        self._start: float | None = None
        self._last_t = -math.inf

    def read(self) -> Frame | None:
        if self._cap is None:
            raise SourceLost(self.name, "camera is closed")
        ok, bgr = self._cap.read()
        if not ok or bgr is None or getattr(bgr, "size", 0) == 0:
            raise SourceLost(self.name, "camera stopped delivering frames")
        t = self.clock.now()
        if t <= self._last_t:
            t = math.nextafter(self._last_t, math.inf)
        self._last_t = t
        if self._start is None:
            self._start = t
        h, w = bgr.shape[:2]
        self.size = (int(w), int(h))
        frame = Frame(
            image=_to_rgb(bgr),
            timestamp=t,
            index=self._index,
            source=self.name,
            media_time=t - self._start,
        )
        self._index += 1
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
