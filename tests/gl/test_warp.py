"""The projector warp pass on a real EGL context: the corner-pin puts the stage's corners
where asked (found in the output image within a pixel), the mesh moves an interior point,
soft edges ramp, the mask blacks outside, brightness/gamma scale; identity changes no byte."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from performance.core.types import CrowdReading, RoomEmotion
from performance.render.context import Compositor, Pass
from performance.render.stage import draw_stage
from performance.show.frame import Layer, ShowFrame
from performance.venue.homography import apply, square_to_quad
from performance.venue.projector import Mesh, ProjectorCalibration, SoftEdges, identity

pytestmark = pytest.mark.gl
SIZE = (320, 180)
CORNERS = ((0.12, 0.08), (0.93, 0.18), (0.85, 0.95), (0.06, 0.80))
SHOW = ShowFrame(time=2.5, current=Layer("enclave", {"grain": 0.0}),
                 previous=Layer("essence_module", {"grain": 0.0}), mix=0.4)
EMOTION = RoomEmotion(timestamp=2.5, crowd=CrowdReading(valence=0.3, presence=1.0))


@pytest.fixture
def comp(gl) -> Iterator[Compositor]:
    made = Compositor(gl, SIZE, output_size=SIZE)
    yield made
    made.release()


def _through(comp: Compositor, image: np.ndarray, cal: ProjectorCalibration | None
             ) -> np.ndarray:
    """`image` (H, W, 3 uint8, row 0 at the top) put on the stage and presented through
    `cal`: the output as read back."""
    comp.set_calibration(cal)
    with comp.drawing() as target:
        rgba = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
        own = comp._own_output  # the headless output's texture, when drawn straight there
        texture = own.texture if own is not None and target is comp.output else comp.stage.texture
        texture.write(np.ascontiguousarray(rgba[::-1]).tobytes())
    comp.begin()
    return comp.read_output()


def _white() -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), 255, np.uint8)


def _centres(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.c_[xs + 0.5, ys + 0.5]


def _inside(points: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Signed distance (px) of each point inside the convex quad (negative: outside)."""
    best = np.full(len(points), np.inf)
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        edge = b - a
        normal = np.array([-edge[1], edge[0]]) / np.hypot(*edge)
        best = np.minimum(best, (points - a) @ normal)
    return best


def test_the_corner_pin_puts_the_four_corners_where_asked_within_a_pixel(comp) -> None:
    out = _through(comp, _white(), ProjectorCalibration(size=SIZE, corners=CORNERS))
    assert comp.last_pass is Pass.WARPED
    lit = out[..., 0] > 127
    centres = _centres(lit)
    quad = np.array(CORNERS) * SIZE  # output pixels
    for corner in quad:  # each chosen corner has picture within a pixel of it
        assert np.min(np.hypot(*(centres - corner).T)) <= 1.0
    # and nothing is lit more than a pixel outside the quad, nothing dark well inside it
    assert _inside(centres, quad).min() > -1.0
    dark = _centres(~lit)
    assert _inside(dark, quad).max() < 1.0
    # an interior grid point lands where the homography says (a dot's centroid)
    dot = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    dot[88:92, 158:162] = 255  # around stage (0.5, 0.5)
    out = _through(comp, dot, ProjectorCalibration(size=SIZE, corners=CORNERS))
    found = _centres(out[..., 0] > 60).mean(axis=0)
    want = apply(square_to_quad(CORNERS), [(0.5, 0.5)])[0] * SIZE
    assert np.hypot(*(found - want)) < 1.0


def test_the_identity_calibration_is_byte_identical_and_skips_the_pass(gl, renderer) -> None:
    frames = []
    for cal in (None, identity("HDMI-1", SIZE)):
        comp = Compositor(gl, SIZE, output_size=SIZE)
        comp.set_calibration(cal)
        with comp.drawing() as target:
            draw_stage(renderer, target, SHOW, EMOTION, delta=1 / 60, frame=7)
        comp.begin()
        frames.append((comp.read_output().tobytes(), comp.last_pass, comp.warping))
        comp.release()
    assert frames[0][0] == frames[1][0] and len(set(frames[0][0])) > 10
    assert frames[1][1] is Pass.DIRECT and frames[1][2] is False
    moved = ProjectorCalibration(size=SIZE, corners=((0.01, 0), (1, 0), (1, 1), (0, 1)))
    assert not moved.is_identity


def test_the_mesh_moves_an_interior_point_where_asked(comp) -> None:
    mesh = Mesh.flat(5, 5).moved(2, 2, (0.05, -0.04))  # the centre node
    dot = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    dot[88:92, 158:162] = 255
    flat = _through(comp, dot, ProjectorCalibration(size=SIZE, mesh=Mesh.flat(5, 5)))
    assert comp.last_pass is Pass.DIRECT  # a flat mesh is the identity
    assert np.hypot(*(_centres(flat[..., 0] > 60).mean(axis=0) - (160, 90))) < 0.5
    out = _through(comp, dot, ProjectorCalibration(size=SIZE, mesh=mesh))
    found = _centres(out[..., 0] > 60).mean(axis=0)
    want = np.array([0.55, 0.46]) * SIZE
    assert np.hypot(*(found - want)) < 1.0
    # moved again (as the mapping tool does, on the same pass): the picture follows
    again = _through(comp, dot, ProjectorCalibration(size=SIZE, mesh=mesh.moved(2, 2, (-0.05,
                                                                                     0.04))))
    found = _centres(again[..., 0] > 60).mean(axis=0)
    assert np.hypot(*(found - np.array([0.45, 0.54]) * SIZE)) < 1.0
    # a corner node that is not moved keeps the picture's corner in place
    white = _through(comp, _white(), ProjectorCalibration(size=SIZE, mesh=mesh))
    assert white[0, 0, 0] == 255 and white[-1, -1, 0] == 255


def test_soft_edges_ramp_the_mask_blacks_outside_and_brightness_gamma_scale(comp) -> None:
    edges = SoftEdges(left=0.25, gamma=1.0)
    out = _through(comp, _white(), ProjectorCalibration(size=SIZE, edges=edges)).astype(int)
    row = out[90, :, 0]
    ramp = np.arange(80) + 0.5  # pixel centres across the 80 px (0.25 of 320) feather
    assert np.all(np.abs(row[:80] - 255 * ramp / 80) <= 1.5)
    assert np.all(np.diff(row[:80]) >= 0) and np.all(row[80:] == 255)
    curved = _through(comp, _white(), ProjectorCalibration(
        size=SIZE, edges=SoftEdges(right=0.25, gamma=2.2))).astype(int)
    assert abs(curved[90, 279, 0] - 255 * (40.5 / 80) ** 2.2) <= 1.5  # halfway: gamma'd
    triangle = ((0.5, 0.1), (0.9, 0.9), (0.1, 0.9))
    masked = _through(comp, _white(), ProjectorCalibration(size=SIZE, mask=triangle))
    assert masked[5, 5].tolist() == [0, 0, 0] and masked[5, 314].tolist() == [0, 0, 0]
    assert masked[120, 160].tolist() == [255, 255, 255]  # inside the triangle
    grey = np.full((SIZE[1], SIZE[0], 3), 64, np.uint8)
    dimmed = _through(comp, grey, ProjectorCalibration(size=SIZE, brightness=0.5))
    assert abs(int(dimmed[90, 160, 0]) - 32) <= 1
    lifted = _through(comp, grey, ProjectorCalibration(size=SIZE, gamma=2.0))
    assert abs(int(lifted[90, 160, 0]) - round(255 * (64 / 255) ** 0.5)) <= 1
