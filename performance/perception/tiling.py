"""Image geometry for perception: overlapping tiles, de-duplication, coordinate mapping.

Owns the geometry half of finding small faces (no MediaPipe here):

* `make_tiles` cuts a frame into overlapping tiles so that faces at gallery distance (5-10 % of
  the frame width) become large enough for the model's short-range face detector, which misses
  faces narrower than about 11 % of the image it is given.
* `merge_faces` removes the duplicates that overlapping tiles (and the full-frame pass) produce.
* `to_frame` / `from_frame` map normalised coordinates between a region (a tile crop, or an
  upscaled-and-padded small still) and the full frame.
* `upscale_and_pad` enlarges tiny stills (48x48 data-set crops) the way the
  calibration tables were made: short side to 192 px (bicubic), then 25 % padding per side.

Cost: with tiling the landmarker runs N tiles + 1 (full frame) inferences per frame: a 3x2
grid costs 7 detector passes (~1.5 ms each on 2 CPU cores) plus one landmark pass (~10 ms)
per face found in each pass - faces in overlaps are found 2-3 times before merging, so a
crowd of 6 costs ~120 ms per frame versus ~10 ms per face untiled (numbers in landmarker.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from performance.core.errors import ConfigError
from performance.core.types import BBox, bbox_center

P = TypeVar("P")
Region = tuple[float, float, float, float]

DETECTOR_MIN_FACE = 0.15
"""Face width, as a share of the image given to the model, that it finds reliably."""


@dataclass(frozen=True)
class Tile:
    """A crop of the frame in pixels: columns x0..x1-1, rows y0..y1-1."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def region(self) -> Region:
        return (float(self.x0), float(self.y0), float(self.x1), float(self.y1))

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The tile's pixels as a C-contiguous copy (what MediaPipe needs)."""
        return np.ascontiguousarray(image[self.y0:self.y1, self.x0:self.x1])


@dataclass(frozen=True)
class TilingSettings:
    """How to tile a frame.

    `grid` is (columns, rows) or "auto" (chosen from `min_face`, the narrowest face to find as a
    share of the frame width, keeping tiles near square). `overlap` is the share of a tile
    shared with its neighbour; it should exceed the widest face's share of a tile so every face
    lies whole inside at least one tile. `include_full_frame` adds a pass over the whole frame
    for faces too large for any tile.
    """

    grid: tuple[int, int] | Literal["auto"] = "auto"
    overlap: float = 0.25
    include_full_frame: bool = True
    min_face: float = 0.06
    min_tile_px: int = 192

    def __post_init__(self) -> None:
        if not 0.0 <= self.overlap < 0.9:
            raise ValueError(f"tiling overlap must be in [0, 0.9), got {self.overlap}")
        if self.grid != "auto" and (len(self.grid) != 2 or min(self.grid) < 1):
            raise ValueError(f"tiling grid must be (columns, rows) >= 1 or 'auto', got {self.grid}")

    @classmethod
    def parse(cls, text: str) -> TilingSettings | None:
        """The `tiles` setting: `off` -> None, `auto` -> automatic grid, `CxR` -> that many
        columns and rows. Anything else raises ConfigError naming the setting."""
        value = text.strip().lower()
        if value in ("", "off", "none", "0"):
            return None
        if value == "auto":
            return cls()
        columns, sep, rows = value.partition("x")
        if sep and columns.isdigit() and rows.isdigit() and int(columns) >= 1 and int(rows) >= 1:
            return cls(grid=(int(columns), int(rows)))
        raise ConfigError(f"tiles: expected off, auto or CxR such as 3x2, got {text!r}")


def _tile_span(length: int, count: int, overlap: float) -> float:
    return length / (count - (count - 1) * overlap)


def auto_grid(width: int, height: int, settings: TilingSettings) -> tuple[int, int]:
    """Columns and rows so a `min_face`-wide face fills DETECTOR_MIN_FACE of a tile."""
    ov = settings.overlap
    tile_share = min(1.0, settings.min_face / DETECTOR_MIN_FACE)
    cols = max(1, math.ceil((1.0 / tile_share - ov) / (1.0 - ov) - 1e-9))
    while cols > 1 and _tile_span(width, cols, ov) < settings.min_tile_px:
        cols -= 1
    tile_w = _tile_span(width, cols, ov)
    best_rows, best_err = 1, math.inf
    for rows in range(1, cols + 2):
        tile_h = _tile_span(height, rows, ov)
        if rows > 1 and tile_h < settings.min_tile_px:
            break
        err = abs(math.log(tile_h / tile_w))
        if err < best_err:
            best_rows, best_err = rows, err
    return cols, best_rows


def _spans(length: int, count: int, overlap: float) -> list[tuple[int, int]]:
    if count == 1:
        return [(0, length)]
    span = _tile_span(length, count, overlap)
    step = span * (1.0 - overlap)
    out = []
    for i in range(count):
        a = round(i * step)
        b = length if i == count - 1 else min(length, round(i * step + span))
        out.append((a, b))
    return out


