"""The face detector through LiteRT against MediaPipe's own face detector graph, on the same
real tiles with the same model (the landmarker bundle's `face_detector.tflite`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from performance.perception.detector import FaceBoxes
from performance.perception.tile_pass import detector_model
from performance.perception.tiling import TilingSettings, adaptive_tiles, iou

pytestmark = pytest.mark.integration

mp = pytest.importorskip("mediapipe")
vision = pytest.importorskip("mediapipe.tasks.python.vision")
from mediapipe.tasks.python import BaseOptions  # noqa: E402

from tests.integration.test_perception import (  # noqa: E402
    gallery_frame,
    gallery_photos,
    read_rgb,
)


def detector_bytes(face_model: Path) -> bytes:
    return detector_model(face_model.read_bytes(), face_model)


def test_litert_finds_the_faces_mediapipes_detector_finds_on_real_tiles(
    face_model: Path, testdata: Path
) -> None:
    model = detector_bytes(face_model)
    ours = FaceBoxes(model, face_model)
    graph = vision.FaceDetector.create_from_options(vision.FaceDetectorOptions(
        base_options=BaseOptions(model_asset_buffer=model),
        running_mode=vision.RunningMode.IMAGE, min_detection_confidence=0.5))
    from performance.perception.landmarker import FaceLandmarkerAdapter

    with FaceLandmarkerAdapter(face_model, mode="image") as plain:
        gallery = gallery_frame(plain, gallery_photos(testdata))[0]
    images = [read_rgb(testdata / "multi_face.jpg"), gallery,
              read_rgb(testdata / "single_face.jpg")]
    compared = 0
    with graph:
        for image in images:
            height, width = image.shape[:2]
            for tile in adaptive_tiles(width, height, TilingSettings(adaptive=True)):
                crop = tile.crop(image)
                result = graph.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=crop))
                theirs = [((d.bounding_box.origin_x, d.bounding_box.origin_y,
                            d.bounding_box.origin_x + d.bounding_box.width,
                            d.bounding_box.origin_y + d.bounding_box.height),
                           d.categories[0].score) for d in result.detections]
                found = ours.boxes(crop)
                # clear of the threshold, and inside the tile (MediaPipe moves a box that
                # starts past the top or left edge to start at it, keeping its size)
                confident = [(b, s) for b, s in theirs if s > 0.6 and b[0] > 0 and b[1] > 0
                             and b[2] < crop.shape[1] and b[3] < crop.shape[0]]
                for box, score in confident:
                    best = max(found, key=lambda f: iou(f[0], box), default=None)
                    assert best is not None, (tile, box)
                    assert iou(best[0], box) > 0.75, (tile, box, best)
                    assert best[1] == pytest.approx(score, abs=0.06)
                    compared += 1
                # nothing confident that MediaPipe does not see
                assert all(any(iou(b, t) > 0.5 for t, _ in theirs) for b, s in found
                           if s > 0.6), (tile, found, theirs)
    assert compared >= 10  # the faces inside tiles of the group photo and the gallery


def test_boxes_are_in_the_pixels_of_the_image_given(face_model: Path, testdata: Path) -> None:
    ours = FaceBoxes(detector_bytes(face_model), face_model)
    image = read_rgb(testdata / "single_face.jpg")
    (box, score), = ours.boxes(image)
    padded = np.zeros((image.shape[0] + 200, image.shape[1] + 100, 3), np.uint8)
    padded[200:, 100:] = image  # the same face, 100 px right and 200 px down
    (moved, _), = ours.boxes(padded)
    pixel = max(padded.shape[:2]) / 128  # one pixel of the detector's input, in the image's
    assert score > 0.8
    assert moved[0] == pytest.approx(box[0] + 100, abs=2 * pixel)
    assert moved[1] == pytest.approx(box[1] + 200, abs=2 * pixel)
    assert moved[2] - moved[0] == pytest.approx(box[2] - box[0], abs=2 * pixel)
