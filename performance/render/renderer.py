"""The renderer: draws a visual (or a crossfade of two) into any moderngl framebuffer."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import moderngl

from performance.render.headless import release_framebuffer
from performance.render.program import CompiledProgram, ShaderLibrary, compile_text
from performance.render.state import InputValue, RenderState

MIX_SOURCE = """#version 330
out vec4 fragColor;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform float u_mix;
void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec3 a = texelFetch(u_a, p, 0).rgb;
    vec3 b = texelFetch(u_b, p, 0).rgb;
    fragColor = vec4(mix(a, b, u_mix), 1.0);
}
"""


def _write(program: moderngl.Program, name: str, value: Any) -> None:
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
        self._buffers: list[tuple[moderngl.Texture, moderngl.Framebuffer]] = []
        self._size: tuple[int, int] = (0, 0)

    def render(
        self,
        state: RenderState,
        target: moderngl.Framebuffer,
        *,
        visual: str,
        inputs: Mapping[str, InputValue] | None = None,
        previous: tuple[str, Mapping[str, InputValue]] | None = None,
        mix: float = 1.0,
    ) -> None:
        """Draw `visual` into `target`; with `previous`, fade from it (mix 0) to `visual` (1).

        `inputs` defaults to `state.inputs`; unknown names are ignored and values clamped to
        the declared range. u_resolution is always the target's size. Raises
        UnknownVisualError for a name the library does not know.
        """
        mix = min(max(float(mix), 0.0), 1.0) if mix == mix else 1.0
        current = self.library.get(visual)
        chosen = state.inputs if inputs is None else inputs
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST)
        if previous is None or mix >= 1.0:
            self._draw(current, state, chosen, target, 1.0)
            return
        old = self.library.get(previous[0])
        if mix <= 0.0:
            self._draw(old, state, previous[1], target, 1.0)
            return
        (tex_a, fbo_a), (tex_b, fbo_b) = self._offscreen(target.size)
        self._draw(old, state, previous[1], fbo_a, 1.0 - mix)
        self._draw(current, state, chosen, fbo_b, mix)
        target.use()
        target.viewport = (0, 0, *target.size)
        tex_a.use(0)
        tex_b.use(1)
        prog = self._mix.program
        _write(prog, "u_a", 0)
        _write(prog, "u_b", 1)
        _write(prog, "u_mix", mix)
        self._mix.vao.render(moderngl.TRIANGLES, vertices=3)

    def _draw(
        self,
        compiled: CompiledProgram,
        state: RenderState,
        inputs: Mapping[str, InputValue],
        target: moderngl.Framebuffer,
        transition: float,
    ) -> None:
        program = compiled.program
        width, height = target.size
        values = state.uniform_values(transition=transition)
        values["u_resolution"] = [float(width), float(height)]
        for name, value in values.items():
            if name in program:
                _write(program, name, value)
        for inp in compiled.inputs:
            if inp.uniform in program:
                raw = inputs.get(inp.name, inp.default)
                try:
                    value = inp.coerce(raw)
                except (TypeError, ValueError):
                    value = inp.default
                _write(program, inp.uniform, value)
        target.use()
        target.viewport = (0, 0, width, height)
        compiled.vao.render(moderngl.TRIANGLES, vertices=3)

    def _offscreen(
        self, size: tuple[int, int]
    ) -> list[tuple[moderngl.Texture, moderngl.Framebuffer]]:
        if size != self._size or not self._buffers:
            self._release_buffers()
            for _ in range(2):
                tex = self.ctx.texture(size, 4)
                tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
                self._buffers.append((tex, self.ctx.framebuffer(color_attachments=[tex])))
            self._size = size
        return self._buffers

    def _release_buffers(self) -> None:
        for tex, fbo in self._buffers:
            release_framebuffer(self.ctx, fbo)
            tex.release()
        self._buffers = []

    def release(self) -> None:
        """Free the renderer's own GL objects (not the library's)."""
        self._release_buffers()
        self._mix.release()
