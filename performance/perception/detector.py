"""The face detector alone, run with LiteRT: what the crowd tiling runs on each tile.

Owns reading the landmarker bundle's own first stage (`face_detector.tflite`, BlazeFace
short-range: a 128x128 RGB image in [-1, 1] in; 896 anchors' box offsets and scores out)
without a MediaPipe graph around it, which costs about 2 ms a call on top of the network's
1 ms (`bench/bench_tiling.py` prints both). It does what MediaPipe's face detector graph does
with this model, and is tested against it on real tiles
(`tests/integration/test_face_detector.py`):

* the image letterboxed into 128x128 (aspect kept, centred, black bars), bilinear;
* SSD anchors on two feature maps: 16x16 cells with 2 anchors each (stride 8) and 8x8 cells
  with 6 (stride 16), centred in their cells, of unit size;
* each anchor's first four numbers are the box's centre offset and size in input pixels;
  the score is the sigmoid of its logit (clipped to +-100), kept from `min_score` up;
* weighted non-maximum suppression: boxes overlapping the best remaining one by more than
  0.3 IoU are averaged into it, weighted by score, keeping its score.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

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


def letterbox(image: np.ndarray, side: int = INPUT_SIDE) -> tuple[np.ndarray, float, int, int]:
    """The model's input for an RGB uint8 image, and the scale and offsets (x, y) that map the
    image's pixels into it."""
    height, width = image.shape[:2]
    scale = side / max(width, height)
    rw, rh = max(1, round(width * scale)), max(1, round(height * scale))
    ox, oy = (side - rw) // 2, (side - rh) // 2
    tensor = np.full((side, side, 3), -1.0, dtype=np.float32)
    small = cv2.resize(image, (rw, rh), interpolation=cv2.INTER_LINEAR)
    tensor[oy:oy + rh, ox:ox + rw] = small.astype(np.float32) / 127.5 - 1.0
    return tensor, scale, ox, oy


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

    def boxes(self, image: np.ndarray) -> list[tuple[PixelBox, float]]:
        """The faces in an RGB uint8 image: boxes in its pixels, with scores, best first."""
        tensor, scale, ox, oy = letterbox(image)
        regressors, logits = self._net.run(tensor[None])
        raw = regressors.reshape(-1, regressors.shape[-1])
        logit = np.clip(logits.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
        scores = 1.0 / (1.0 + np.exp(-logit))
        keep = np.nonzero(scores >= self.min_score)[0]
        if keep.size == 0:
            return []
        centre = raw[keep, :2] / INPUT_SIDE + self._anchors[keep]
        half = raw[keep, 2:4] / INPUT_SIDE / 2.0
        corners = np.concatenate([centre - half, centre + half], axis=1) * INPUT_SIDE
        pixels = (corners - (ox, oy, ox, oy)) / scale
        return weighted_nms(pixels.astype(np.float64), scores[keep].astype(np.float64))

    def close(self) -> None:
        """Nothing to release beyond the interpreter, which goes with the object."""
