"""The bare references the benchmarks measure the rig against (no rig code in them).

`BareShader`: one of the rig's fragment shaders drawn with a full-screen triangle into a
framebuffer of the stage's size, then `ctx.finish()`: what any moderngl loop would do.
"""

from __future__ import annotations

import moderngl
from report import ROOT

VERTEX = """#version 330
void main() {
    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""


class BareShader:
    """shaders/<visual>.frag into a same-size framebuffer; `u_time`/`u_resolution` set when
    the shader has them (its other uniforms keep GL's zero defaults)."""

    def __init__(self, ctx: moderngl.Context, visual: str, size: tuple[int, int]) -> None:
        from performance.render.source import load_shader

        self.ctx = ctx
        shaders = ROOT / "shaders"  # the file with its #includes expanded, nothing else
        source = load_shader(shaders / f"{visual}.frag", root=shaders, deps=set()).text
        self.program = ctx.program(vertex_shader=VERTEX, fragment_shader=source)
        self.vao = ctx.vertex_array(self.program, [])
        self.texture = ctx.texture(size, 4)
        self.fbo = ctx.framebuffer(color_attachments=[self.texture])
        if "u_resolution" in self.program:
            self.program["u_resolution"].value = (float(size[0]), float(size[1]))

    def step(self, frame: int) -> None:
        if "u_time" in self.program:
            self.program["u_time"].value = frame / 60.0
        self.fbo.use()
        self.vao.render(moderngl.TRIANGLES, vertices=3)
        self.ctx.finish()

    def release(self) -> None:
        from performance.render.headless import release_framebuffer

        release_framebuffer(self.ctx, self.fbo)
        self.texture.release()
        self.vao.release()
        self.program.release()
