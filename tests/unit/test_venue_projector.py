"""The projector calibration: the homography, the file (round trip, bad and old files, safe
saves, the file name) and the mapping editor's logic (steps, selection, drag, OSC)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from performance.core.errors import OutputError
from performance.venue import editor as ed
from performance.venue.calfile import CalibrationError, save_calibration
from performance.venue.homography import apply, quad_to_square, square_to_quad
from performance.venue.projector import (
    Mesh,
    ProjectorCalibration,
    SoftEdges,
    calibration_path,
    identity,
    load_projector,
    parse_mesh_size,
    save_projector,
    to_document,
)

CORNERS = ((0.1, 0.05), (0.95, 0.12), (0.9, 0.97), (0.02, 0.85))
FULL = ProjectorCalibration(
    output="HDMI-1", size=(1920, 1080), venue="Old Hall", corners=CORNERS,
    mesh=Mesh.flat(5, 5).moved(2, 2, (0.01, -0.02)),
    edges=SoftEdges(right=0.15, gamma=2.2), mask=((0.0, 0.0), (1.0, 0.0), (0.5, 1.0)),
    brightness=0.9, gamma=1.1)


def test_the_homography_maps_the_unit_square_to_the_corners_and_back() -> None:
    h = square_to_quad(CORNERS)
    assert np.allclose(apply(h, [(0, 0), (1, 0), (1, 1), (0, 1)]), CORNERS, atol=1e-12)
    back = apply(quad_to_square(CORNERS), CORNERS)
    assert np.allclose(back, [(0, 0), (1, 0), (1, 1), (0, 1)], atol=1e-12)
    assert np.allclose(square_to_quad(((0, 0), (1, 0), (1, 1), (0, 1))), np.eye(3))
    with pytest.raises(ValueError, match="degenerate"):
        square_to_quad(((0, 0), (0, 0), (1, 1), (0, 1)))


def test_a_calibration_round_trips_through_its_file(tmp_path: Path) -> None:
    path = calibration_path("Old Hall", 1, tmp_path)
    assert path == tmp_path / "old-hall-display1.toml"
    assert calibration_path("Old Hall", "HDMI-1").as_posix() == "calibration/old-hall-hdmi-1.toml"
    save_projector(path, FULL)
    text = path.read_text()
    assert 'kind = "projector"' in text and "schema = 1" in text and "[corners]" in text
    assert load_projector(path) == FULL
    plain = identity("DP-2", (1280, 800))
    save_projector(path, plain)
    assert load_projector(path) == plain and load_projector(path).is_identity
    assert not FULL.is_identity


def test_a_saved_5x5_mesh_reads_one_point_a_line_and_round_trips(tmp_path: Path) -> None:
    """tomli-w alone writes one number a line (four lines a point); the file keeps each
    point, and the size, on one short line, with the values unchanged."""
    rng = np.random.default_rng(13)
    offsets = tuple((float(dx), float(dy)) for dx, dy in rng.uniform(-0.05, 0.05, (25, 2)))
    corners = rng.uniform(0.0, 1.0, (12, 2))  # in order round the centre: a simple polygon
    corners = corners[np.argsort(np.arctan2(corners[:, 1] - 0.5, corners[:, 0] - 0.5))]
    mask = tuple((float(x), float(y)) for x, y in corners)
    cal = ProjectorCalibration(output="HDMI-1", size=(1920, 1080), venue="Old Hall",
                               corners=CORNERS, mesh=Mesh(5, 5, offsets), mask=mask)
    path = tmp_path / "hall.toml"
    save_projector(path, cal)
    assert load_projector(path) == cal
    lines = path.read_text().splitlines()
    assert max(len(line) for line in lines) <= 120
    assert "size = [1920, 1080]" in lines
    points = [line for line in lines if line.startswith("    [") and line.endswith("],")]
    assert len(points) == 4 + 25 + 12  # corners, mesh nodes, mask: one line each
    assert f"    [{offsets[7][0]!r}, {offsets[7][1]!r}]," in points
    assert len(lines) < 4 + 25 + 12 + 40


def _write(path: Path, change: dict[str, object], *, kind: str = "projector",
           schema: int = 1) -> Path:
    doc = to_document(FULL)
    for dotted, value in change.items():
        table, _, key = dotted.partition(".")
        if value is None:
            del doc[table][key]
        else:
            doc[table][key] = value
    save_calibration(path, kind, schema, doc)
    return path


@pytest.mark.parametrize(("change", "message"), [
    ({"output.size": [1920, "1080"]}, r"output\.size: must be \[width, height\] whole"),
    ({"output.size": [0, 1080]}, r"output\.size: \[0, 1080\] is outside"),
    ({"output.name": None}, r"output\.name: missing"),
    ({"corners.points": [[0, 0], [1, 0], [1, 1]]}, r"corners\.points: must have 4 points"),
    ({"corners.points": [[0, 0], [1, 1], [1, 0], [0, 1]]}, r"corners\.points: the four "
                                                           r"corners .* convex"),
    ({"corners.points": [[0, 0], [9, 0], [1, 1], [0, 1]]}, r"corners\.points: point 2"),
    ({"edges.left": 0.7}, r"edges\.left: = 0\.7 is outside \[0\.0, 0\.5\]"),
    ({"edges.gamma": "soft"}, r"edges\.gamma: must be a number"),
    ({"edges.middle": 0.1}, r"edges\.middle: unknown key"),
    ({"mesh.columns": 1}, r"mesh\.columns: = 1 is outside \[2, 33\]"),
    ({"mesh.offsets": [[0, 0]] * 24}, r"mesh\.offsets: must have 25 points, got 24"),
    ({"mask.points": [[0, 0], [1, 0]]}, r"mask\.points: must have at least 3 points"),
    ({"mask.points": [[0, 0], [0.5, 0.5], [1, 1]]}, r"mask\.points: encloses no area \(its "
                                                    r"points lie on one line\)"),
    ({"mask.points": [[0, 0], [1, 1], [1, 0], [0, 1]]}, r"mask\.points: crosses itself \(the "
                                                        r"edge from point 1 to 2 crosses the "
                                                        r"one from point 3 to 4\)"),
    ({"picture.brightness": 3.0}, r"picture\.brightness: = 3\.0 is outside"),
    ({"picture.gamma": None, "picture.brightness": True}, r"picture\.brightness: must be a "
                                                          r"number, got True"),
])
def test_a_bad_file_is_one_line_naming_the_file_and_key(tmp_path: Path, change: dict[str, object],
                                                        message: str) -> None:
    path = _write(tmp_path / "hall-display0.toml", change)
    with pytest.raises(CalibrationError, match=r"hall-display0\.toml: " + message) as exc:
        load_projector(path)
    assert "\n" not in str(exc.value)


def test_another_kind_a_newer_or_unknown_schema_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "cal.toml"
    with pytest.raises(CalibrationError, match=r"cal\.toml: kind: is not a projector"):
        load_projector(_write(path, {}, kind="camera"))
    with pytest.raises(CalibrationError, match=r"cal\.toml: schema: is schema 2, newer than"):
        load_projector(_write(path, {}, schema=2))
    with pytest.raises(CalibrationError, match=r"cal\.toml: schema: must be a whole number"):
        load_projector(_write(path, {}, schema=0))
    path.write_text('kind = "projector"\n[output]\nname = "x"\n')
    with pytest.raises(CalibrationError, match=r"cal\.toml: schema: must be a whole number "
                                               r"from 1, got None"):
        load_projector(path)


def test_a_failed_save_leaves_the_good_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    path = tmp_path / "hall-display0.toml"
    save_projector(path, FULL)
    good = path.read_bytes()

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputError, match=r"hall-display0\.toml"):
        save_projector(path, identity())
    monkeypatch.undo()
    assert path.read_bytes() == good and load_projector(path) == FULL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall-display0.toml"]


def test_mesh_sizes_parse_from_text() -> None:
    assert parse_mesh_size("5x5") == (5, 5) and parse_mesh_size(" 7X3 ") == (7, 3)
    for bad in ("1x5", "5", "ax5", "40x2"):
        with pytest.raises(ValueError, match="COLUMNSxROWS"):
            parse_mesh_size(bad)


def test_arrow_keys_move_the_selected_corner_fine_or_coarse() -> None:
    state = ed.start(identity("HDMI-1", (1000, 500)))
    state, _ = ed.press(state, "3")  # bottom-right
    state, _ = ed.press(state, "left")
    assert state.calibration.corners[2] == pytest.approx((0.999, 1.0))
    state, _ = ed.press(state, "shift+up")
    assert state.calibration.corners[2] == pytest.approx((0.999, 0.98))
    state, _ = ed.press(state, "tab")
    assert state.corner == 3
    state, _ = ed.press(state, "shift+tab")
    state, _ = ed.press(state, "shift+tab")
    assert state.corner == 1
    state, _ = ed.press(state, "r")
    assert state.calibration.corners[1] == (1.0, 0.0) and state.changed
    state, _ = ed.press(state, "3")
    state, _ = ed.press(state, "r")
    assert not state.changed  # back to what was loaded


def test_a_drag_grabs_the_nearest_corner_and_never_folds_the_quad() -> None:
    state = ed.start(identity())
    state = ed.mouse_down(state, (0.5, 0.5))
    assert not state.dragging  # nothing within reach
    state = ed.mouse_down(state, (0.97, 0.04))
    assert state.dragging and state.corner == 1
    state = ed.mouse_move(state, (0.8, 0.1))
    assert state.calibration.corners[1] == (0.8, 0.1)
    folded = ed.mouse_move(state, (-0.5, 1.5))  # past the opposite corner: refused
    assert folded.calibration.corners[1] == (0.8, 0.1)
    state = ed.mouse_move(state, (5.0, -5.0))  # clamped to the corner range
    assert state.calibration.corners[1] == (2.0, -1.0)
    state = ed.mouse_up(state)
    assert ed.mouse_move(state, (0.9, 0.0)).calibration == state.calibration


def test_in_mesh_editing_a_drag_moves_the_nearest_node_to_the_pointer() -> None:
    cal = ProjectorCalibration(output="HDMI-1", size=(1920, 1080), corners=CORNERS)
    state, _ = ed.press(ed.start(cal, mesh_size=(5, 5)), "m")
    pinned = apply(square_to_quad(CORNERS), [(0.75, 0.25)])[0]  # node (3, 1) through the pin
    assert ed.node_positions(state.calibration)[8] == pytest.approx(tuple(pinned))
    grabbed = ed.mouse_down(state, (pinned[0] + 0.02, pinned[1] - 0.01))
    assert grabbed.dragging and grabbed.node == 8 and grabbed.mode is ed.Mode.MESH
    moved = ed.mouse_move(grabbed, (0.7, 0.3))
    mesh = moved.calibration.mesh
    assert mesh is not None
    assert mesh.offset(3, 1) == pytest.approx((0.7 - pinned[0], 0.3 - pinned[1]))
    assert ed.node_positions(moved.calibration)[8] == pytest.approx((0.7, 0.3))
    assert moved.calibration.corners == CORNERS  # the pin is untouched
    assert sum(1 for o in mesh.offsets if o != (0.0, 0.0)) == 1
    again = ed.mouse_move(moved, (0.72, 0.31))  # follows the pointer, not the first press
    assert ed.node_positions(again.calibration)[8] == pytest.approx((0.72, 0.31))
    released = ed.mouse_up(again)
    assert ed.mouse_move(released, (0.1, 0.1)).calibration == released.calibration
    far = ed.mouse_down(state, (0.6, 0.45))  # between nodes, out of reach: nothing grabbed
    assert not far.dragging
    corner = ed.mouse_down(state, CORNERS[1])  # at corner 2 in mesh editing: its node
    assert corner.dragging and corner.node == 4 and corner.mode is ed.Mode.MESH


def test_mesh_edges_picture_keys_save_and_the_escape_warning() -> None:
    state = ed.start(identity("HDMI-1", (100, 100)), mesh_size=(5, 5))
    state, _ = ed.press(state, "m")
    assert state.mode is ed.Mode.MESH and state.node == 12  # the centre of 5x5
    state, _ = ed.press(state, "shift+right")
    mesh = state.calibration.mesh
    assert mesh is not None and mesh.offset(2, 2) == pytest.approx((0.1, 0.0))
    state, _ = ed.press(state, "e")  # right
    state, _ = ed.press(state, "equals")
    state, _ = ed.press(state, "]")
    state, _ = ed.press(state, "quote")
    cal = state.calibration
    assert (cal.edges.right, cal.brightness, cal.gamma) == (0.01, 1.05, 1.05)
    assert "mesh node 3,3 of 5x5" in state.status() and "unsaved" in state.status()
    state, action = ed.press(state, "escape")
    assert action is ed.Action.WARN
    state, action = ed.press(state, "escape")
    assert action is ed.Action.QUIT
    assert ed.press(state, "s")[1] is ed.Action.SAVE
    assert ed.press(ed.saved(state), "escape")[1] is ed.Action.QUIT


def test_osc_messages_move_corners_and_nodes_and_save() -> None:
    state = ed.start(identity())
    state, _ = ed.osc(state, "/essence/calibrate/corner", (2, 0.9, 0.1))
    assert state.calibration.corners[1] == (0.9, 0.1) and state.corner == 1
    state, _ = ed.osc(state, "/essence/calibrate/mesh", (1, 1, 0.01, 0.02))
    assert state.calibration.mesh is not None
    assert state.calibration.mesh.offset(0, 0) == (0.01, 0.02)
    state, _ = ed.osc(state, "/essence/calibrate/edge", ("left", 0.2))
    state, _ = ed.osc(state, "/essence/calibrate/brightness", (0.8,))
    assert state.calibration.edges.left == 0.2 and state.calibration.brightness == 0.8
    same, _ = ed.osc(state, "/essence/calibrate/corner", (9, 0.0, 0.0))
    assert same == state
    assert ed.osc(state, "/essence/calibrate/save", ())[1] is ed.Action.SAVE


def test_the_test_grid_names_the_output_and_numbers_the_corners() -> None:
    from performance.runtime.mapping import grid_image

    plain = grid_image(identity("HDMI-1", (640, 360)), "corner 1")
    picked = grid_image(identity("HDMI-1", (640, 360)), "corner 1", selected=2)
    assert plain.shape == (360, 640, 3)

    def yellow(img: np.ndarray) -> np.ndarray:
        return (img[..., 0] > 200) & (img[..., 1] > 180) & (img[..., 2] < 80)

    for ys, xs in ((slice(0, 90), slice(0, 90)), (slice(0, 90), slice(550, 640)),
                   (slice(270, 360), slice(550, 640)), (slice(270, 360), slice(0, 90))):
        assert yellow(plain[ys, xs]).sum() > 20  # a corner number in each corner
    bottom_right = picked[270:360, 550:640]
    assert yellow(bottom_right).sum() == 0 and (bottom_right[..., 1] > 200).sum() > 20
    assert not np.array_equal(plain[120:180, 250:400], grid_image(identity("DP-2", (640, 360)),
                                                                  "corner 1")[120:180, 250:400])


def test_in_mesh_editing_the_grid_marks_every_node_and_the_selected_one_green() -> None:
    from performance.runtime.mapping import grid_image

    cal = ProjectorCalibration(output="HDMI-1", size=(640, 360), mesh=Mesh.flat(5, 5))
    image = grid_image(cal, "mesh node", node=6)  # column 2, row 2 (1-based)

    def green(y: int, x: int, img: np.ndarray = image) -> bool:
        r, g, b = (int(v) for v in img[y, x])
        return g > 200 and r < 120 and b < 150

    def yellow(y: int, x: int, img: np.ndarray = image) -> bool:
        r, g, b = (int(v) for v in img[y, x])
        return r > 200 and g > 180 and b < 80

    assert green(round(359 / 4), round(639 / 4))
    others = [(round(row / 4 * 359), round(col / 4 * 639)) for row in range(5)
              for col in range(5) if row * 5 + col != 6]
    assert all(yellow(y, x) for y, x in others if 30 < x < 610)  # corner numbers aside
    assert not any(green(y, x) for y, x in others)
    assert not yellow(round(359 / 4), round(639 / 4))
    plain = grid_image(cal, "corner 1", selected=0)  # corner editing: no dots
    assert not yellow(180, round(639 / 4), plain)
    assert not np.array_equal(plain, grid_image(cal, "corner 1", selected=0, node=0))
