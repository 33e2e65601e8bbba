"""A tiled frame's steps without a model: the detector's boxes on a tile, the sheets' pass."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from performance.core.errors import ModelError
from performance.perception.detector import PixelBox
from performance.perception.sheet import CELL
from performance.perception.tile_pass import (
    DETECTOR_MEMBER,
    LandmarkedFace,
    LandmarkPass,
    detector_model,
    landmark_on_sheets,
    tile_boxes,
)
from performance.perception.tiling import Tile


class _Boxes:
    """A detector that reports fixed boxes (tile pixels) and remembers what it was shown."""

    def __init__(self, found: list[tuple[PixelBox, float]]) -> None:
        self.found = found
        self.shown: list[np.ndarray] = []

    def boxes(self, image: np.ndarray) -> list[tuple[PixelBox, float]]:
        self.shown.append(image.copy())
        return self.found

    def close(self) -> None:
        self.found = []


def test_tile_boxes_clips_to_the_tile_normalises_to_the_frame_and_ranks_whole_faces_first(
) -> None:
    image = np.zeros((400, 800, 3), np.uint8)
    image[100:300, 400:800] = 7  # the tile's pixels, told apart from the rest
    tile = Tile(400, 100, 800, 300)
    finder = _Boxes([((150.0, 50.0, 190.0, 90.0), 0.8),  # whole, in the middle
                     ((-20.0, 60.0, 20.0, 100.0), 0.8),  # cut by the tile's left edge
                     ((500.0, 10.0, 540.0, 50.0), 0.9)])  # wholly off the tile: dropped
    boxes = tile_boxes(finder, image, tile)
    assert finder.shown[0].shape == (200, 400, 3) and finder.shown[0].min() == 7
    assert len(boxes) == 2
    (whole, whole_score), (cut, cut_score) = boxes
    assert whole == pytest.approx((550 / 800, 150 / 400, 590 / 800, 190 / 400))
    assert cut == pytest.approx((400 / 800, 160 / 400, 420 / 800, 200 / 400))
    assert whole_score > cut_score  # same confidence, but the cut one touches the edge


def _bundle(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_detector_model_comes_out_of_the_bundle_or_the_error_names_the_file() -> None:
    path = Path("/models/face_landmarker.task")
    assert detector_model(_bundle({DETECTOR_MEMBER: b"tflite"}), path) == b"tflite"
    for bundle in (_bundle({"face_landmarks_detector.tflite": b"x"}), b"not a zip"):
        with pytest.raises(ModelError, match=f"{path}: no {DETECTOR_MEMBER}"):
            detector_model(bundle, path)


def _squares_pass(runs: list[np.ndarray]) -> LandmarkPass:
    """A landmarker stand-in: in each sheet cell, the bright square's four corners (points
    normalised to the sheet), with a blendshape that says which run found it."""

    def run(sheet: np.ndarray) -> list[LandmarkedFace]:
        runs.append(sheet)
        height, width = sheet.shape[:2]
        faces: list[LandmarkedFace] = []
        for y in range(0, height, CELL):
            for x in range(0, width, CELL):
                ys, xs = np.nonzero(sheet[y:y + CELL, x:x + CELL, 0] > 128)
                if len(xs):
                    x0, x1, y0, y1 = x + xs.min(), x + xs.max() + 1, y + ys.min(), y + ys.max() + 1
                    pts = np.array([(x0, y0), (x1, y0), (x0, y1), (x1, y1)], float) / (width,
                                                                                         height)
                    faces.append((pts, {"run": float(len(runs))}, None))
        return faces

    return run


def test_each_new_face_is_landmarked_once_and_mapped_back_to_the_frame() -> None:
    image = np.zeros((540, 960, 3), np.uint8)
    squares = [(100, 100, 140, 140), (400, 300, 460, 360), (800, 50, 830, 80)]
    for x0, y0, x1, y1 in squares:
        image[y0:y1, x0:x1] = 255
    new = [((x0 / 960, y0 / 540, x1 / 960, y1 / 540), 1.0 + k)
           for k, (x0, y0, x1, y1) in enumerate(squares)]
    runs: list[np.ndarray] = []
    found = landmark_on_sheets(image, new, [], 2, _squares_pass(runs))
    assert len(runs) == 2  # three faces, two a sheet
    assert [score for _, _, score in found] == [1.0, 2.0, 3.0]  # in the order of `new`
    assert [shapes["run"] for _, (_, shapes, _), _ in found] == [1.0, 1.0, 2.0]
    for (frame_pts, _, _), (bbox, _) in zip(found, new, strict=True):
        got = (*frame_pts.min(axis=0), *frame_pts.max(axis=0))
        assert got == pytest.approx(bbox, abs=1.5 / 540)  # within a pixel and a half


def test_a_known_face_is_blanked_out_of_the_sheet() -> None:
    image = np.zeros((540, 960, 3), np.uint8)
    image[200:240, 200:240] = 255  # the new face
    image[200:240, 250:290] = 255  # a face already landmarked, beside it
    runs: list[np.ndarray] = []
    new = [((200 / 960, 200 / 540, 240 / 960, 240 / 540), 1.0)]
    known = [(250 / 960, 200 / 540, 290 / 960, 240 / 540)]
    found = landmark_on_sheets(image, new, known, 9, _squares_pass(runs))
    assert len(found) == 1
    pts = found[0][0]
    assert pts[:, 0].max() == pytest.approx(240 / 960, abs=1.5 / 960)  # not stretched to 290
