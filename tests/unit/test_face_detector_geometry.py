"""The LiteRT face detector's geometry without a model: anchors, letterbox, weighted NMS, and
the decoding of its outputs (a stand-in for LiteRT at the interpreter's boundary)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from performance.core.errors import ModelError
from performance.perception import detector
from performance.perception.detector import (
    INPUT_SIDE,
    FaceBoxes,
    anchor_centres,
    letterbox,
    weighted_nms,
)


def test_anchors_follow_the_models_two_feature_maps_in_order() -> None:
    anchors = anchor_centres()
    assert anchors.shape == (896, 2)  # 16x16 cells x 2 + 8x8 cells x 6
    np.testing.assert_allclose(anchors[0], anchors[1])  # two anchors per stride-8 cell
    np.testing.assert_allclose(anchors[0], (0.5 / 16, 0.5 / 16))
    np.testing.assert_allclose(anchors[2], (1.5 / 16, 0.5 / 16))  # x runs first
    np.testing.assert_allclose(anchors[32], (0.5 / 16, 1.5 / 16))  # then the next row
    np.testing.assert_allclose(anchors[512:518], [(0.5 / 8, 0.5 / 8)] * 6)
    np.testing.assert_allclose(anchors[-1], (7.5 / 8, 7.5 / 8))


def test_letterbox_keeps_the_aspect_and_centres_the_picture() -> None:
    image = np.full((100, 200, 3), 255, np.uint8)  # white, twice as wide as high
    placed = letterbox(image)
    tensor, oy = placed.tensor, placed.oy
    assert tensor.shape == (INPUT_SIDE, INPUT_SIDE, 3) and tensor.dtype == np.float32
    assert placed.sx == placed.sy == pytest.approx(INPUT_SIDE / 200) and placed.ox == 0
    assert oy == 32
    assert tensor[oy:oy + 64].min() == pytest.approx(1.0)  # the picture, in [-1, 1]
    assert tensor[:oy].max() == -1.0 and tensor[oy + 64:].max() == -1.0  # black bars


def test_letterbox_maps_boxes_back_through_the_pasted_pictures_own_scale() -> None:
    placed = letterbox(np.zeros((640, 800, 3), np.uint8))  # 102.4 rows: 102 pasted
    assert (placed.ox, placed.oy) == (0, 13)
    picture = np.array([[placed.ox, placed.oy, placed.ox + 128, placed.oy + 102]], float)
    np.testing.assert_allclose(placed.to_image(picture), [[0, 0, 800, 640]])  # not 637.5


def test_weighted_nms_averages_a_group_by_score_and_keeps_distinct_faces() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=np.float64)
    scores = np.array([0.9, 0.3, 0.6])
    kept = weighted_nms(boxes, scores)
    assert [s for _, s in kept] == [0.9, 0.6]  # best first, each group's best score
    np.testing.assert_allclose(kept[0][0], (0.25, 0.25, 10.25, 10.25))  # (0.9*0 + 0.3*1)/1.2
    assert kept[1][0] == (50.0, 50.0, 60.0, 60.0)
    assert weighted_nms(np.zeros((0, 4)), np.zeros(0)) == []


class _Net:
    """LiteRT's interpreter as the detector sees it: fixed outputs for any input."""

    outputs: ClassVar[list[np.ndarray]] = []

    def __init__(self, model: bytes, path: object, *, threads: int = 1) -> None:
        self.input_shape = (1, INPUT_SIDE, INPUT_SIDE, 3)

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        return self.outputs


def _outputs(rows: dict[int, tuple[float, float, float, float]], logit: float = 5.0
             ) -> list[np.ndarray]:
    """Scores first, then boxes (the detector tells them apart by shape): anchors in `rows`
    get (dx, dy, w, h) in input pixels and a confident logit, the rest -10."""
    boxes = np.zeros((1, 896, 16), np.float32)
    scores = np.full((1, 896, 1), -10.0, np.float32)
    for k, box in rows.items():
        boxes[0, k, :4] = box
        scores[0, k, 0] = logit
    return [scores, boxes]


def test_outputs_are_told_apart_by_shape_and_unsound_boxes_are_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detector, "TfliteModel", _Net)
    _Net.outputs = _outputs({})
    finder = FaceBoxes(b"", Path("det.tflite"))
    # anchor 0 sits at (4, 4) of the 128 px input, anchor 512 at (8, 8)
    _Net.outputs = _outputs({0: (60.0, 60.0, 20.0, 20.0), 512: (np.nan, 0.0, 10.0, 10.0),
                             513: (50.0, 50.0, 0.0, 10.0)})
    found = finder.boxes(np.zeros((128, 128, 3), np.uint8))
    assert len(found) == 1  # the NaN box and the one without width are gone
    (box, score) = found[0]
    np.testing.assert_allclose(box, (54.0, 54.0, 74.0, 74.0))
    assert score == pytest.approx(1 / (1 + np.exp(-5.0)))


def test_a_model_that_is_not_the_detector_is_refused_when_loaded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detector, "TfliteModel", _Net)
    _Net.outputs = [np.zeros((1, 7), np.float32)]  # an expression network's output
    with pytest.raises(ModelError, match=r"det\.tflite: not the face detector"):
        FaceBoxes(b"", Path("det.tflite"))
