"""A tiled frame's steps between the face detector and the landmarker, with neither imported.

Owns the detector's model inside the landmarker bundle (`detector_model`), a detector pass
over one tile as frame-normalised, ranked boxes (`tile_boxes`), and landmarking the new faces
once each on face sheets (`landmark_on_sheets`, sheet.py's geometry). The detector is any
`BoxFinder` (detector.py's `FaceBoxes` through LiteRT, or MediaPipe's detector graph in
landmarker.py); the landmarker is a `LandmarkPass`, one IMAGE-mode pass over an image.
landmarker.py decides when a frame is tiled and counts the passes.

Cost (`bench/bench_tiling.py`; on the 2-core CI machine, XNNPACK): a detector pass costs
about a fifth of a face's landmarking (0.83-0.88 ms through LiteRT against 4.5-4.7 ms a face;
on an earlier machine 2.0-2.4 against 11-13). A tiled still adds the detector on the frame and
each tile (1 + 6 for 3x2) and one sheet pass, however many faces: six gallery faces cost
~1.25-1.35x per face what six faces large enough for the untiled pass cost, each landmarked
once. A stream with a crowd in view scans the tiles once a second and follows its faces
between scans: 1.15-1.2x per face.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from performance.core.errors import ModelError
from performance.core.types import BBox
from performance.perception.detector import PixelBox
from performance.perception.sheet import build_sheets
from performance.perception.tiling import Tile, face_score

DETECTOR_MEMBER = "face_detector.tflite"
"""The face detector inside the landmarker bundle (a zip), run alone on tiles."""

LandmarkedFace = tuple[np.ndarray, dict[str, float], np.ndarray | None]
"""One face a landmarker pass found: (478, 2) points normalised to the image it was given,
the blendshapes by name, the facial transformation matrix (None when absent)."""
LandmarkPass = Callable[[np.ndarray], list[LandmarkedFace]]
"""One IMAGE-mode landmarker pass over an RGB image."""


class BoxFinder(Protocol):
    """A face detector: boxes in the pixels of the image it is given, with scores."""

    def boxes(self, image: np.ndarray) -> list[tuple[PixelBox, float]]:
        """The faces in an RGB uint8 image, best first."""
        ...

    def close(self) -> None:
        """Release the detector."""
        ...


def detector_model(bundle: bytes, path: Path) -> bytes:
    """The face detector's model bytes out of the landmarker bundle read from `path`; a
    ModelError naming `path` when the bundle has none."""
    try:
        with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
            return archive.read(DETECTOR_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelError(f"{path}: no {DETECTOR_MEMBER} to tile with ({exc})") from exc


def tile_boxes(finder: BoxFinder, image: np.ndarray, tile: Tile) -> list[tuple[BBox, float]]:
    """One detector pass over `tile` of `image`: its faces' boxes clipped to the tile and
    normalised to the frame, each ranked by `face_score` (whole ones first)."""
    height, width = image.shape[:2]
    boxes: list[tuple[BBox, float]] = []
    for (bx0, by0, bx1, by1), confidence in finder.boxes(image[tile.y0:tile.y1,
                                                               tile.x0:tile.x1]):
        x0, y0 = max(0.0, bx0), max(0.0, by0)
        x1, y1 = min(float(tile.width), bx1), min(float(tile.height), by1)
        if x1 > x0 and y1 > y0:
            bbox = ((tile.x0 + x0) / width, (tile.y0 + y0) / height,
                    (tile.x0 + x1) / width, (tile.y0 + y1) / height)
            boxes.append((bbox, face_score(bbox, tile.region, width, height, confidence)))
    return boxes


def landmark_on_sheets(image: np.ndarray, new: Sequence[tuple[BBox, float]],
                       known: Sequence[BBox], per_sheet: int, run: LandmarkPass
                       ) -> list[tuple[np.ndarray, LandmarkedFace, float]]:
    """Landmark each face of `new` (frame-normalised box, score) once: cut onto face sheets
    (`known` faces blanked out of every cell), one `run` per sheet. Returns, for each face a
    sheet's pass matched to its cell, its points normalised to the frame, what the pass found
    and the box's score, in the order of `new`."""
    height, width = image.shape[:2]
    out: list[tuple[np.ndarray, LandmarkedFace, float]] = []
    start = 0
    for sheet in build_sheets(image, [bbox for bbox, _ in new], known, per_sheet):
        results = run(sheet.image)
        matched = sheet.match([pts for pts, _, _ in results], width, height)
        for k, (i, frame_pts) in sorted(matched.items()):
            out.append((frame_pts, results[i], new[start + k][1]))
        start += len(sheet.boxes)
    return out
