"""The one uniform contract between Python and GLSL, written once as a table.

Everything else is generated from `UNIFORMS`: the GLSL declarations in
`shaders/lib/uniforms.glsl` and the reference in `shaders/README.md`
(`python -m performance.render.uniforms` rewrites both; a test fails when they drift).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from performance.core.types import EMOTIONS

MAX_FACES = 8
SHADER_ROOT = Path(__file__).resolve().parents[2] / "shaders"
INPUT_PREFIX = "in_"


@dataclass(frozen=True)
class Uniform:
    """One shared uniform: GLSL name and type, array length (0 = scalar), range, meaning."""

    name: str
    glsl_type: str
    minimum: float
    maximum: float
    meaning: str
    array: int = 0

    def declaration(self) -> str:
        suffix = f"[{self.array}]" if self.array else ""
        return f"uniform {self.glsl_type} {self.name}{suffix};"

    def clamp(self, value: float) -> float:
        """Clamp one component into range; NaN becomes the minimum (never sent to a shader)."""
        if math.isnan(value):
            return self.minimum
        return min(max(value, self.minimum), self.maximum)


_INF = math.inf
UNIFORMS: tuple[Uniform, ...] = (
    Uniform("u_time", "float", 0.0, _INF, "Seconds since the show started (injected clock)."),
    Uniform("u_delta", "float", 0.0, 1.0, "Seconds since the previous frame."),
    Uniform("u_frame", "int", 0, 2**31 - 1, "Frames rendered since the show started."),
    Uniform("u_resolution", "vec2", 1.0, 16384.0, "Size of the render target in pixels."),
    Uniform("u_valence", "float", -1.0, 1.0,
            "Crowd valence: -1 negative (cold colours), +1 positive (warm colours)."),
    Uniform("u_arousal", "float", -1.0, 1.0,
            "Crowd arousal: -1 drowsy, 0 calm/neutral room, +1 excited (flicker)."),
    Uniform("u_emotions", "float", 0.0, 1.0,
            "Crowd emotion probabilities in EMOTIONS order; index with EMO_* defines.",
            array=len(EMOTIONS)),
    Uniform("u_faces", "float", 0.0, 1000.0, "Smoothed number of faces in view."),
    Uniform("u_face_slots", "int", 0, MAX_FACES, "How many entries of u_face are valid."),
    Uniform("u_face", "vec4", -1.0, 1.0,
            "Per face: x, y in 0..1 of the picture (y up), valence, arousal.",
            array=MAX_FACES),
    Uniform("u_face_size", "float", 0.0, 1.0,
            "Per face: width as a share of the picture width (0 = empty slot).",
            array=MAX_FACES),
    Uniform("u_chaos", "float", 0.0, 1.0, "Crowd chaos: churn and disagreement, 0 calm."),
    Uniform("u_spread", "float", 0.0, 1.0, "Spread of emotion across faces, 0 unanimous."),
    Uniform("u_motion", "float", 0.0, 1.0, "Mean head motion in the crowd."),
    Uniform("u_presence", "float", 0.0, 1.0, "0 empty room (fade to idle), 1 audience present."),
    Uniform("u_act", "int", 0, 99, "Current act of the show (0 = prologue)."),
    Uniform("u_cue_progress", "float", 0.0, 1.0, "Position inside the current cue."),
    Uniform("u_transition", "float", 0.0, 1.0,
            "This visual's share of a crossfade: 1 alone, rises when fading in, falls out."),
)

UNIFORMS_BY_NAME: dict[str, Uniform] = {u.name: u for u in UNIFORMS}


def _range_text(u: Uniform) -> str:
    def fmt(v: float) -> str:
        if math.isinf(v):
            return "inf"
        return str(int(v)) if u.glsl_type == "int" or float(v).is_integer() else f"{v:g}"

    return f"{fmt(u.minimum)} .. {fmt(u.maximum)}"


def render_uniform_glsl() -> str:
    """The GLSL include declaring every shared uniform (content of shaders/lib/uniforms.glsl)."""
    lines = [
        "// GENERATED from performance/render/uniforms.py - do not edit.",
        "// Rewrite with: python -m performance.render.uniforms",
        "",
        f"#define MAX_FACES {MAX_FACES}",
    ]
    lines += [f"#define EMO_{name.upper()} {i}" for i, name in enumerate(EMOTIONS)]
    lines.append("")
    for u in UNIFORMS:
        lines.append(f"{u.declaration():<36}// {_range_text(u)}: {u.meaning}")
    return "\n".join(lines) + "\n"


def render_uniform_docs() -> str:
    """Markdown reference for shader authors (content of shaders/README.md)."""
    rows = "\n".join(
        f"| `{u.name}` | `{u.glsl_type}{f'[{u.array}]' if u.array else ''}` "
        f"| {_range_text(u)} | {u.meaning} |"
        for u in UNIFORMS
    )
    emotions = ", ".join(f"`EMO_{e.upper()}` = {i}" for i, e in enumerate(EMOTIONS))
    return f"""# Shaders

<!-- GENERATED from performance/render/uniforms.py - do not edit.
     Rewrite with: python -m performance.render.uniforms -->

Every `*.frag` in this folder is a visual, named by its file stem. Rules:

- GLSL 330 core; the first line is `#version 330` (optionally `core`).
- `#include "lib/name.glsl"` pulls in shared code, resolved relative to this folder.
  Each file is included at most once per shader; a cycle is an error. Compile errors are
  reported as `file:line` of the original file, includes included.
- `#include "lib/common.glsl"` gives `in vec2 v_uv` (0..1, y up), `out vec4 fragColor` and
  the shared uniforms below (`lib/uniforms.glsl`, generated).
- Tunable inputs are declared in a JSON header comment, ISF style:
  `/* {{"DESCRIPTION": "...", "INPUTS": [{{"NAME": "flicker", "TYPE": "float",
  "DEFAULT": 0.5, "MIN": 0.0, "MAX": 1.0, "LABEL": "Flicker"}}]}} */`.
  TYPE is one of `float`, `int`, `bool`, `point2D` (vec2), `color` (vec4).
  Each input becomes a uniform named `{INPUT_PREFIX}<NAME>` (e.g. `{INPUT_PREFIX}flicker`),
  declared for you right after the `#version` line: do not declare it yourself.
  Cue lists and OSC can only set declared inputs; values are clamped to MIN..MAX.
- A failing edit keeps the last good program on the projector (hot reload); the error with
  `file:line` is shown to the operator only. `fallback` (built in) is shown for a visual
  that never compiled; `blackout` is pure black.

## Shared uniforms

Only the uniforms a program actually uses are set; values are clamped to the range.

| name | type | range | meaning |
|---|---|---|---|
{rows}

Defines: `MAX_FACES` = {MAX_FACES}; {emotions}.
"""


def write_generated(root: Path = SHADER_ROOT) -> list[Path]:
    """Rewrite shaders/lib/uniforms.glsl and shaders/README.md from the table."""
    targets = {
        root / "lib" / "uniforms.glsl": render_uniform_glsl(),
        root / "README.md": render_uniform_docs(),
    }
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(targets)


if __name__ == "__main__":  # pragma: no cover - tiny CLI
    for written in write_generated(Path(sys.argv[1]) if len(sys.argv) > 1 else SHADER_ROOT):
        print(f"wrote {written}")
