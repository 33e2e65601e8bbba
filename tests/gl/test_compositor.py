"""The compositor's passes: the show drawn straight into a same-size output, the copy before
an overlay, the scaled pass for another output size; each against the composited picture."""

from __future__ import annotations

import numpy as np
import pytest

from performance.core.types import CrowdReading, RoomEmotion
from performance.render.context import Compositor, Pass
from performance.render.frame_uniforms import FrameUniforms
from performance.render.stage import draw_stage
from performance.show.frame import Layer, ShowFrame

from .conftest import H, W

pytestmark = pytest.mark.gl
SHOW = ShowFrame(time=3.5, current=Layer("enclave", {"grain": 0.0}),
                 previous=Layer("essence_module", {"grain": 0.0}), mix=0.6)
EMOTION = RoomEmotion(timestamp=3.5, crowd=CrowdReading(valence=0.4, presence=1.0))



def _frame(renderer, comp: Compositor, *, overlay: np.ndarray | None = None) -> np.ndarray:  # type: ignore[no-untyped-def]
    """One frame as the live loop draws it; the output read back as int RGB."""
    with comp.drawing() as target:
        draw_stage(renderer, target, SHOW, EMOTION, delta=1 / 60, frame=7)
    comp.begin()
    if overlay is not None:
        comp.overlay("panel", overlay, (10, 6))
    return comp.read_output().astype(np.int32)


def _panel() -> np.ndarray:
    panel = np.zeros((20, 30, 4), dtype=np.uint8)
    panel[..., 0], panel[..., 3] = 255, 255  # opaque red
    return panel


def test_direct_pass_draws_into_the_output_and_matches_the_composited_picture(
    gl, renderer, made  # type: ignore[no-untyped-def]
) -> None:
    direct = Compositor(gl, (W, H))
    composited = Compositor(gl, (W, H), composite=True)
    made += [direct, composited]
    with direct.drawing() as target:
        assert target is direct.output  # nothing in between: the output is the target
    with composited.drawing() as target:
        assert target is composited.stage.framebuffer
    direct.begin()
    composited.begin()

    a, b = _frame(renderer, direct), _frame(renderer, composited)
    assert direct.last_pass is Pass.DIRECT and direct.quads_drawn == 0
    assert composited.last_pass is Pass.SCALED and composited.quads_drawn == 2
    assert a.std() > 10  # a picture with structure, so a shifted or filtered copy shows
    assert np.abs(a - b).max() <= 1
    assert np.array_equal(direct.read_stage(), a)  # the stage is what the output shows
    assert np.abs(composited.read_stage().astype(np.int32) - a).max() <= 1


def test_other_output_sizes_take_the_scaled_pass(gl, renderer, made) -> None:  # type: ignore[no-untyped-def]
    reference = Compositor(gl, (W, H), composite=True)
    double = Compositor(gl, (W, H), output_size=(2 * W, 2 * H))
    wide = Compositor(gl, (W, H), output_size=(2 * W, H))  # letterboxed left and right
    made += [reference, double, wide]
    stage = _frame(renderer, reference)
    for comp in (double, wide):
        with comp.drawing() as target:
            assert target is comp.stage.framebuffer
        comp.begin()
        out = _frame(renderer, comp)
        assert comp.last_pass is Pass.SCALED and comp.quads_drawn == 2
        assert np.array_equal(comp.read_stage(), stage)
    big = _frame(renderer, double)
    assert big.shape == (2 * H, 2 * W, 3)
    assert np.abs(big[::2, ::2].mean() - stage.mean()) < 2
    out = _frame(renderer, wide)
    bars = W // 2  # the stage is H high and W wide, centred
    assert out[:, : bars - 1].max() == 0 and out[:, -bars + 1:].max() == 0
    assert np.abs(out[:, bars:bars + W] - stage).mean() < 20  # scaled to the same size


def test_a_resized_output_leaves_the_direct_pass_and_comes_back(gl, renderer, made) -> None:  # type: ignore[no-untyped-def]
    comp = Compositor(gl, (W, H))
    made.append(comp)
    _frame(renderer, comp)
    assert comp.last_pass is Pass.DIRECT
    comp.resize((W + 40, H))  # a window dragged wider
    assert not comp.direct
    _frame(renderer, comp)
    assert comp.last_pass is Pass.SCALED
    comp.resize((W, H))
    _frame(renderer, comp)
    assert comp.last_pass is Pass.DIRECT


def test_an_overlay_copies_the_stage_first_and_never_reaches_it(gl, renderer, made) -> None:  # type: ignore[no-untyped-def]
    direct = Compositor(gl, (W, H))
    composited = Compositor(gl, (W, H), composite=True)
    made += [direct, composited]
    plain = _frame(renderer, direct)
    a = _frame(renderer, direct, overlay=_panel())
    b = _frame(renderer, composited, overlay=_panel())
    assert direct.last_pass is Pass.COPY and direct.quads_drawn == 1  # the overlay alone
    assert composited.last_pass is Pass.SCALED and composited.quads_drawn == 2
    assert np.abs(a - b).max() <= 1
    assert (a[6:26, 10:40] == [255, 0, 0]).all()  # the panel, top-left at (10, 6)
    outside = np.ones(a.shape[:2], bool)
    outside[6:26, 10:40] = False
    assert np.array_equal(a[outside], plain[outside])
    assert np.array_equal(direct.read_stage(), plain)  # the audience image has no panel
    _frame(renderer, direct)  # the overlay gone: straight into the output again
    assert direct.last_pass is Pass.DIRECT and direct.quads_drawn == 1


def test_a_draw_that_fails_leaves_the_output_black_not_stale(gl, renderer, made) -> None:  # type: ignore[no-untyped-def]
    comp = Compositor(gl, (W, H))
    made.append(comp)
    assert _frame(renderer, comp).max() > 0
    with pytest.raises(RuntimeError), comp.drawing():
        raise RuntimeError("shader blew up")
    comp.begin()
    assert comp.read_output().max() == 0


def test_uniform_values_for_some_names_are_those_of_all() -> None:
    values = FrameUniforms(time=2.0, crowd=CrowdReading(valence=3.0)).uniform_values()
    some = FrameUniforms(time=2.0, crowd=CrowdReading(valence=3.0)).uniform_values(
        names={"u_valence", "u_face", "u_unknown"})
    assert some == {"u_valence": values["u_valence"], "u_face": values["u_face"]}
    assert some["u_valence"] == 1.0  # still clamped
