"""The face sheet: faces found on tiles, cut out and laid side by side for one landmark pass.

Owns the geometry of landmarking each face the tiles found exactly once (no MediaPipe here).
The face detector finds boxes on the tiles; `build_sheets` cuts a square of the frame around
each distinct box (`face_region`: the box at `FACE_SHARE` of the square's side, so the
landmarker's own detector finds it again and its 1.5x crop of the face stays in the square),
blanks the other known faces in it, resizes it to a `CELL`-pixel cell and lays up to
`MAX_COLUMNS` x `MAX_COLUMNS` cells in one image. One landmarker pass over a sheet landmarks
its faces together: one detector pass for all of them, then each face once (a face there is
at least 1/6 of the sheet's width, well above the detector's limit). `Sheet.match` says which
landmarked face belongs to which cell (its landmarks' centre inside the cell, its box the
`same_face` as the cell's box) and maps its points back to the frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from performance.core.types import BBox
from performance.perception.tiling import Region, bbox_of, iou, same_face, to_frame

CELL = 256
"""Side of one cell in pixels: a face about as large as the landmark model's input needs."""
FACE_SHARE = 0.5
"""A face box's longer side as a share of its cell's side."""
MAX_COLUMNS = 3
"""At most 3x3 cells per sheet, so each face is at least FACE_SHARE / 3 of the sheet wide."""
BLANK_MARGIN = 0.15
"""Share of another face's box added on each side when it is blanked out of a cell."""


def face_region(bbox: BBox, width: int, height: int, share: float = FACE_SHARE) -> Region:
    """The square of the frame (pixels, may reach past its edges) centred on a frame-normalised
    box whose longer side is `share` of the square's side."""
    x0, y0, x1, y1 = bbox[0] * width, bbox[1] * height, bbox[2] * width, bbox[3] * height
    half = max(x1 - x0, y1 - y0, 1.0) / share / 2.0
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return (cx - half, cy - half, cx + half, cy + half)


def shrink(part: np.ndarray, width: int, height: int, scale: float) -> np.ndarray:
    """`part` resized to `width` x `height` (`scale` = new size / old): bilinear, as the
    landmarker samples its own crop; past 2x smaller, a centred box blur about as wide as
    the step first, so no detail aliases (OpenCV's area filter is 4x slower at such
    factors, a pyramid step shifts the picture by half a pixel)."""
    if scale < 0.5:
        k = 2 * round((1.0 / scale - 1.0) / 2.0) + 1
        part = cv2.blur(part, (k, k))
    return cv2.resize(part, (width, height), interpolation=cv2.INTER_LINEAR)


def _cell(image: np.ndarray, bbox: BBox, others: Sequence[BBox], cell: int
          ) -> tuple[np.ndarray, Region]:
    """One cell: the square around `bbox` at `cell` px (black past the frame's edges, the
    `others` blanked) and the region of the frame, in frame pixels, the whole cell shows."""
    height, width = image.shape[:2]
    rx0, ry0, rx1, ry1 = face_region(bbox, width, height)
    ix0, iy0 = max(0, math.floor(rx0)), max(0, math.floor(ry0))  # the pixels it touches
    ix1, iy1 = min(width, math.ceil(rx1)), min(height, math.ceil(ry1))
    scale = cell / (rx1 - rx0)
    ox, oy = max(0, round((ix0 - rx0) * scale)), max(0, round((iy0 - ry0) * scale))
    pw = max(1, min(cell - ox, round((ix1 - ix0) * scale)))
    ph = max(1, min(cell - oy, round((iy1 - iy0) * scale)))
    out = np.zeros((cell, cell, *image.shape[2:]), dtype=image.dtype)
    out[oy:oy + ph, ox:ox + pw] = shrink(image[iy0:iy1, ix0:ix1], pw, ph, scale)
    sx, sy = pw / (ix1 - ix0), ph / (iy1 - iy0)  # what was pasted, exactly
    region = (ix0 - ox / sx, iy0 - oy / sy, ix0 + (cell - ox) / sx, iy0 + (cell - oy) / sy)
    if others:
        kept = out[_pixels(bbox, region, width, height, cell)].copy()
        for other in others:
            out[_pixels(other, region, width, height, cell)] = 0
        out[_pixels(bbox, region, width, height, cell)] = kept
    return out, region


