"""The uniform table, its generated files, FrameUniforms and shader-source parsing (no GL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from performance.core.errors import EssenceError
from performance.core.types import CrowdReading, EmotionReading, FaceEmotion
from performance.render.frame_uniforms import FrameUniforms
from performance.render.source import ShaderError, load_shader, parse_header
from performance.render.uniforms import (
    MAX_FACES,
    SHADER_ROOT,
    UNIFORMS,
    render_uniform_docs,
    render_uniform_glsl,
)

pytestmark = pytest.mark.gl


def test_generated_files_match_table() -> None:
    readme = (SHADER_ROOT / "README.md").read_text(encoding="utf-8")
    glsl = (SHADER_ROOT / "lib" / "uniforms.glsl").read_text(encoding="utf-8")
    hint = "run: python -m performance.render.uniforms"
    assert readme == render_uniform_docs(), hint
    assert glsl == render_uniform_glsl(), hint
    for u in UNIFORMS:
        assert f"`{u.name}`" in readme
        assert u.declaration() in glsl


def test_uniforms_cover_every_uniform_and_clamp() -> None:
    state = FrameUniforms(crowd=CrowdReading(valence=5.0, arousal=float("nan")),
                          faces=((0.1, 0.2, 0.3, 0.4, 0.5),))
    values = state.uniform_values()
    assert set(values) == {u.name for u in UNIFORMS}
    assert values["u_valence"] == 1.0
    assert values["u_arousal"] == -1.0
    assert len(values["u_face"]) == 4 * MAX_FACES and values["u_face"][:4] == [0.1, 0.2, 0.3, 0.4]
    assert values["u_face_size"][0] == 0.5 and values["u_face_slots"] == 1


def _face(fid: int, center: tuple[float, float], size: float, valence: float) -> FaceEmotion:
    reading = EmotionReading((1.0, 0, 0, 0, 0, 0, 0), valence, 0.3)
    return FaceEmotion(fid, center, size, reading, reading, age=1.0)


def test_from_crowd_flips_y_keeps_largest_and_orders_by_id() -> None:
    faces = [_face(i, (0.1 * i, 0.25), 0.01 * (i + 1), 0.5) for i in range(10)]
    state = FrameUniforms.from_crowd(
        CrowdReading(face_count=10, valence=0.4, chaos=0.2), faces,
        time=1.0, delta=0.02, frame=3, resolution=(64, 32),
    )
    assert len(state.faces) == MAX_FACES
    assert [round(f[0], 2) for f in state.faces] == [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert state.faces[0][1] == pytest.approx(0.75)
    assert state.crowd.valence == 0.4 and state.crowd.chaos == 0.2 and state.frame == 3
    mirrored = FrameUniforms.from_crowd(CrowdReading(), faces[:1], time=0, delta=0, frame=0,
                                      resolution=(1, 1), mirror_x=True)
    assert mirrored.faces[0][0] == pytest.approx(1.0)


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_header_inputs_parsed_and_declared() -> None:
    src = load_shader(SHADER_ROOT / "essence_module.frag")
    names = [i.name for i in src.inputs]
    assert {"intensity", "hue_shift", "grain"} <= set(names)
    assert "uniform float in_intensity;" in src.text
    assert src.text.startswith("#version 330\n")
    assert src.description
    inp = src.inputs[names.index("intensity")]
    assert inp.coerce(99) == inp.maximum and inp.coerce(-1) == inp.minimum


@pytest.mark.parametrize(("header", "needle"), [
    ('{"INPUTS": [{"NAME": "a", "TYPE": "float", "DEFAULT": 0.5,}]}', "invalid JSON"),
    ('{"INPUTS": [{"NAME": "a", "TYPE": "texture", "DEFAULT": 0.5}]}', "unknown TYPE"),
    ('{"INPUTS": [{"NAME": "a", "TYPE": "float", "DEFAULT": 2, "MIN": 0, "MAX": 1}]}',
     "outside MIN..MAX"),
    ('{"INPUTS": [{"NAME": "a b", "TYPE": "float", "DEFAULT": 0}]}', "identifier"),
])
def test_bad_header_names_file_and_line(tmp_path: Path, header: str, needle: str) -> None:
    path = _write(tmp_path, "bad.frag", f"#version 330\n/*\n{header}\n*/\nvoid main() {{}}\n")
    with pytest.raises(ShaderError) as info:
        load_shader(path, root=tmp_path)
    assert isinstance(info.value, EssenceError)
    assert "bad.frag:3" in str(info.value) and needle in str(info.value)


def test_version_must_be_first_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "v.frag", "// hi\n#version 330\nvoid main() {}\n")
    with pytest.raises(ShaderError, match=r"v\.frag:1"):
        load_shader(path, root=tmp_path)


def test_include_expansion_and_line_map(tmp_path: Path) -> None:
    _write(tmp_path, "lib/a.glsl", '#include "lib/b.glsl"\nfloat a() { return b(); }\n')
    _write(tmp_path, "lib/b.glsl", "float b() { return 1.0; }\n")
    main = _write(tmp_path, "m.frag",
                  '#version 330\n#include "lib/a.glsl"\n#include "lib/b.glsl"\nvoid main() {}\n')
    src = load_shader(main, root=tmp_path)
    lines = src.text.splitlines()
    n = lines.index("float a() { return b(); }") + 1
    assert src.locate(n) == ((tmp_path / "lib/a.glsl").resolve(), 2)
    assert src.text.count("float b()") == 1  # included once
    assert src.locate(lines.index("void main() {}") + 1) == (main, 4)
    assert (tmp_path / "lib/b.glsl").resolve() in src.files


def test_include_cycle_and_missing(tmp_path: Path) -> None:
    _write(tmp_path, "lib/x.glsl", '#include "lib/y.glsl"\n')
    _write(tmp_path, "lib/y.glsl", '\n#include "lib/x.glsl"\n')
    main = _write(tmp_path, "c.frag", '#version 330\n#include "lib/x.glsl"\n')
    with pytest.raises(ShaderError, match=r"y\.glsl:2: #include cycle"):
        load_shader(main, root=tmp_path)
    missing = _write(tmp_path, "d.frag", '#version 330\n\n#include "lib/nope.glsl"\n')
    with pytest.raises(ShaderError, match=r"d\.frag:3: cannot include"):
        load_shader(missing, root=tmp_path)


def test_header_absent_is_fine() -> None:
    assert parse_header("#version 330\nvoid main() {}\n", Path("x.frag")) == ((), "", 1)
