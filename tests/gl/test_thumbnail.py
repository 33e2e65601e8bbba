"""The compositor's thumbnail: the stage shrunk on the GPU matches an area-averaged resize
of the stage read back, in every pass, and never holds an overlay's pixels."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from performance.core.types import CrowdReading, RoomEmotion
from performance.render.context import Compositor, Pass
from performance.render.headless import OffscreenTarget
from performance.render.stage import draw_stage
from performance.show.frame import Layer, ShowFrame

pytestmark = pytest.mark.gl
STAGE = (320, 180)
RED, GREEN, BLUE, WHITE = (230, 20, 20), (20, 200, 40), (30, 40, 220), (250, 250, 250)


def pattern(width: int, height: int) -> np.ndarray:
    """Four coloured quadrants, the bottom-right one in 1-pixel black/white stripes (a
    single bilinear tap per small pixel would alias them; an area average is grey)."""
    image = np.zeros((height, width, 3), dtype=np.uint8)
    hw, hh = width // 2, height // 2
    image[:hh, :hw], image[:hh, hw:], image[hh:, :hw] = RED, GREEN, BLUE
    image[hh:, hw::2] = WHITE
    return image


@pytest.fixture
def made(gl) -> Iterator[list[Compositor | OffscreenTarget]]:  # type: ignore[no-untyped-def]
    out: list[Compositor | OffscreenTarget] = []
    yield out
    for thing in out:
        thing.release()


def draw_pattern(gl, comp: Compositor, made: list) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Draw the pattern as the show (into wherever `drawing` says), then `begin`."""
    image = paint_pattern(gl, comp, made)
    comp.begin()
    return image


def paint_pattern(gl, comp: Compositor, made: list) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Draw the pattern as the show, into wherever `drawing` says (as GLStage.draw does)."""
    image = pattern(*comp.stage.size)
    source = OffscreenTarget(gl, *comp.stage.size)
    made.append(source)
    rgba = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    source.texture.write(np.ascontiguousarray(rgba[::-1]).tobytes())  # GL rows: bottom first
    with comp.drawing() as target:
        gl.copy_framebuffer(target, source.framebuffer)
    return image


def modes(gl) -> dict[str, Compositor]:  # type: ignore[no-untyped-def]
    return {"direct": Compositor(gl, STAGE),
            "composited": Compositor(gl, STAGE, composite=True),
            "letterboxed": Compositor(gl, STAGE, output_size=(2 * STAGE[0], STAGE[1]))}


@pytest.mark.parametrize("width", [80, 60])  # 4x exactly, and 5.33x
def test_the_thumbnail_matches_an_area_resize_of_the_stage_in_every_pass(
    gl, made, width: int  # type: ignore[no-untyped-def]
) -> None:
    for name, comp in modes(gl).items():
        made.append(comp)
        image = draw_pattern(gl, comp, made)
        assert np.array_equal(comp.read_stage(), image), name  # the stage is the pattern
        small = comp.thumbnail(width)
        height = round(STAGE[1] * width / STAGE[0])
        assert small.shape == (height, width, 3) and small.dtype == np.uint8, name
        want = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        diff = np.abs(small.astype(np.int32) - want.astype(np.int32))
        hw, hh = width // 2, height // 2
        if width * 4 == STAGE[0]:  # an exact 4x4 box: the same mean as cv2's, stripes too
            assert diff.max() <= 1, (name, diff.max())
        else:  # at 5.33x cv2's area weights beat against the stripes (109..145); the box not
            assert diff[:hh - 1].mean() < 1.0 and diff[:, :hw - 1].mean() < 1.0, name
            assert diff[hh + 1:, hw + 1:].max() < 24, name
        inner = diff[1:-1, 1:-1].copy()  # inside each quadrant: the same colour, exactly
        inner[hh - 2:hh + 1], inner[:, hw - 2:hw + 1] = 0, 0
        assert inner[:hh - 2].max() <= 1 and inner[:, :hw - 2].max() <= 1, name
        assert small[2, 2].tolist() == pytest.approx(RED, abs=1)  # top row first
        assert small[-3, 2].tolist() == pytest.approx(BLUE, abs=1)
        stripes = small[hh + 2:-2, hw + 2:-2].astype(float)
        assert np.abs(stripes - WHITE[0] / 2).max() <= 1, name  # averaged, never aliased

def test_the_thumbnail_never_holds_the_overlay(gl, made) -> None:  # type: ignore[no-untyped-def]
    panel = np.zeros((60, 100, 4), dtype=np.uint8)
    panel[..., 1], panel[..., 2], panel[..., 3] = 255, 255, 255  # opaque cyan
    for name, comp in modes(gl).items():
        made.append(comp)
        image = draw_pattern(gl, comp, made)
        comp.overlay("panel", panel, (0, 0))  # over the red quadrant, top-left
        shown = comp.read_output()
        cyan = (shown == [0, 255, 255]).all(axis=2)
        assert cyan.sum() > 1000, name  # the overlay is on the output
        small = comp.thumbnail(80)
        want = cv2.resize(image, (80, 45), interpolation=cv2.INTER_AREA)
        assert np.abs(small.astype(int) - want.astype(int)).mean() < 1.5, name
        assert not ((small[..., 1] > 150) & (small[..., 2] > 150)
                    & (small[..., 0] < 100)).any(), name  # no cyan anywhere
        assert np.array_equal(comp.read_output(), shown), name  # the output is untouched


def test_a_thumbnail_before_the_overlays_keeps_them_off_the_stage(gl, made) -> None:  # type: ignore[no-untyped-def]
    comp = Compositor(gl, STAGE)
    made.append(comp)
    image = draw_pattern(gl, comp, made)
    assert comp.last_pass is Pass.DIRECT
    comp.thumbnail(80)  # the copy into the stage target is made here, once
    assert comp.last_pass is Pass.COPY
    panel = np.full((20, 30, 4), 255, dtype=np.uint8)
    comp.overlay("panel", panel, (10, 6))
    out = comp.read_output()
    assert (out[6:26, 10:40] == 255).all()  # the overlay went onto the output
    assert np.array_equal(comp.read_stage(), image)  # and not into the stage
    assert comp.quads_drawn == 1  # the overlay's quad; the thumbnail's is its own


def test_the_thumbnail_of_a_drawn_visual_matches_the_stage(gl, renderer, made) -> None:  # type: ignore[no-untyped-def]
    show = ShowFrame(time=3.5, current=Layer("enclave", {"grain": 0.0}))
    emotion = RoomEmotion(timestamp=3.5, crowd=CrowdReading(valence=0.4, presence=1.0))
    for name, comp in modes(gl).items():
        made.append(comp)
        with comp.drawing() as target:
            draw_stage(renderer, target, show, emotion, delta=1 / 60, frame=7)
        comp.begin()
        stage = comp.read_stage()
        assert stage.std() > 10, name  # a picture with structure
        small = comp.thumbnail(64)
        want = cv2.resize(stage, (64, 36), interpolation=cv2.INTER_AREA)
        assert np.abs(small.astype(int) - want.astype(int)).mean() < 2.0, name