def _pixels(bbox: BBox, region: Region, width: int, height: int, cell: int,
            margin: float = BLANK_MARGIN) -> tuple[slice, slice]:
    """Rows and columns of a cell showing `region` that a frame-normalised box (grown by
    `margin` of its size per side) covers."""
    rx0, ry0, rx1, ry1 = region
    mx, my = margin * (bbox[2] - bbox[0]) * width, margin * (bbox[3] - bbox[1]) * height
    sx, sy = cell / (rx1 - rx0), cell / (ry1 - ry0)

    def span(lo: float, hi: float) -> slice:
        return slice(min(cell, max(0, math.floor(lo))), min(cell, max(0, math.ceil(hi))))

    return (span((bbox[1] * height - my - ry0) * sy, (bbox[3] * height + my - ry0) * sy),
            span((bbox[0] * width - mx - rx0) * sx, (bbox[2] * width + mx - rx0) * sx))


@dataclass(frozen=True)
class Sheet:
    """Cells laid out row by row: `regions[k]` is the part of the frame (pixels) cell k shows,
    `boxes[k]` the face box (frame-normalised) it was cut for."""

    image: np.ndarray
    regions: tuple[Region, ...]
    boxes: tuple[BBox, ...]
    columns: int
    cell: int = CELL

    def cell_of(self, points: np.ndarray) -> int | None:
        """The cell holding the centre of (N, 2) sheet-normalised points (None: an empty one)."""
        height, width = self.image.shape[:2]
        cx, cy = np.asarray(points, dtype=np.float64).mean(axis=0)
        col, row = math.floor(cx * width / self.cell), math.floor(cy * height / self.cell)
        k = row * self.columns + col
        inside = 0 <= col < self.columns and row >= 0 and k < len(self.regions)
        return k if inside else None

    def to_frame(self, points: np.ndarray, k: int, width: int, height: int) -> np.ndarray:
        """Sheet-normalised (N, 2) points of cell `k` as points normalised to the frame."""
        sh, sw = self.image.shape[:2]
        row, col = divmod(k, self.columns)
        local = np.asarray(points, dtype=np.float64) * (sw, sh) - (col * self.cell,
                                                                   row * self.cell)
        return to_frame(local / self.cell, self.regions[k], width, height)

    def match(self, faces: Sequence[np.ndarray], width: int, height: int
              ) -> dict[int, tuple[int, np.ndarray]]:
        """For each cell, the face (index into `faces`, sheet-normalised landmarks) that
        belongs to it, with its points mapped to the frame: its centre in the cell, the
        `same_face` as the cell's box, the best overlap when two qualify."""
        best: dict[int, tuple[float, int, np.ndarray]] = {}
        for i, pts in enumerate(faces):
            k = self.cell_of(pts)
            if k is None:
                continue
            frame_pts = self.to_frame(pts, k, width, height)
            box = bbox_of(frame_pts)
            overlap = iou(box, self.boxes[k])
            if same_face(box, self.boxes[k]) and overlap > best.get(k, (-1.0,))[0]:
                best[k] = (overlap, i, frame_pts)
        return {k: (i, pts) for k, (_, i, pts) in best.items()}


def build_sheets(image: np.ndarray, boxes: Sequence[BBox], others: Sequence[BBox] = (),
                 per_sheet: int = MAX_COLUMNS * MAX_COLUMNS, cell: int = CELL) -> list[Sheet]:
    """Sheets of the faces in `boxes` (frame-normalised), `per_sheet` at most on each (never
    more than MAX_COLUMNS squared); every other face in `boxes` and `others` is blanked out of
    each cell."""
    per_sheet = max(1, min(per_sheet, MAX_COLUMNS * MAX_COLUMNS))
    sheets = []
    for start in range(0, len(boxes), per_sheet):
        group = boxes[start:start + per_sheet]
        columns = min(MAX_COLUMNS, math.ceil(math.sqrt(len(group))))
        rows = math.ceil(len(group) / columns)
        canvas = np.zeros((rows * cell, columns * cell, *image.shape[2:]), dtype=image.dtype)
        regions = []
        for k, bbox in enumerate(group):
            blank = [b for j, b in enumerate(boxes) if j != start + k] + list(others)
            pixels, region = _cell(image, bbox, blank, cell)
            row, col = divmod(k, columns)
            canvas[row * cell:(row + 1) * cell, col * cell:(col + 1) * cell] = pixels
            regions.append(region)
        sheets.append(Sheet(canvas, tuple(regions), tuple(group), columns, cell))
    return sheets
