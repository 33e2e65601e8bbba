"""The face detector alone, run with LiteRT: what the crowd tiling runs on each tile.

Owns reading the landmarker bundle's own first stage (`face_detector.tflite`, BlazeFace
short-range: a 128x128 RGB image in [-1, 1] in; 896 anchors' box offsets and scores out)
without a MediaPipe graph around it: x0.77-0.82 of the graph's time a call (0.83-0.88 ms
against 1.03-1.08 ms on the 2-core CI machine; `bench/bench_tiling.py` prints both).
The model is checked when it is loaded (its input, its two outputs, one zero tensor run), so
a model it cannot read is a ModelError there and the tiles fall back to MediaPipe's graph.
It does what MediaPipe's face detector graph does with this model, and is tested against it
on real tiles (`tests/integration/test_face_detector.py`):

* the image letterboxed into 128x128 (aspect kept, centred, black bars), bilinear; boxes
  mapped back through the pasted picture's own scale on each axis;
* SSD anchors on two feature maps: 16x16 cells with 2 anchors each (stride 8) and 8x8 cells
  with 6 (stride 16), centred in their cells, of unit size;
* each anchor's first four numbers are the box's centre offset and size in input pixels;
  the score is the sigmoid of its logit (clipped to +-100), kept from `min_score` up; boxes
  that are not finite or have no size are dropped;
* weighted non-maximum suppression: boxes overlapping the best remaining one by more than
  0.3 IoU are averaged into it, weighted by score, keeping its score.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from performance.core.errors import ModelError
from performance.perception.litert import TfliteModel

INPUT_SIDE = 128
LAYERS = ((8, 2), (16, 6))
"""(stride, anchors per cell) of the model's two feature maps."""
NMS_IOU = 0.3
SCORE_CLIP = 100.0

PixelBox = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in the pixels of the image given to the detector."""


def anchor_centres(side: int = INPUT_SIDE) -> np.ndarray:
    """(896, 2) anchor centres, normalised to the input, in the model's output order."""
    centres = []
    for stride, per_cell in LAYERS:
        cells = side // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], axis=1)
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres)


class Letterbox(NamedTuple):
    """Where the picture sits in the model's input: input pixels = image pixels x (sx, sy)
    + (ox, oy)."""

    tensor: np.ndarray
    sx: float
    sy: float
    ox: int
    oy: int

    def to_image(self, corners: np.ndarray) -> np.ndarray:
        """(N, 4) boxes (x0, y0, x1, y1) in input pixels as boxes in the image's pixels."""
        offset = np.array([self.ox, self.oy, self.ox, self.oy], dtype=np.float64)
        scale = np.array([self.sx, self.sy, self.sx, self.sy], dtype=np.float64)
        return (np.asarray(corners, dtype=np.float64) - offset) / scale


def letterbox(image: np.ndarray, side: int = INPUT_SIDE) -> Letterbox:
    """The model's input for an RGB uint8 image, and where the image sits in it."""
    height, width = image.shape[:2]
    scale = side / max(width, height)
    rw, rh = max(1, min(side, round(width * scale))), max(1, min(side, round(height * scale)))
    ox, oy = (side - rw) // 2, (side - rh) // 2
    tensor = np.full((side, side, 3), -1.0, dtype=np.float32)
    small = cv2.resize(image, (rw, rh), interpolation=cv2.INTER_LINEAR)
    tensor[oy:oy + rh, ox:ox + rw] = small.astype(np.float32) / 127.5 - 1.0
    return Letterbox(tensor, rw / width, rh / height, ox, oy)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float = NMS_IOU
                 ) -> list[tuple[PixelBox, float]]:
    """Merge overlapping (N, 4) boxes: each group around the best remaining box becomes the
    score-weighted mean of its members, with the best member's score; best first."""
    order = np.argsort(-scores, kind="stable")
    boxes, scores = boxes[order], scores[order]
    areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1],
                                                                  0, None)
    left = np.ones(len(boxes), dtype=bool)
    out: list[tuple[PixelBox, float]] = []
    for i in range(len(boxes)):
        if not left[i]:
            continue
        ix = np.clip(np.minimum(boxes[i, 2], boxes[:, 2]) - np.maximum(boxes[i, 0], boxes[:, 0]),
                     0, None)
        iy = np.clip(np.minimum(boxes[i, 3], boxes[:, 3]) - np.maximum(boxes[i, 1], boxes[:, 1]),
                     0, None)
        inter = ix * iy
        union = areas[i] + areas - inter
        overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        group = left & (overlap > threshold)
        group[i] = True
        weights = scores[group]
        merged = (boxes[group] * weights[:, None]).sum(axis=0) / weights.sum()
        x0, y0, x1, y1 = (float(v) for v in merged)
        out.append(((x0, y0, x1, y1), float(scores[i])))
        left &= ~group
    return out


class FaceBoxes:
    """The bundle's face detector through LiteRT: `boxes(image)` finds faces in one image.

    One thread calls it (not thread-safe). Raises ModelError naming `path` when LiteRT cannot
    load the detector."""

    def __init__(self, model: bytes, path: Path, *, min_score: float = 0.5,
                 threads: int = 1) -> None:
        self._net = TfliteModel(model, path, threads=threads)
        self._anchors = anchor_centres()
        self.min_score = float(min_score)
        if self._net.input_shape != (1, INPUT_SIDE, INPUT_SIDE, 3):
            raise ModelError(f"{path}: the face detector takes {self._net.input_shape}, not a"
                             f" {INPUT_SIDE}x{INPUT_SIDE} RGB image")
        try:
            self._outputs(self._net.run(np.zeros(self._net.input_shape, np.float32)))
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{path}: not the face detector the tiles run ({exc})") from exc

    def _outputs(self, outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(896, >=4) box regressors and (896,) score logits, told apart by their shape."""
        anchors = len(self._anchors)
        by_width = {o.size // anchors: o.reshape(anchors, -1) for o in outputs
                    if o.size % anchors == 0}
        if len(outputs) != 2 or 1 not in by_width or max(by_width) < 4:
            raise ValueError(f"outputs {[o.shape for o in outputs]}, expected {anchors}"
                             " anchors' boxes and scores")
        return by_width[max(by_width)], by_width[1][:, 0]

    def boxes(self, image: np.ndarray) -> list[tuple[PixelBox, float]]:
        """The faces in an RGB uint8 image: boxes in its pixels, with scores, best first."""
        placed = letterbox(image)
        raw, logits = self._outputs(self._net.run(placed.tensor[None]))
        logit = np.clip(logits.astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
        scores = 1.0 / (1.0 + np.exp(-logit))
        keep = np.nonzero(scores >= self.min_score)[0]
        centre = raw[keep, :2] / INPUT_SIDE + self._anchors[keep]
        half = raw[keep, 2:4] / INPUT_SIDE / 2.0
        pixels = placed.to_image(np.concatenate([centre - half, centre + half], axis=1)
                                 * INPUT_SIDE)
        sound = np.isfinite(pixels).all(axis=1) & (pixels[:, 2] > pixels[:, 0]) & (
            pixels[:, 3] > pixels[:, 1])
        if not sound.any():
            return []
        return weighted_nms(pixels[sound], scores[keep][sound])

    def close(self) -> None:
        """Nothing to release beyond the interpreter, which goes with the object."""
