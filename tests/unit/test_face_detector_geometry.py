"""The LiteRT face detector's geometry without a model: anchors, letterbox, weighted NMS."""

from __future__ import annotations

import numpy as np
import pytest

from performance.perception.detector import INPUT_SIDE, anchor_centres, letterbox, weighted_nms


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
    tensor, scale, ox, oy = letterbox(image)
    assert tensor.shape == (INPUT_SIDE, INPUT_SIDE, 3) and tensor.dtype == np.float32
    assert scale == pytest.approx(INPUT_SIDE / 200) and (ox, oy) == (0, 32)
    assert tensor[oy:oy + 64].min() == pytest.approx(1.0)  # the picture, in [-1, 1]
    assert tensor[:oy].max() == -1.0 and tensor[oy + 64:].max() == -1.0  # black bars


def test_weighted_nms_averages_a_group_by_score_and_keeps_distinct_faces() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=np.float64)
    scores = np.array([0.9, 0.3, 0.6])
    kept = weighted_nms(boxes, scores)
    assert [s for _, s in kept] == [0.9, 0.6]  # best first, each group's best score
    np.testing.assert_allclose(kept[0][0], (0.25, 0.25, 10.25, 10.25))  # (0.9*0 + 0.3*1)/1.2
    assert kept[1][0] == (50.0, 50.0, 60.0, 60.0)
    assert weighted_nms(np.zeros((0, 4)), np.zeros(0)) == []
