"""The camera calibration applied to frames: mirror, flip, quarter turns and the crop.

The picture perception and the operator preview see is the source's image mirrored
(left-right), flipped (top-bottom), turned clockwise, then cropped, in that order
(venue/camera.py), with OpenCV's flip and rotate (bench/bench_camera.py measures it).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from performance.core.types import Frame
from performance.sources.base import FrameSource
from performance.venue.camera import CameraCalibration, Rotation

_ROTATE = {Rotation.CW90: cv2.ROTATE_90_CLOCKWISE, Rotation.HALF: cv2.ROTATE_180,
           Rotation.CW270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def transform_image(image: np.ndarray, cal: CameraCalibration) -> np.ndarray:
    """`image` (H x W x C) as the calibration turns and cuts it (the same array when the
    calibration changes nothing; else a C-contiguous copy)."""
    if not cal.changes_picture:
        return image
    out = _turn(image, cal.mirror, cal.flip, cal.rotation)
    if not cal.crop.is_full:
        h, w = out.shape[:2]
        left, top, right, bottom = cal.crop.pixels(w, h)
        out = out[top:bottom, left:right]
    return np.ascontiguousarray(out)


def _turn(image: np.ndarray, mirror: bool, flip: bool, rotation: Rotation) -> np.ndarray:
    """Mirror, flip, then turn, as one OpenCV call (two at most): a flip is a mirror and a
    half turn, so every case is an optional mirror then a turn, and a mirror then a quarter
    turn is a transpose, flipped both ways or not (separate calls are several times slower)."""
    turns = int(rotation) // 90
    if flip:
        mirror, turns = not mirror, (turns + 2) % 4
    if not mirror:
        return image if turns == 0 else cv2.rotate(image, _ROTATE[Rotation(turns * 90)])
    if turns == 0:
        return cv2.flip(image, 1)
    if turns == 2:
        return cv2.flip(image, 0)
    transposed = cv2.transpose(image)
    return transposed if turns == 3 else cv2.flip(transposed, -1)


def transformed_size(size: tuple[int, int], cal: CameraCalibration) -> tuple[int, int]:
    """The (width, height) of a `size` picture after the calibration."""
    w, h = size
    if cal.rotation in (Rotation.CW90, Rotation.CW270):
        w, h = h, w
    left, top, right, bottom = cal.crop.pixels(w, h)
    return right - left, bottom - top


class CalibratedSource(FrameSource):
    """A source whose frames come out as the camera calibration turns and cuts them."""

    def __init__(self, inner: FrameSource, calibration: CameraCalibration) -> None:
        self.inner = inner
        self.calibration = calibration
        self.name = inner.name
        self.is_live = inner.is_live
        self.fps = inner.fps
        self.frame_count = inner.frame_count

        self._follow()

    def _follow(self) -> None:
        """Take the inner source's size (a camera learns it at its first frame) and note."""
        inner = self.inner.size
        self.size = None if inner is None else transformed_size(inner, self.calibration)
        self.end_note = self.inner.end_note

    def read(self) -> Frame | None:
        frame = self.inner.read()
        self._follow()
        if frame is None:
            return None
        return replace(frame, image=transform_image(frame.image, self.calibration))

    def close(self) -> None:
        self.inner.close()
