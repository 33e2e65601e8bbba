"""`PictureTap`: the render process's side of the console's small pictures.

Owns when they are made: at most every PICTURE_EVERY seconds of the injected `now`, the
stage's thumbnail (the audience image, shrunk on the GPU: `Compositor.thumbnail`, never an
overlay), and, only when the sink shares camera pictures (the user opted in), the camera
preview with the operator's face boxes (`operator.preview.preview_image`). Without that
opt-in the camera frame is never read here. Pictures go into a newest-wins `PictureSink`
(console/pictures.py), so this never waits for the console.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from performance.console.pictures import (
    PICTURE_EVERY,
    THUMBNAIL_WIDTH,
    Picture,
    PictureKind,
    PictureSink,
)
from performance.core.types import Frame
from performance.operator.info import OperatorInfo
from performance.operator.preview import preview_image

if TYPE_CHECKING:
    from performance.render.context import Compositor
    from performance.venue.camera import CameraCalibration

log = logging.getLogger(__name__)


def fit_width(width: int, height: int, box: int = THUMBNAIL_WIDTH) -> int:
    """The width that fits a `width` x `height` picture into a `box`-pixel square (a
    portrait picture is narrower, so every picture fits the shared block)."""
    if height <= width:
        return box
    return max(1, round(box * width / height))


def picture(rgb: np.ndarray, taken: float) -> Picture:
    """A Picture of an (h, w, 3) uint8 RGB image, row 0 at the top."""
    h, w = rgb.shape[:2]
    return Picture(w, h, np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8).tobytes(), taken)


class PictureTap:
    """Offered every frame by the output (`offer`, after the stage is on the output and
    before the overlays); puts the pictures into `sink` when due.

    `latest_frame` is the input's newest camera frame (None: no camera); it is called only
    when `sink.wants(PictureKind.CAMERA)`. `camera` draws its zones on the preview, as on
    the operator's. `every`: seconds between two rounds of pictures.
    """

    def __init__(self, sink: PictureSink, *,
                 latest_frame: Callable[[], Frame | None] | None = None,
                 camera: CameraCalibration | None = None,
                 every: float = PICTURE_EVERY) -> None:
        self.sink = sink
        self.latest_frame = latest_frame if sink.wants(PictureKind.CAMERA) else None
        self.camera = camera
        self.every = every
        self.shared: dict[PictureKind, int] = {kind: 0 for kind in PictureKind}  # so far
        self._due: float | None = None
        self._frame_index: int | None = None  # the camera frame shared last

    def offer(self, now: float, compositor: Compositor, info: OperatorInfo) -> None:
        """Share this frame's pictures if `every` seconds passed since the last ones."""
        if self._due is not None and now < self._due:
            return
        self._due = now + self.every
        sw, sh = compositor.stage.size
        self._put(PictureKind.STAGE, picture(compositor.thumbnail(fit_width(sw, sh)), now))
        if self.latest_frame is None:
            return  # not opted in (or no camera): the camera frame is never touched
        frame = self.latest_frame()
        if frame is None or frame.index == self._frame_index:
            return
        self._frame_index = frame.index
        h, w = frame.image.shape[:2]
        rgba = preview_image(frame, info.observations, info.emotion, fit_width(w, h),
                             camera=self.camera)
        self._put(PictureKind.CAMERA, picture(rgba, now))

    def _put(self, kind: PictureKind, shot: Picture) -> None:
        if self.sink.put(kind, shot):
            self.shared[kind] += 1
        else:
            log.debug("%s picture %dx%d not shared (too large)", kind, shot.width, shot.height)
