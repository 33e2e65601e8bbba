"""GL context and compositing for the live output: the window's context, the stage, the layers.

Owns what moderngl does for the live rig besides drawing visuals: the context made from the
window's current OpenGL context (`context_from_current_window`), the stage target (the
audience image: nothing else is ever drawn there), and `Compositor`, which puts that stage
onto the output framebuffer (the window's screen, or an offscreen one when headless) and
draws the operator's RGBA overlay images on top of it; `thumbnail` is a small copy of the
stage (the audience image, never an overlay) made on the GPU, for the console.

The compositing pass (a clear and a filtered quad, letterboxed) runs only where it changes
the picture: when the output's size differs from the stage's (or `composite` asks for it).
At the stage's size the show is drawn straight into the output (`Pass.DIRECT`), and only a
frame with an overlay (or a thumbnail) first copies that picture into the stage target
(`Pass.COPY`, a blit), so the stage keeps the audience image without the operator's layers.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import moderngl
import numpy as np

from performance.render.headless import OffscreenTarget, read_rgb

if TYPE_CHECKING:
    from performance.render.warp import WarpPass
    from performance.venue.projector import ProjectorCalibration

GLContext = moderngl.Context
"""The OpenGL context type, for callers outside render/ that hand one around."""

QUAD_VERTEX = """#version 330
uniform vec4 u_rect;   // x0, y0, x1, y1 in normalised device coordinates
uniform int u_flip;    // 1: the texture's row 0 is the top (numpy images)
out vec2 v_uv;
void main() {
    vec2 corner = vec2(gl_VertexID & 1, (gl_VertexID >> 1) & 1);
    v_uv = u_flip == 1 ? vec2(corner.x, 1.0 - corner.y) : corner;
    gl_Position = vec4(mix(u_rect.xy, u_rect.zw, corner), 0.0, 1.0);
}
"""

SHRINK_FRAGMENT = """#version 330
uniform sampler2D u_image;
uniform vec2 u_size;   // the stage's size in texels
uniform int u_taps;    // taps per axis, two texels apart
in vec2 v_uv;
out vec4 fragColor;
void main() {
    // a box of 2 * u_taps texels around this pixel, on the texel grid: each bilinear tap
    // sits on a texel corner, so it is the exact mean of four texels
    vec2 start = floor(v_uv * u_size - float(u_taps) + 0.5);
    vec2 lo = 0.5 / u_size, hi = 1.0 - lo;
    vec4 sum = vec4(0.0);
    for (int j = 0; j < u_taps; ++j)
        for (int i = 0; i < u_taps; ++i)
            sum += texture(u_image, clamp((start + 1.0 + 2.0 * vec2(i, j)) / u_size, lo, hi));
    fragColor = sum / float(u_taps * u_taps);
}
"""
"""The thumbnail's pass: each small pixel the mean of the stage texels in a box about its
footprint's size (an area average, where one bilinear tap per pixel would alias)."""

QUAD_FRAGMENT = """#version 330
uniform sampler2D u_image;
in vec2 v_uv;
out vec4 fragColor;
void main() {
    fragColor = texture(u_image, v_uv);
}
"""


def context_from_current_window() -> moderngl.Context:
    """A moderngl context wrapping the OpenGL 3.3 context the window made current."""
    return moderngl.create_context(require=330)


