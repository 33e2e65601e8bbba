"""The renderer: draws a visual (or a crossfade of two) at a master level into any moderngl
framebuffer."""

from __future__ import annotations

import struct
from collections.abc import Mapping

import moderngl

from performance.core.inputs import InputValue
from performance.render.frame_uniforms import FrameUniforms, UniformValue
from performance.render.headless import OffscreenTarget
from performance.render.program import CompiledProgram, ShaderLibrary, compile_text
from performance.render.source import input_uniform
from performance.render.uniforms import UNIFORMS_BY_NAME

MIX_SOURCE = """#version 330
out vec4 fragColor;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform float u_mix;
uniform float u_master;
void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec3 a = texelFetch(u_a, p, 0).rgb;
    vec3 b = texelFetch(u_b, p, 0).rgb;
    fragColor = vec4(mix(a, b, u_mix) * u_master, 1.0);
}
"""


_Pass = tuple[CompiledProgram, Mapping[str, InputValue], float]
"""One visual to draw: its program, its input values and its share of the crossfade."""


def _unit(value: float, nan: float) -> float:
    """`value` clamped to 0..1 (NaN becomes `nan`)."""
    value = float(value)
    return min(max(value, 0.0), 1.0) if value == value else nan


def _write(program: moderngl.Program, name: str, value: UniformValue | InputValue) -> None:
    """Write one uniform, packing by its own format; arrays the compiler shortened are
    trimmed to the elements it kept, short values are zero-padded."""
    member = program[name]
    if not isinstance(member, moderngl.Uniform):
        return
    flat = list(value) if isinstance(value, list | tuple) else [value]
    count = max(member.array_length, 1) * member.dimension
    flat = flat[:count] + [0] * (count - len(flat))
    if str(getattr(member, "fmt", "f")).endswith("i"):
        member.write(struct.pack(f"{count}i", *(round(float(v)) for v in flat)))
    else:
        member.write(struct.pack(f"{count}f", *(float(v) for v in flat)))


class Renderer:
    """Draws visuals from a ShaderLibrary; no window, the caller owns context and target."""

    def __init__(self, ctx: moderngl.Context, library: ShaderLibrary) -> None:
        self.ctx = ctx
        self.library = library
        self._mix = compile_text(ctx, "mix", MIX_SOURCE)
        self._buffers: list[OffscreenTarget] = []

    def render(
        self,
        uniforms: FrameUniforms,
        target: moderngl.Framebuffer,
        *,
        visual: str,
        inputs: Mapping[str, InputValue] | None = None,
        previous: tuple[str, Mapping[str, InputValue]] | None = None,
        mix: float = 1.0,
        master: float = 1.0,
    ) -> None:
        """Draw `visual` into `target`; with `previous`, fade from it (mix 0) to `visual` (1).

        `master` (0..1) scales the finished picture, crossfade included (0 is black).
        `inputs` defaults to `uniforms.inputs`; unknown names are ignored and values clamped to
        the declared range. u_resolution is always the target's size. Raises
        UnknownVisualError for a name the library does not know.
        """
        mix, master = _unit(mix, 1.0), _unit(master, 1.0)
        current = self.library.get(visual)
        chosen = uniforms.inputs if inputs is None else inputs
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST)
        fading: _Pass | None = None  # the previous visual, mixed out
        coming: _Pass | None = None  # `visual`, mixed in
        if previous is None or mix >= 1.0:
            coming, mix = (current, chosen, 1.0), 1.0
        elif mix <= 0.0:
            fading = (self.library.get(previous[0]), previous[1], 1.0)
        else:
            fading = (self.library.get(previous[0]), previous[1], 1.0 - mix)
            coming = (current, chosen, mix)
        if master <= 0.0:  # dark: nothing to draw (no visual keeps state between frames)
            target.use()
            target.viewport = (0, 0, *target.size)
            target.clear(0.0, 0.0, 0.0, 1.0)
            return
        if master >= 1.0 and (fading is None or coming is None):
            alone = coming if coming is not None else fading
            assert alone is not None
            draw_program(*alone, uniforms, target)  # one picture, straight into the target
            return
        # the mix pass: two offscreen pictures crossfaded, at the master level
        a, b = self._offscreen(target.size)
        if fading is not None:
            draw_program(*fading, uniforms, a.framebuffer)
        if coming is not None:
            draw_program(*coming, uniforms, b.framebuffer)
        target.use()
        target.viewport = (0, 0, *target.size)
        a.texture.use(0)
        b.texture.use(1)
        prog = self._mix.program
        _write(prog, "u_a", 0)
        _write(prog, "u_b", 1)
        _write(prog, "u_mix", mix)  # 0 or 1 exactly when only one picture was drawn
        _write(prog, "u_master", master)
        self._mix.vao.render(moderngl.TRIANGLES, vertices=3)

    def _offscreen(self, size: tuple[int, int]) -> list[OffscreenTarget]:
        """The two pictures a crossfade mixes, at `size` (made again when it changes)."""
        if not self._buffers or self._buffers[0].size != size:
            self._release_buffers()
            self._buffers = [OffscreenTarget(self.ctx, *size) for _ in range(2)]
            for buffer in self._buffers:
                buffer.texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        return self._buffers

    def _release_buffers(self) -> None:
        for buffer in self._buffers:
            buffer.release()
        self._buffers = []

    def release(self) -> None:
        """Free the renderer's own GL objects (not the library's)."""
        self._release_buffers()
        self._mix.release()


def draw_program(
    compiled: CompiledProgram,
    inputs: Mapping[str, InputValue],
    transition: float,
    uniforms: FrameUniforms,
    target: moderngl.Framebuffer,
) -> None:
    """Draw one program into all of `target`: the shared uniforms it uses (u_resolution is
    the target's size), its declared inputs (`inputs`, else each one's default, coerced into
    its range) and `transition` (its share of a crossfade)."""
    program = compiled.program
    width, height = target.size
    used = {name for name in UNIFORMS_BY_NAME if name in program}
    values = uniforms.uniform_values(transition=transition, names=used)
    values["u_resolution"] = [float(width), float(height)]
    for name, value in values.items():
        if name in program:
            _write(program, name, value)
    for inp in compiled.inputs:
        uniform = input_uniform(inp)
        if uniform in program:
            raw = inputs.get(inp.name, inp.default)
            try:
                coerced = inp.coerce(raw)
            except (TypeError, ValueError):
                coerced = inp.default
            _write(program, uniform, coerced)
    target.use()
    target.viewport = (0, 0, width, height)
    compiled.vao.render(moderngl.TRIANGLES, vertices=3)
