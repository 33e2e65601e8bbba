"""The camera calibration's zones on the operator preview (rehearse, run --operator)."""

from __future__ import annotations

import numpy as np
from skimage import data as skdata

from performance.core.types import Frame, RoomEmotion
from performance.operator.preview import IGNORE_COLOUR, PERFORMER_COLOUR, preview_image
from performance.venue.camera import CameraCalibration


def test_zones_are_drawn_where_they_are_on_the_preview() -> None:
    frame = Frame(image=np.ascontiguousarray(skdata.astronaut()), timestamp=0.0, index=0,
                  source="t")
    cal = CameraCalibration(ignore_zones=(((0.1, 0.1), (0.4, 0.1), (0.4, 0.4), (0.1, 0.4)),),
                            performer_zone=((0.6, 0.6), (0.9, 0.6), (0.9, 0.9), (0.6, 0.9)))
    plain = preview_image(frame, None, RoomEmotion(0.0), 320)
    zoned = preview_image(frame, None, RoomEmotion(0.0), 320, camera=cal)
    assert plain.shape == zoned.shape == (320, 320, 4)

    def colour_at(image: np.ndarray, x: float, y: float) -> tuple[int, ...]:
        return tuple(int(v) for v in image[round(y * 319), round(x * 319)])

    assert colour_at(zoned, 0.25, 0.1) == IGNORE_COLOUR  # the ignore zone's top edge
    assert colour_at(plain, 0.25, 0.1) != IGNORE_COLOUR
    assert colour_at(zoned, 0.6, 0.75) == PERFORMER_COLOUR  # the performer zone's left edge
    assert colour_at(zoned, 0.75, 0.3) == colour_at(plain, 0.75, 0.3)  # elsewhere untouched
