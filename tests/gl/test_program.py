"""Compile errors with file:line, keep-last-good reloads and mtime-polled hot reload."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from performance.render.frame_uniforms import FrameUniforms
from performance.render.program import ShaderLibrary
from performance.render.renderer import Renderer
from performance.render.source import ShaderError, load_shader

pytestmark = pytest.mark.gl
UNIFORMS = FrameUniforms(time=1.0, resolution=(128, 72))

GOOD = """#version 330
/* {"INPUTS": [{"NAME": "level", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0, "MAX": 1},
               {"NAME": "tint", "TYPE": "color", "DEFAULT": [1, 0.5, 0.25, 1]}]} */
#include "lib/helpers.glsl"
out vec4 fragColor;
void main() {
    fragColor = vec4(in_tint.rgb * shade(gl_FragCoord.x / 128.0) * in_level, 1.0);
}
"""
HELPERS = "// helpers\nfloat shade(float x) {\n    return x;\n}\n"


def _bump(path: Path, text: str) -> None:
    """Rewrite a file and move its mtime forward so polling sees the change."""
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture
def shader_dir(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helpers.glsl").write_text(HELPERS, encoding="utf-8")
    (tmp_path / "mine.frag").write_text(GOOD, encoding="utf-8")
    return tmp_path


def test_keep_last_good_with_file_line(gl, shader_dir, target) -> None:  # type: ignore[no-untyped-def]
    lib = ShaderLibrary(gl, shader_dir)
    renderer = Renderer(gl, lib)
    assert lib.errors() == {} and lib.visuals() == ["blackout", "fallback", "mine"]
    renderer.render(UNIFORMS, target.framebuffer, visual="mine")
    good = target.read_rgb()
    assert good.std() > 1

    broken = GOOD.replace("in_level, 1.0);", "in_level, 1.0)\n    oops;")
    line = broken.splitlines().index("    oops;") + 1
    _bump(shader_dir / "mine.frag", broken)
    results = lib.poll()
    assert len(results) == 1 and not results[0].ok
    assert f"mine.frag:{line}" in (results[0].error or "")
    assert lib.errors()["mine"] == results[0].error
    renderer.render(UNIFORMS, target.framebuffer, visual="mine")
    assert np.array_equal(target.read_rgb(), good)

    assert lib.poll() == []  # nothing changed: no recompile
    _bump(shader_dir / "mine.frag", GOOD.replace("in_level, 1.0);", "0.0, 1.0);"))
    assert [r.ok for r in lib.poll()] == [True]
    renderer.render(UNIFORMS, target.framebuffer, visual="mine")
    assert target.read_rgb().max() == 0
    renderer.release()
    lib.release()


def test_error_in_include_points_at_included_file(gl, shader_dir) -> None:  # type: ignore[no-untyped-def]
    lib = ShaderLibrary(gl, shader_dir)
    _bump(shader_dir / "lib" / "helpers.glsl", HELPERS.replace("return x;", "return y;"))
    results = lib.poll()  # an include changed: the visual using it is rebuilt
    assert len(results) == 1 and not results[0].ok
    assert "helpers.glsl:3" in (results[0].error or "")
    assert lib.get("mine") is lib.slot("mine").current
    lib.release()


def test_slot_try_reload_reports_error(gl, shader_dir) -> None:  # type: ignore[no-untyped-def]
    lib = ShaderLibrary(gl, shader_dir)
    slot = lib.slot("mine")
    before = slot.current
    path = shader_dir / "other.frag"
    path.write_text("#version 330\nout vec4 fragColor;\nvoid main() {\n  fragColor = 1;\n}\n",
                    encoding="utf-8")
    result = slot.try_reload(load_shader(path, root=shader_dir))
    assert not result.ok and "other.frag:4" in (result.error or "")
    assert slot.current is before
    lib.release()


def test_never_compiled_visual_uses_fallback_and_bad_header_is_reported(gl, shader_dir) -> None:  # type: ignore[no-untyped-def]
    (shader_dir / "bad.frag").write_text("#version 330\n/* {\"INPUTS\": [} */\n",
                                         encoding="utf-8")
    lib = ShaderLibrary(gl, shader_dir)
    assert "bad.frag:2" in lib.errors()["bad"]
    assert lib.get("bad") is lib.fallback
    lib.release()


def test_injected_stat_drives_polling(gl, shader_dir) -> None:  # type: ignore[no-untyped-def]
    clock = {"ns": 1}

    class FakeStat:
        def __init__(self, ns: int) -> None:
            self.st_mtime_ns, self.st_size = ns, 1

    lib = ShaderLibrary(gl, shader_dir, stat=lambda p: FakeStat(clock["ns"]))  # type: ignore[arg-type, return-value]
    assert lib.poll() == []
    clock["ns"] = 2
    assert [r.name for r in lib.poll()] == ["mine"]
    lib.release()


def test_compile_error_is_a_shader_error(gl, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from performance.render.program import compile_source

    path = tmp_path / "x.frag"
    path.write_text("#version 330\nvoid main() { nope(); }\n", encoding="utf-8")
    with pytest.raises(ShaderError, match=r"x\.frag:2"):
        compile_source(gl, "x", load_shader(path, root=tmp_path))
