"""The camera calibration tool's editing logic, apart from any window."""

from __future__ import annotations

import pytest

from performance.venue import zones_editor as ze
from performance.venue.camera import CameraCalibration, Crop, Rotation


def draw(state: ze.ZoneEditor, *points: tuple[float, float]) -> ze.ZoneEditor:
    for point in points:
        state = ze.click(state, point)
    state, action = ze.press(state, "return")
    assert action is ze.Action.NONE
    return state


def test_clicks_and_enter_make_zones_and_p_the_performer_zone() -> None:
    state = ze.start(CameraCalibration())
    state = draw(state, (0.1, 0.1), (0.3, 0.1), (0.3, 0.3))
    assert state.calibration.ignore_zones == (((0.1, 0.1), (0.3, 0.1), (0.3, 0.3)),)
    assert state.changed and state.points == ()
    state, _ = ze.press(state, "p")
    assert state.drawing is ze.Drawing.PERFORMER
    state = draw(state, (0.6, 0.6), (0.9, 0.6), (0.9, 0.9), (0.6, 0.9))
    assert state.calibration.performer_zone == ((0.6, 0.6), (0.9, 0.6), (0.9, 0.9), (0.6, 0.9))
    assert len(state.calibration.ignore_zones) == 1
    state = draw(state, (0.5, 0.5), (0.7, 0.5), (0.7, 0.7))  # a new one replaces it
    assert state.calibration.performer_zone == ((0.5, 0.5), (0.7, 0.5), (0.7, 0.7))
    assert "performer zone set" in state.status() and "1 ignore zone" in state.status()


def test_too_few_points_or_no_area_make_no_zone() -> None:
    state = draw(ze.start(CameraCalibration()), (0.1, 0.1), (0.2, 0.2))
    assert state.calibration.ignore_zones == () and "3 points" in state.note
    assert len(state.points) == 2  # still drawing
    state = draw(state, (0.3, 0.3))  # on one line
    assert state.calibration.ignore_zones == () and "no area" in state.note
    assert not state.changed


def test_backspace_removes_the_last_point_then_the_last_zone() -> None:
    state = draw(ze.start(CameraCalibration()), (0.1, 0.1), (0.3, 0.1), (0.3, 0.3))
    state = draw(state, (0.5, 0.1), (0.7, 0.1), (0.7, 0.3))
    state = ze.click(ze.click(state, (0.8, 0.8)), (0.9, 0.8))
    state, _ = ze.press(state, "backspace")
    assert state.points == ((0.8, 0.8),)
    state, _ = ze.press(state, "backspace")
    state, _ = ze.press(state, "backspace")
    assert state.points == () and len(state.calibration.ignore_zones) == 1
    assert state.calibration.ignore_zones[0][0] == (0.1, 0.1)
    state, _ = ze.press(state, "p")
    state = draw(state, (0.5, 0.5), (0.7, 0.5), (0.7, 0.7))
    state, _ = ze.press(state, "backspace")
    assert state.calibration.performer_zone is None
    assert len(state.calibration.ignore_zones) == 1  # P's backspace leaves ignore zones


def test_keys_turn_the_picture() -> None:
    state = ze.start(CameraCalibration())
    for key in ("m", "f", "r", "r", "r", "r", "r"):
        state, _ = ze.press(state, key)
    cal = state.calibration
    assert cal.mirror and cal.flip and cal.rotation is Rotation.CW90
    assert Rotation.CW270.next() is Rotation.NONE


def test_crop_from_two_clicks_and_zone_points_inside_it() -> None:
    state, _ = ze.press(ze.start(CameraCalibration()), "c")
    assert state.drawing is ze.Drawing.CROP
    state = ze.click(ze.click(state, (0.8, 0.9)), (0.2, 0.1))
    assert state.calibration.crop == Crop(0.2, 0.1, 0.8, 0.9)
    assert state.drawing is ze.Drawing.IGNORE
    # clicks on the turned picture land in the cropped picture's space
    state = draw(state, (0.2, 0.1), (0.5, 0.5), (0.8, 0.1), (0.9, 0.95))
    flat = [v for point in state.calibration.ignore_zones[0] for v in point]
    assert flat == pytest.approx([0.0, 0.0, 0.5, 0.5, 1.0, 0.0, 1.0, 1.0])
    assert ze.to_turned(state.calibration.crop, (0.5, 0.5)) == pytest.approx((0.5, 0.5))
    small, _ = ze.press(ze.start(CameraCalibration()), "c")
    small = ze.click(ze.click(small, (0.5, 0.5)), (0.51, 0.9))
    assert small.calibration.crop.is_full and "too small" in small.note
    state, _ = ze.press(state, "c")  # C with a crop clears it
    assert state.calibration.crop.is_full


def test_save_and_escape() -> None:
    state = ze.start(CameraCalibration())
    assert ze.press(state, "escape")[1] is ze.Action.QUIT  # nothing unsaved
    state, _ = ze.press(state, "m")
    state, action = ze.press(state, "escape")
    assert action is ze.Action.WARN and "unsaved" in state.note
    assert ze.press(state, "escape")[1] is ze.Action.QUIT
    state, action = ze.press(state, "s")
    assert action is ze.Action.SAVE
    state = ze.saved(state)
    assert not state.changed and ze.press(state, "escape")[1] is ze.Action.QUIT
    assert ze.press(ze.press(state, "m")[0], "quit")[1] is ze.Action.QUIT  # window closed