def make_tiles(width: int, height: int, settings: TilingSettings) -> list[Tile]:
    """Overlapping tiles covering a `width` x `height` frame (full frame first if asked)."""
    if width < 1 or height < 1:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    cols, rows = (
        auto_grid(width, height, settings) if settings.grid == "auto" else settings.grid
    )
    tiles: list[Tile] = []
    if settings.include_full_frame or (cols, rows) == (1, 1):
        tiles.append(Tile(0, 0, width, height))
    if (cols, rows) != (1, 1):
        for y0, y1 in _spans(height, rows, settings.overlap):
            for x0, x1 in _spans(width, cols, settings.overlap):
                tiles.append(Tile(x0, y0, x1, y1))
    return tiles


def to_frame(points: np.ndarray, region: Region, width: int, height: int) -> np.ndarray:
    """Map (N, 2) points normalised to `region` (frame pixels) to points normalised to the frame."""
    rx0, ry0, rx1, ry1 = region
    pts = np.asarray(points, dtype=np.float64)
    out = np.empty_like(pts)
    out[:, 0] = (rx0 + pts[:, 0] * (rx1 - rx0)) / width
    out[:, 1] = (ry0 + pts[:, 1] * (ry1 - ry0)) / height
    return out


def from_frame(points: np.ndarray, region: Region, width: int, height: int) -> np.ndarray:
    """Inverse of `to_frame`: frame-normalised (N, 2) points to region-normalised ones."""
    rx0, ry0, rx1, ry1 = region
    pts = np.asarray(points, dtype=np.float64)
    out = np.empty_like(pts)
    out[:, 0] = (pts[:, 0] * width - rx0) / (rx1 - rx0)
    out[:, 1] = (pts[:, 1] * height - ry0) / (ry1 - ry0)
    return out


def bbox_of(points: np.ndarray) -> BBox:
    """The extent of (N, 2) normalised points, clipped to [0, 1]."""
    lo = np.clip(points.min(axis=0), 0.0, 1.0)
    hi = np.clip(points.max(axis=0), 0.0, 1.0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def iou(a: BBox, b: BBox) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _center_inside(a: BBox, b: BBox) -> bool:
    cx, cy = bbox_center(a)
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def same_face(a: BBox, b: BBox, iou_threshold: float = 0.3) -> bool:
    """Whether two boxes are the same face: enough overlap, or one's centre inside the other."""
    return iou(a, b) >= iou_threshold or _center_inside(a, b) or _center_inside(b, a)


def edge_clearance(bbox: BBox, region: Region, width: int, height: int) -> float:
    """How far (in face widths) a frame-normalised box stays from the region's inner edges.

    Edges that lie on the frame border do not count (a face cut there is cut in every tile).
    A face cut by a tile edge scores 0; the full frame scores infinity.
    """
    fw = max(1e-6, bbox[2] - bbox[0])
    rx0, rx1 = region[0] / width, region[2] / width
    ry0, ry1 = region[1] / height, region[3] / height
    gaps = []
    if rx0 > 1e-9:
        gaps.append(bbox[0] - rx0)
    if ry0 > 1e-9:
        gaps.append(bbox[1] - ry0)
    if rx1 < 1 - 1e-9:
        gaps.append(rx1 - bbox[2])
    if ry1 < 1 - 1e-9:
        gaps.append(ry1 - bbox[3])
    return max(0.0, min(gaps) / fw) if gaps else math.inf


def face_score(bbox: BBox, region: Region, width: int, height: int) -> float:
    """Rank duplicates: whole faces (away from tile edges) first, then the larger extent."""
    clear = min(edge_clearance(bbox, region, width, height), 0.25) / 0.25
    return clear + (bbox[2] - bbox[0]) * (bbox[3] - bbox[1])


def merge_faces(
    candidates: Sequence[tuple[BBox, float, P]], iou_threshold: float = 0.3
) -> list[tuple[BBox, float, P]]:
    """Keep one candidate per face: the highest score among those that are the `same_face`.

    Returns the kept (bbox, score, payload) triples, best first.
    """
    kept: list[tuple[BBox, float, P]] = []
    for cand in sorted(candidates, key=lambda c: c[1], reverse=True):
        if not any(same_face(cand[0], k[0], iou_threshold) for k in kept):
            kept.append(cand)
    return kept


def upscale_and_pad(
    image: np.ndarray, target_short: int = 192, pad: float = 0.25
) -> tuple[np.ndarray, Region]:
    """Enlarge a small image (short side to `target_short`, bicubic) and pad `pad` of its size
    on each side with black. Returns the new image and the region of the original frame, in
    original pixels, that it covers (for `to_frame`)."""
    h, w = image.shape[:2]
    scale = target_short / min(h, w)
    uw, uh = max(1, round(w * scale)), max(1, round(h * scale))
    import cv2  # imported here: importing perception must stay light (no OpenCV yet)

    up = cv2.resize(image, (uw, uh), interpolation=cv2.INTER_CUBIC)
    px, py = round(uw * pad), round(uh * pad)
    widths = ((py, py), (px, px)) + (((0, 0),) if up.ndim == 3 else ())
    padded = np.pad(up, widths, mode="constant")
    sx, sy = uw / w, uh / h
    region = (-px / sx, -py / sy, w + px / sx, h + py / sy)
    return padded, region
