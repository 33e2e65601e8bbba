"""A frozen live input: how long a source has been giving the same image.

Owns telling a camera that hands on the same picture (a hung driver, a capture card showing
its last frame) from a still room: the CRC of a subsample of each image (`SAMPLE` rows and
columns), counted as repeated from `SAME_MIN_FRAMES` equal images on, and never for a
uniform image (a dark room, a lens cap: those are real pictures of nobody). The capture
worker calls the source stalled once the time reaches its stall time (capture.py).
"""

from __future__ import annotations

import zlib

import numpy as np

SAME_MIN_FRAMES = 3  # an image repeated fewer times than this is never called frozen
SAMPLE = (48, 64)  # rows, columns of the subsample whose CRC tells repeated images apart


class Repeats:
    """How long a source has been giving the same image (the CRC of a subsample)."""

    def __init__(self) -> None:
        self.crc: int | None = None
        self.since = 0.0
        self.count = 0

    def seen(self, image: np.ndarray, now: float) -> float:
        """Seconds the image has been the same at `now` (0 until `SAME_MIN_FRAMES` repeats,
        and for a uniform image)."""
        rows, cols = image.shape[:2]
        sample = image[::max(1, rows // SAMPLE[0]), ::max(1, cols // SAMPLE[1])]
        if sample.size == 0 or sample.min() == sample.max():  # dark, capped: no verdict
            self.crc, self.count = None, 0
            return 0.0
        crc = zlib.crc32(np.ascontiguousarray(sample).data)
        if crc != self.crc:
            self.crc, self.since, self.count = crc, now, 1
            return 0.0
        self.count += 1
        return now - self.since if self.count >= SAME_MIN_FRAMES else 0.0
