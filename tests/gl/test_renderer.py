"""Crossfades, inputs and unknown visuals."""

from __future__ import annotations

import numpy as np
import pytest

from performance.core.types import CrowdReading
from performance.render.frame_uniforms import FrameUniforms
from performance.render.source import UnknownVisualError

pytestmark = pytest.mark.gl
UNIFORMS = FrameUniforms(time=1.5, resolution=(128, 72),
                      crowd=CrowdReading(valence=0.5, presence=1.0))


def _render(renderer, target, **kw) -> np.ndarray:  # type: ignore[no-untyped-def]
    renderer.render(UNIFORMS, target.framebuffer, **kw)
    return target.read_rgb().astype(np.int32)


def test_crossfade_endpoints_and_middle(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    a = _render(renderer, target, visual="enclave", inputs={"grain": 0.0})
    b = _render(renderer, target, visual="essence_module", inputs={"grain": 0.0})
    prev = ("enclave", {"grain": 0.0})
    kw = {"visual": "essence_module", "inputs": {"grain": 0.0}, "previous": prev}
    assert np.array_equal(_render(renderer, target, mix=0.0, **kw), a)
    assert np.array_equal(_render(renderer, target, mix=1.0, **kw), b)
    mid = _render(renderer, target, mix=0.5, **kw)
    assert np.abs(mid - (a + b) / 2).max() <= 1
    assert 0 < np.abs(mid - a).mean() < np.abs(b - a).mean()
    assert np.abs(_render(renderer, target, mix=0.001, **kw) - a).max() <= 1  # offscreen path


def test_master_scales_the_finished_picture_crossfade_included(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    prev = ("enclave", {"grain": 0.0})
    kw = {"visual": "essence_module", "inputs": {"grain": 0.0}, "previous": prev, "mix": 0.4}
    crossfade = _render(renderer, target, **kw)
    half = _render(renderer, target, master=0.5, **kw)
    assert crossfade.max() > 100  # a bright picture, so halving it shows
    assert np.abs(half - crossfade / 2).max() <= 1  # rounding only
    assert _render(renderer, target, master=0.0, **kw).max() == 0
    assert np.array_equal(_render(renderer, target, master=1.0, **kw), crossfade)
    assert np.array_equal(_render(renderer, target, master=float("nan"), **kw), crossfade)
    # one visual alone (no crossfade, or one at either end) goes through the same pass
    alone = _render(renderer, target, visual="enclave", inputs={"grain": 0.0})
    for extra in ({}, {"previous": ("essence_module", {"grain": 0.0}), "mix": 1.0},
                  {"previous": prev, "visual": "essence_module", "mix": 0.0}):
        args = {"visual": "enclave", "inputs": {"grain": 0.0}, **extra}
        assert np.abs(_render(renderer, target, master=0.5, **args) - alone / 2).max() <= 1
        assert _render(renderer, target, master=-3.0, **args).max() == 0


def test_stage_master_dims_a_crossfade_instead_of_cutting_it(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from performance.core.types import RoomEmotion
    from performance.render.stage import draw_stage
    from performance.show.frame import Layer, ShowFrame

    show = ShowFrame(time=1.5, current=Layer("essence_module", {"grain": 0.0}),
                     previous=Layer("enclave", {"grain": 0.0}), mix=0.5)
    emotion = RoomEmotion(timestamp=1.5)

    def stage(state: ShowFrame) -> np.ndarray:
        draw_stage(renderer, target.framebuffer, state, emotion, delta=0.02, frame=3)
        return target.read_rgb().astype(np.int32)

    full = stage(show)
    old = stage(replace(show, current=Layer("enclave", {"grain": 0.0}), previous=None))
    new = stage(replace(show, previous=None))
    assert np.abs(full - (old + new) / 2).max() <= 1  # mid-crossfade
    assert np.abs(stage(replace(show, master=0.5)) - full / 2).max() <= 1  # no jump
    assert stage(replace(show, master=0.0)).max() == 0
    # `blackout` stays a visual a cue can fade to
    assert stage(replace(show, current=Layer("blackout"), mix=1.0)).max() == 0


def test_inputs_change_the_picture_and_are_clamped(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    normal = _render(renderer, target, visual="essence_module", inputs={"grain": 0.0})
    dim = _render(renderer, target, visual="essence_module",
                  inputs={"grain": 0.0, "intensity": 0.2, "not_declared": 3.0})
    assert dim.mean() < normal.mean() - 5
    over = _render(renderer, target, visual="essence_module", inputs={"grain": 0.0,
                                                                      "intensity": 1e9})
    top = _render(renderer, target, visual="essence_module", inputs={"grain": 0.0,
                                                                     "intensity": 2.0})
    assert np.array_equal(over, top)


def test_the_uniforms_inputs_are_the_default(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    via_state = replace(UNIFORMS, inputs={"grain": 0.0, "intensity": 0.3})
    renderer.render(via_state, target.framebuffer, visual="essence_module")
    a = target.read_rgb()
    renderer.render(UNIFORMS, target.framebuffer, visual="essence_module",
                    inputs={"grain": 0.0, "intensity": 0.3})
    assert np.array_equal(a, target.read_rgb())


def test_unknown_visual_lists_available(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownVisualError) as info:
        renderer.render(UNIFORMS, target.framebuffer, visual="no_such_visual")
    message = str(info.value)
    assert "no_such_visual" in message
    for name in ("essence_module", "enclave", "crowd_chaos", "blackout"):
        assert name in message


def test_every_input_type_reaches_the_shader(gl, tmp_path, target) -> None:  # type: ignore[no-untyped-def]
    from performance.render.program import ShaderLibrary
    from performance.render.renderer import Renderer

    (tmp_path / "types.frag").write_text(
        '#version 330\n/* {"INPUTS": [{"NAME": "on", "TYPE": "bool", "DEFAULT": true},\n'
        '{"NAME": "n", "TYPE": "int", "DEFAULT": 2, "MIN": 0, "MAX": 5},\n'
        '{"NAME": "pt", "TYPE": "point2D", "DEFAULT": [0.5, 0.5]}]} */\nout vec4 fragColor;\n'
        "void main() { fragColor = vec4(in_on ? 1.0 : 0.0, float(in_n) / 5.0, in_pt.x, 1.0); }\n",
        encoding="utf-8")
    lib = ShaderLibrary(gl, tmp_path)
    renderer = Renderer(gl, lib)
    renderer.render(UNIFORMS, target.framebuffer, visual="types")
    assert target.read_rgb()[0, 0].tolist() == [255, 102, 128]
    renderer.render(UNIFORMS, target.framebuffer, visual="types",
                    inputs={"on": False, "n": 3.4, "pt": [0.25, 2.0]})
    assert target.read_rgb()[0, 0].tolist() == [0, 153, 64]
    renderer.release()
    lib.release()
