"""Image geometry for perception: overlapping tiles, de-duplication, coordinate mapping.

Owns the geometry half of finding small faces (no MediaPipe here):

* `make_tiles` cuts a frame into overlapping tiles so that faces at gallery distance (5-10 % of
  the frame width) become large enough for the model's short-range face detector, which misses
  faces narrower than about 11 % of the image it is given.
* `merge_faces` removes the duplicates that overlapping tiles (and the full-frame pass) produce:
  the face detector's boxes from the tiles, before each distinct face is landmarked once on a
  face sheet (sheet.py).
* `to_frame` / `from_frame` map normalised coordinates between a region (a tile, a sheet's
  cell, or an upscaled-and-padded small still) and the full frame.
* `upscale_and_pad` enlarges tiny stills (48x48 data-set crops) the way the
  calibration tables were made: short side to 192 px (bicubic), then 25 % padding per side.
* The `adaptive` mode (the default of the `tiles` setting) decides per frame whether to tile:
  `small_faces_likely` is its rule for one frame, `TilingSchedule` throttles it for streams.

The adaptive rule. A frame is tiled only when it is large enough to cut (`can_tile`: the
automatic grid has more than one tile, each at least `min_tile_px`) and a first look at the
whole frame found no face or only faces narrower than `small_face` (20 % of the frame width:
people far enough back that others beside them may be under the detector's limit). For a
still that first look is the face detector alone (the landmarker then runs untiled only when
a larger face is there, so a still with someone at the camera costs what untiled costs, one
detector pass more); for a stream (VIDEO mode) it is the untiled landmarker pass, which
tracks between frames, and the rule is checked at most once every `recheck_s` (1 s) of frame
time; when a tiled frame finds faces the untiled pass missed, every frame is tiled until
tiles have found nothing new for `crowd_hold_s` (1 s), whatever the untiled pass finds
meanwhile (someone stepping close to the camera does not hide the crowd). So a live run
with a face wider than 20 % in view never tiles, and one with nobody, or only people the
untiled pass finds, pays one tiled frame a second: its detector passes, and no landmark run
for a face the untiled pass found.

Cost: a tiled frame runs the face detector alone on each tile (a 3x2 grid: 6 passes, each
about a fifth of a face's landmarking) and the landmarker once per sheet of up to 9 faces,
so each face is landmarked once, whichever tiles it lies in; a stream
with a crowd in view scans the tiles once a second (`TilingSchedule.scan_due`) and follows its
faces between scans (numbers in tile_pass.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

import numpy as np

from performance.core.errors import ConfigError
from performance.core.types import BBox, bbox_center

P = TypeVar("P")
Region = tuple[float, float, float, float]

DETECTOR_MIN_FACE = 0.15
"""Face width, as a share of the image given to the model, that it finds reliably."""
SMALL_FACE = 0.2
"""`adaptive` tiles when the untiled pass found no face wider than this share of the frame."""


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
        """The tile's pixels as a C-contiguous copy (what MediaPipe needs), never a view."""
        return np.array(image[self.y0:self.y1, self.x0:self.x1], order="C", copy=True)


@dataclass(frozen=True)
class TilingSettings:
    """How to tile a frame.

    `grid` is (columns, rows) or "auto" (chosen from `min_face`, the narrowest face to find as a
    share of the frame width, keeping tiles near square). `overlap` is the share of a tile
    shared with its neighbour; it should exceed the widest face's share of a tile so every face
    lies whole inside at least one tile. `include_full_frame` adds a pass over the whole frame
    for faces too large for any tile.

    `adaptive` (the `tiles = "adaptive"` setting) runs the untiled pass first and tiles only
    when small faces are likely (see the module's docstring): when the untiled pass found no
    face wider than `small_face` of the frame width; in a stream at most every `recheck_s`
    seconds, and on every frame while tiles keep finding faces the untiled pass missed (until
    `crowd_hold_s` without one).
    """

    grid: tuple[int, int] | Literal["auto"] = "auto"
    overlap: float = 0.25
    include_full_frame: bool = True
    min_face: float = 0.06
    min_tile_px: int = 192
    adaptive: bool = False
    small_face: float = SMALL_FACE
    recheck_s: float = 1.0
    crowd_hold_s: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.overlap < 0.9:
            raise ValueError(f"tiling overlap must be in [0, 0.9), got {self.overlap}")
        if not 0.0 < self.small_face <= 1.0:
            raise ValueError(f"tiling small_face must be in (0, 1], got {self.small_face}")
        if self.recheck_s < 0.0 or self.crowd_hold_s < 0.0:
            raise ValueError("tiling recheck_s and crowd_hold_s must not be negative")
        if self.grid != "auto" and (len(self.grid) != 2 or min(self.grid) < 1):
            raise ValueError(f"tiling grid must be (columns, rows) >= 1 or 'auto', got {self.grid}")

    @classmethod
    def parse(cls, text: str) -> TilingSettings | None:
        """The `tiles` setting: `adaptive` -> tile when small faces are likely (automatic
        grid), `off` -> None, `auto` -> automatic grid on every frame, `CxR` -> that many
        columns and rows on every frame. Anything else raises ConfigError naming the setting."""
        value = text.strip().lower()
        if value in ("", "off", "none", "0"):
            return None
        if value == "adaptive":
            return cls(adaptive=True)
        if value == "auto":
            return cls()
        columns, sep, rows = value.partition("x")
        if sep and columns.isdigit() and rows.isdigit() and int(columns) >= 1 and int(rows) >= 1:
            return cls(grid=(int(columns), int(rows)))
        raise ConfigError(
            f"tiles: expected adaptive, off, auto or CxR such as 3x2, got {text!r}")


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


