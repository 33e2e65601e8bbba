"""Face sheet geometry without the model: cells around each box, layout, blanking of other
faces, the frame's edges, and mapping a face found on the sheet back to the frame."""

from __future__ import annotations

import numpy as np
import pytest

from performance.perception.sheet import (
    CELL,
    FACE_SHARE,
    MAX_COLUMNS,
    build_sheets,
    face_region,
)
from performance.perception.tiling import bbox_of, iou

W, H = 1920, 1080


def box_at(cx: float, cy: float, size: float = 0.06) -> tuple[float, float, float, float]:
    """A square face box (in pixels) centred at frame-normalised (cx, cy), `size` of the width."""
    half_w, half_h = size / 2, size * W / H / 2
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def frame_with_patches(boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
    """A grey frame with each box filled with a distinct bright colour."""
    frame = np.full((H, W, 3), 100, np.uint8)
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        colour = (150 + 20 * (k % 5), 250, 0)
        frame[round(y0 * H):round(y1 * H), round(x0 * W):round(x1 * W)] = colour
    return frame


def corners(bbox: tuple[float, float, float, float]) -> np.ndarray:
    return np.array([[bbox[0], bbox[1]], [bbox[2], bbox[3]]])


def test_face_region_is_a_square_with_the_face_at_its_share() -> None:
    x0, y0, x1, y1 = face_region((0.5, 0.4, 0.55, 0.5), W, H)
    assert x1 - x0 == pytest.approx(y1 - y0)  # square in pixels
    assert x1 - x0 == pytest.approx(0.1 * H / FACE_SHARE)  # the longer side: 108 px high
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((0.525 * W, 0.45 * H))


@pytest.mark.parametrize(("faces", "layout"), [(1, [(1, 1)]), (2, [(1, 2)]), (4, [(2, 2)]),
                                               (6, [(2, 3)]), (9, [(3, 3)]),
                                               (11, [(3, 3), (1, 2)])])
def test_sheets_hold_at_most_three_by_three_cells(faces: int, layout: list[tuple[int, int]]
                                                  ) -> None:
    boxes = [box_at(0.05 + 0.08 * k, 0.5) for k in range(faces)]
    sheets = build_sheets(frame_with_patches(boxes), boxes)
    assert [(s.image.shape[0] // CELL, s.image.shape[1] // CELL) for s in sheets] == layout
    assert all(s.columns <= MAX_COLUMNS for s in sheets)
    assert [b for s in sheets for b in s.boxes] == boxes  # every face once, in order


def test_each_cell_maps_back_to_its_face() -> None:
    boxes = [box_at(0.1, 0.45), box_at(0.5, 0.5, 0.09), box_at(0.8, 0.3, 0.07)]
    frame = frame_with_patches(boxes)
    (sheet,) = build_sheets(frame, boxes)
    sh, sw = sheet.image.shape[:2]
    for k, bbox in enumerate(boxes):
        row, col = divmod(k, sheet.columns)
        cell = sheet.image[row * CELL:(row + 1) * CELL, col * CELL:(col + 1) * CELL]
        ys, xs = np.nonzero(cell[:, :, 1] == 250)  # the face's patch inside the cell
        found = np.array([[(col * CELL + xs.min()) / sw, (row * CELL + ys.min()) / sh],
                          [(col * CELL + xs.max() + 1) / sw, (row * CELL + ys.max() + 1) / sh]])
        assert sheet.cell_of(found) == k
        back = sheet.to_frame(found, k, W, H)
        np.testing.assert_allclose(back, corners(bbox), atol=2 / H)  # within 2 frame pixels
        side = max(xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min())
        assert side == pytest.approx(FACE_SHARE * CELL, abs=2)


def test_other_faces_are_blanked_out_of_a_cell_but_its_own_face_is_kept() -> None:
    near = [box_at(0.50, 0.5), box_at(0.57, 0.5)]  # side by side, each in the other's cell
    known = box_at(0.43, 0.5)  # found by the full-frame pass: blanked too, not landmarked
    frame = frame_with_patches([*near, known])
    sheets = build_sheets(frame, near, others=[known])
    assert len(sheets) == 1 and sheets[0].boxes == tuple(near)
    first = sheets[0].image[:, :CELL]
    colours = set(map(int, np.unique(first[:, :, 0])))
    assert 150 in colours and 170 not in colours and 190 not in colours
    centre = first[CELL // 2 - 10:CELL // 2 + 10, CELL // 2 - 10:CELL // 2 + 10, 0]
    assert (centre == 150).all()


def test_a_face_at_the_frame_edge_gets_a_black_border() -> None:
    corner = box_at(0.035, 0.06)
    (sheet,) = build_sheets(frame_with_patches([corner]), [corner])
    assert sheet.image.shape[:2] == (CELL, CELL)
    assert (sheet.image[:5, :5] == 0).all()  # past the frame's top-left corner
    assert (sheet.image[-5:, -5:] == 100).all()  # the frame's grey
    ys, xs = np.nonzero(sheet.image[:, :, 1] == 250)
    found = np.array([[xs.min() / CELL, ys.min() / CELL],
                      [(xs.max() + 1) / CELL, (ys.max() + 1) / CELL]])
    np.testing.assert_allclose(sheet.to_frame(found, 0, W, H), corners(corner), atol=2 / H)


def test_match_keeps_the_face_of_each_cell_and_drops_strays() -> None:
    boxes = [box_at(0.2, 0.5), box_at(0.6, 0.5)]
    (sheet,) = build_sheets(frame_with_patches(boxes), boxes)
    sw = sheet.image.shape[1]

    def on_sheet(k: int, box_cells: tuple[float, float, float, float]) -> np.ndarray:
        """Points of a face at `box_cells` (normalised to cell k) in sheet coordinates."""
        x0, y0, x1, y1 = box_cells
        pts = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, (y0 + y1) / 2]])
        return (pts * CELL + (k * CELL, 0)) / (sw, CELL)

    own = on_sheet(1, (0.25, 0.25, 0.75, 0.75))  # the cell's face, where it was cut
    stray = on_sheet(0, (0.0, 0.3, 0.2, 0.6))  # part of a stranger at the cell's edge
    shifted = on_sheet(1, (0.3, 0.3, 0.75, 0.75))  # a worse match in the same cell
    matched = sheet.match([stray, shifted, own], W, H)
    assert set(matched) == {1}  # cell 0's only candidate is no face of its box
    index, frame_pts = matched[1]
    assert index == 2
    assert iou(bbox_of(frame_pts), boxes[1]) > 0.95