def fit_rect(inner: tuple[int, int], outer: tuple[int, int]) -> tuple[int, int, int, int]:
    """The largest rectangle of `inner`'s aspect centred in `outer`: (x, y, width, height)."""
    iw, ih = inner
    ow, oh = outer
    scale = min(ow / iw, oh / ih)
    w, h = max(1, round(iw * scale)), max(1, round(ih * scale))
    return ((ow - w) // 2, (oh - h) // 2, w, h)


class Pass(StrEnum):
    """How the last presented frame's stage reached the output."""

    DIRECT = "direct"  # drawn straight into the output, nothing else done
    COPY = "copy"  # drawn into the output, copied into the stage target (overlays, thumbnail)
    SCALED = "scaled"  # drawn into the stage target, then a clear and a letterboxed quad
    WARPED = "warped"  # drawn into the stage target, then the projector warp (render/warp.py)


@dataclass
class _Layer:
    texture: moderngl.Texture
    size: tuple[int, int]


class Compositor:
    """The stage target plus the output framebuffer it is shown on, with overlay layers.

    `output` None makes an offscreen output of `output_size` (headless); otherwise it is the
    window's screen framebuffer, whose size the window reports through `resize`.
    `composite` True takes the scaled pass every frame, even at the stage's size.

    Each frame: draw the show inside `drawing()`, then `begin()`, then `overlay(...)` layers.
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        stage_size: tuple[int, int],
        *,
        output: moderngl.Framebuffer | None = None,
        output_size: tuple[int, int] | None = None,
        composite: bool = False,
    ) -> None:
        self.ctx = ctx
        self.stage = OffscreenTarget(ctx, *stage_size)
        self.stage.texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._own_output: OffscreenTarget | None = None
        if output is None:
            self._own_output = OffscreenTarget(ctx, *(output_size or stage_size))
            output = self._own_output.framebuffer
        self.output = output
        self.output_size: tuple[int, int] = tuple(output.size)  # type: ignore[assignment]
        self.composite = composite
        self._program = ctx.program(vertex_shader=QUAD_VERTEX, fragment_shader=QUAD_FRAGMENT)
        self._vao = ctx.vertex_array(self._program, [])
        self._layers: dict[str, _Layer] = {}
        self._shrink: tuple[moderngl.Program, moderngl.VertexArray] | None = None  # thumbnail
        self._small: OffscreenTarget | None = None  # the thumbnail's target (kept per size)
        self._planned: Pass | None = None  # this frame's pass, chosen by `drawing`
        self._drawn = False  # the show was drawn since the last `begin`
        self.last_pass: Pass | None = None  # what the last presented frame did
        self.quads_drawn = 0  # textured quads drawn so far (the scaled pass, the overlays)
        self.warp: WarpPass | None = None  # the projector calibration's pass (set_calibration)

    @property
    def direct(self) -> bool:
        """Whether the show is drawn straight into the output: the compositing pass would
        change nothing (the output is the stage's size and nothing asks for the pass)."""
        size = self.stage.size
        return (not self.composite and self.output_size == size
                and tuple(self.output.size) == size and not self.warping)

    @property
    def warping(self) -> bool:
        """Whether a projector calibration that changes the picture is set."""
        return self.warp is not None and self.warp.active

    def set_calibration(self, calibration: ProjectorCalibration | None) -> None:
        """Fit the output to the wall with `calibration` from the next frame on (None or the
        identity: no warp pass at all, the frame as without a calibration)."""
        if calibration is None:
            if self.warp is not None:
                self.warp.release()
                self.warp = None
        elif self.warp is None:
            from performance.render.warp import WarpPass

            self.warp = WarpPass(self.ctx, calibration)
        else:
            self.warp.set(calibration)

    @contextmanager
    def drawing(self) -> Iterator[moderngl.Framebuffer]:
        """Where to draw this frame's show: the output itself when `direct`, else the stage
        target. A draw that raises leaves the output black (at the stage's size) or the
        last stage picture shown (scaled)."""
        self._planned = Pass.DIRECT if self.direct else Pass.SCALED
        self._drawn = False
        yield self.output if self._planned is Pass.DIRECT else self.stage.framebuffer
        self._drawn = True

    def resize(self, size: tuple[int, int]) -> None:
        """The output (window) changed size; the stage keeps its resolution."""
        self.output_size = (max(1, size[0]), max(1, size[1]))

    def begin(self) -> None:
        """Put the stage on the output: nothing to do when it was drawn there; otherwise
        clear the output and draw the stage scaled to fit (letterboxed)."""
        planned, drawn = self._planned, self._drawn
        self._planned, self._drawn = None, False
        self.output.use()
        self.output.viewport = (0, 0, *self.output_size)
        self.ctx.disable(moderngl.BLEND)
        if planned is Pass.DIRECT and self.direct:
            self.last_pass = Pass.DIRECT
            if not drawn:
                self.ctx.clear(0.0, 0.0, 0.0, 1.0)
            return
        self.ctx.clear(0.0, 0.0, 0.0, 1.0)
        if self.warp is not None and self.warp.active:
            self.last_pass = Pass.WARPED
            self.warp.draw(self.stage.texture, self.output_size)
            return
        self.last_pass = Pass.SCALED
        x, y, w, h = fit_rect(self.stage.size, self.output_size)
        self._quad(self.stage.texture, (x, y, w, h), flip=False, from_top=False)

    def overlay(self, key: str, image: np.ndarray | None, position: tuple[int, int]) -> None:
        """Draw an RGBA uint8 image (row 0 at the top) with its top-left corner at `position`
        (output pixels from the top-left). `image` None redraws the last image under `key`."""
        layer = self._layers.get(key)
        if image is not None:
            h, w = image.shape[:2]
            if layer is None or layer.size != (w, h):
                if layer is not None:
                    layer.texture.release()
                layer = _Layer(self.ctx.texture((w, h), 4), (w, h))
                self._layers[key] = layer
            layer.texture.write(np.ascontiguousarray(image, dtype=np.uint8).tobytes())
        if layer is None:
            return
        self._keep_stage()  # keep the audience image out of the overlay
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        x, y = position
        w, h = layer.size
        self._quad(layer.texture, (x, y, w, h), flip=True, from_top=True)
        self.ctx.disable(moderngl.BLEND)

    def _keep_stage(self) -> None:
        """In the direct pass, copy the output's picture into the stage target (once a
        frame: the pass becomes COPY), so the stage keeps it when overlays are drawn."""
        if self.last_pass is Pass.DIRECT:
            self.ctx.copy_framebuffer(self.stage.framebuffer, self.output)
            self.last_pass = Pass.COPY
            self.output.use()

    def thumbnail(self, width: int) -> np.ndarray:
        """The stage (what the audience sees, never an overlay) `width` pixels across, of
        the stage's aspect, as (h, w, 3) uint8 RGB, row 0 at the top. Call it after
        `begin`: the stage is shrunk on the GPU and only the small picture is read back
        (in the direct pass the output is first copied into the stage target, as before
        an overlay, so overlays drawn after it copy nothing more)."""
        sw, sh = self.stage.size
        width = max(1, min(int(width), sw))
        height = max(1, round(sh * width / sw))
        if self._shrink is None:  # made on first use
            shrink = self.ctx.program(vertex_shader=QUAD_VERTEX, fragment_shader=SHRINK_FRAGMENT)
            self._shrink = (shrink, self.ctx.vertex_array(shrink, []))
        if self._small is None or self._small.size != (width, height):
            if self._small is not None:
                self._small.release()
            self._small = OffscreenTarget(self.ctx, width, height)
        self._keep_stage()
        taps = max(1, min(8, math.ceil(max(sw / width, sh / height) / 2)))
        program, vao = self._shrink
        program["u_rect"].write(struct.pack("4f", -1.0, -1.0, 1.0, 1.0))  # type: ignore[union-attr]
        program["u_flip"].write(struct.pack("i", 0))  # type: ignore[union-attr]
        program["u_image"].write(struct.pack("i", 0))  # type: ignore[union-attr]
        program["u_taps"].write(struct.pack("i", taps))  # type: ignore[union-attr]
        program["u_size"].write(struct.pack("2f", sw, sh))  # type: ignore[union-attr]
        self.ctx.disable(moderngl.BLEND)
        try:
            self._small.framebuffer.use()
            self._small.framebuffer.viewport = (0, 0, width, height)
            self.stage.texture.use(0)
            vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
            return self._small.read_rgb()
        finally:
            self.output.use()  # overlays go on drawing into the output, whatever happened

    def _quad(
        self, texture: moderngl.Texture, rect: tuple[int, int, int, int], *, flip: bool,
        from_top: bool,
    ) -> None:
        ow, oh = self.output_size
        x, y, w, h = rect
        if from_top:
            y = oh - y - h
        ndc = (2 * x / ow - 1, 2 * y / oh - 1, 2 * (x + w) / ow - 1, 2 * (y + h) / oh - 1)
        self._program["u_rect"].write(struct.pack("4f", *ndc))  # type: ignore[union-attr]
        self._program["u_flip"].write(struct.pack("i", int(flip)))  # type: ignore[union-attr]
        self._program["u_image"].write(struct.pack("i", 0))  # type: ignore[union-attr]
        texture.use(0)
        self._vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
        self.quads_drawn += 1

    def read_output(self) -> np.ndarray:
        """What the output shows now as (H, W, 3) uint8, row 0 at the top."""
        return read_rgb(self.output, self.output_size)

    def read_stage(self) -> np.ndarray:
        """The audience image as (H, W, 3) uint8, row 0 at the top."""
        if self.last_pass is Pass.DIRECT:  # the output holds it (no overlay drawn yet)
            return read_rgb(self.output, self.stage.size)
        return self.stage.read_rgb()

    def release(self) -> None:
        for layer in self._layers.values():
            layer.texture.release()
        self._layers.clear()
        self.set_calibration(None)
        self._vao.release()
        self._program.release()
        if self._shrink is not None:
            for part in self._shrink[::-1]:
                part.release()
        if self._small is not None:
            self._small.release()
        self.stage.release()
        if self._own_output is not None:
            self._own_output.release()