def grid_of(width: int, height: int, settings: TilingSettings) -> tuple[int, int]:
    """The (columns, rows) `settings` cut a `width` x `height` frame into."""
    return auto_grid(width, height, settings) if settings.grid == "auto" else settings.grid


def make_tiles(width: int, height: int, settings: TilingSettings) -> list[Tile]:
    """Overlapping tiles covering a `width` x `height` frame (full frame first if asked)."""
    if width < 1 or height < 1:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    cols, rows = grid_of(width, height, settings)
    tiles: list[Tile] = []
    if settings.include_full_frame or (cols, rows) == (1, 1):
        tiles.append(Tile(0, 0, width, height))
    if (cols, rows) != (1, 1):
        for y0, y1 in _spans(height, rows, settings.overlap):
            for x0, x1 in _spans(width, cols, settings.overlap):
                tiles.append(Tile(x0, y0, x1, y1))
    return tiles


def can_tile(width: int, height: int, settings: TilingSettings) -> bool:
    """Whether the frame is large enough for tiling to help: its grid has more than one tile
    (the automatic grid drops columns and rows whose tiles would be under `min_tile_px`)."""
    return grid_of(width, height, settings) != (1, 1)


def small_faces_likely(width: int, height: int, face_widths: Sequence[float],
                       settings: TilingSettings) -> bool:
    """The adaptive rule for one frame: tile when the frame is large enough to cut and the
    untiled pass found no face, or only faces narrower than `settings.small_face` (widths as
    shares of the frame width)."""
    return can_tile(width, height, settings) and all(w < settings.small_face for w in face_widths)


class TilingSchedule:
    """When the adaptive mode tiles the frames of one stream (times in seconds, increasing).

    `should_tile` is asked once per frame after the untiled pass; `record` is told, after a
    tiled frame, how many faces its tiles found that the untiled pass had missed. Frames are
    tiled while a crowd is in view (tiles found a new face within `crowd_hold_s`); otherwise
    at most one frame every `recheck_s`, and only when `small_faces_likely`. A tiled frame
    with faces to follow (those the last tiled frame found) runs the detector over the tiles
    only when `scan_due` (once every `recheck_s`, told by `scanned`); between scans it
    landmarks those faces where they were. Time going backwards (a new stream) starts afresh.
    """

    def __init__(self, settings: TilingSettings) -> None:
        self.settings = settings
        self._next_check = -math.inf
        self._crowd_until = -math.inf
        self._next_scan = -math.inf
        self._last_t = -math.inf

    @property
    def crowd(self) -> bool:
        """Whether the last tiled frames found faces the untiled pass missed (tiling on)."""
        return self._last_t < self._crowd_until

    def should_tile(self, t: float, width: int, height: int,
                    face_widths: Sequence[float]) -> bool:
        if t < self._last_t:
            self._next_check = self._crowd_until = self._next_scan = -math.inf
        self._last_t = t
        if t < self._crowd_until and can_tile(width, height, self.settings):
            return True
        return t >= self._next_check and small_faces_likely(width, height, face_widths,
                                                            self.settings)

    def record(self, t: float, new_faces: int) -> None:
        self._next_check = t + self.settings.recheck_s
        if new_faces > 0:
            self._crowd_until = t + self.settings.crowd_hold_s

    def scan_due(self, t: float) -> bool:
        """Whether a tiled frame at `t` with faces to follow looks at the tiles again."""
        return t >= self._next_scan

    def scanned(self, t: float) -> None:
        """A tiled frame at `t` ran the detector over the tiles."""
        self._next_scan = t + self.settings.recheck_s


def adaptive_tiles(width: int, height: int, settings: TilingSettings) -> list[Tile]:
    """The tiles the adaptive mode runs after its untiled pass (no second full-frame pass)."""
    return make_tiles(width, height, replace(settings, include_full_frame=False))


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


def face_score(bbox: BBox, region: Region, width: int, height: int,
               confidence: float = 0.0) -> float:
    """Rank duplicates: whole faces (away from tile edges) first, then the detector's
    `confidence` (in [0, 1]; a face seen large on a tile scores higher than the same face at
    the detector's limit on the whole frame, where a box can span two neighbours), then the
    larger extent."""
    clear = min(edge_clearance(bbox, region, width, height), 0.25) / 0.25
    return clear + confidence + 0.1 * (bbox[2] - bbox[0]) * (bbox[3] - bbox[1])


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
