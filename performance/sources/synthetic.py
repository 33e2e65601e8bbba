"""A generated frame source (moving gradients, no faces) for demos and plumbing tests.

Owns a deterministic picture sequence: the same seed gives the same frames, and timestamps
are index / fps. Needs no camera, file or decoder.
"""

from __future__ import annotations

import numpy as np

from performance.core.types import Frame
from performance.sources.base import FrameSource


class SyntheticSource(FrameSource):
    """Deterministic moving colour gradients; `frames=None` never ends."""

    is_live = False

    def __init__(
        self,
        width: int = 320,
        height: int = 240,
        fps: float = 30.0,
        frames: int | None = None,
        seed: int = 0,
    ) -> None:
        if width <= 0 or height <= 0:
            raise ValueError(f"synthetic frames need a positive size, got {width}x{height}")
        if fps <= 0:
            raise ValueError(f"synthetic fps must be positive, got {fps}")
        if frames is not None and frames < 0:
            raise ValueError(f"synthetic frame count cannot be negative, got {frames}")
        self.name = f"synthetic {width}x{height}@{fps:g} seed {seed}"
        self.fps = float(fps)
        self._fps = float(fps)
        self.frame_count = frames
        self.size = (width, height)
        self.seed = seed
        rng = np.random.default_rng(seed)
        # Per-channel direction, speed (px per frame) and phase of a sawtooth gradient.
        angles = rng.uniform(0.0, 2.0 * np.pi, size=3)
        self._speed = rng.uniform(1.0, 4.0, size=3).astype(np.float32)
        self._phase = rng.uniform(0.0, 256.0, size=3).astype(np.float32)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        self._base = np.stack(
            [np.cos(a) * xs + np.sin(a) * ys for a in angles], axis=-1
        ).astype(np.float32)
        self._index = 0
        self._closed = False

    def render(self, index: int) -> np.ndarray:
        """The RGB uint8 picture of frame `index` (pure function of seed, size and index)."""
        shift = np.mod(self._phase + self._speed.astype(np.float64) * index, 256.0)
        values = np.mod(self._base + shift.astype(np.float32), 256.0)
        return values.astype(np.uint8)

    def read(self) -> Frame | None:
        if self._closed or (self.frame_count is not None and self._index >= self.frame_count):
            return None
        i = self._index
        self._index += 1
        t = i / self._fps
        return Frame(image=self.render(i), timestamp=t, index=i, source=self.name, media_time=t)

    def close(self) -> None:
        self._closed = True
