"""The projector warp: the final pass that fits the stage to the wall (venue/projector.py).

One fragment shader per output pixel computes where in the stage that pixel comes from: the
inverse corner-pin homography (perspective-correct: exact per pixel, not interpolated per
triangle), refined by the warp mesh (offsets sampled bilinearly from a small float texture;
the mesh is inverted by a few fixed-point steps), then samples the stage once (no second
resampling). Soft edges, the mask polygon (tested in the shader, even-odd) and
brightness/gamma are applied to that one sample. Outside the pinned quad is black.

An identity calibration changes nothing, so `WarpPass.active` is False for it and the
compositor skips the pass entirely (the frame is then byte-identical to no calibration).
"""

from __future__ import annotations

import struct

import moderngl
import numpy as np

from performance.render.headless import release_framebuffer
from performance.venue.homography import quad_to_square
from performance.venue.projector import MASK_POINTS, ProjectorCalibration

MESH_STEPS = 4  # fixed-point steps inverting the mesh (converges for gentle meshes)
ATTEN = "WITH_ATTEN"
ATTENUATION_PASS: tuple[str, ...] = ("ATTENUATION_PASS",)
UVMAP_PASS: tuple[str, ...] = ("UVMAP_PASS",)

WARP_VERTEX = """#version 330
void main() {
    vec2 corner = vec2(gl_VertexID & 1, (gl_VertexID >> 1) & 1);
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""

WARP_FRAGMENT = """#version 330
FEATURES
uniform sampler2D u_image;   // the stage; GL rows: row 0 at the bottom
uniform sampler2D u_mesh;    // RG32F offsets, columns x rows, row 0 = the top mesh row
uniform mat3 u_inverse;      // output point (x right, y down, 0..1) -> stage uv (v down)
uniform vec2 u_output;       // the output's size in pixels
uniform vec2 u_mesh_size;    // columns, rows (0, 0: no mesh)
uniform vec4 u_edges;        // soft edge widths: left, right, top, bottom
uniform float u_edge_gamma;
uniform int u_mask_count;    // 0: no mask
uniform vec2 u_mask[MASK_MAX];
uniform float u_brightness;
uniform float u_gamma;
uniform sampler2D u_atten;   // R32F at the output's size: soft edges x mask (0 outside it)
uniform sampler2D u_uvmap;   // RG32F at the output's size: the meshed stage uv (-1: none)
out vec4 fragColor;

vec3 to_source(vec2 p) {
    vec3 q = u_inverse * vec3(p, 1.0);
    return vec3(q.xy / q.z, q.z);
}

vec2 mesh_offset(vec2 uv) {
    vec2 t = (clamp(uv, 0.0, 1.0) * (u_mesh_size - 1.0) + 0.5) / u_mesh_size;
    return texture(u_mesh, t).xy;
}

float ramp(float d, float width) {
    return width > 0.0 ? pow(clamp(d / width, 0.0, 1.0), u_edge_gamma) : 1.0;
}

bool inside_mask(vec2 p) {
    bool inside = false;
    for (int i = 0, j = u_mask_count - 1; i < u_mask_count; j = i++) {
        vec2 a = u_mask[i], b = u_mask[j];
        if (((a.y > p.y) != (b.y > p.y))
                && (p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x)) {
            inside = !inside;
        }
    }
    return inside;
}

void main() {
    vec2 p = vec2(gl_FragCoord.x / u_output.x, 1.0 - gl_FragCoord.y / u_output.y);
#ifdef ATTENUATION_PASS
    float a = ramp(p.x, u_edges.x) * ramp(1.0 - p.x, u_edges.y)
            * ramp(p.y, u_edges.z) * ramp(1.0 - p.y, u_edges.w);
    fragColor = vec4(u_mask_count > 0 && !inside_mask(p) ? 0.0 : a, 0.0, 0.0, 1.0);
#elif defined(UVMAP_PASS)
    vec3 s = to_source(p);
    for (int i = 0; i < MESH_STEPS; i++) {
        s = to_source(p - mesh_offset(s.xy));
    }
    fragColor = vec4(s.z > 0.0 ? s.xy : vec2(-1.0), 0.0, 1.0);
#else
#ifdef WITH_MESH
    vec3 s = vec3(texelFetch(u_uvmap, ivec2(gl_FragCoord.xy), 0).xy, 1.0);
#else
    vec3 s = to_source(p);
#endif
    vec2 uv = s.xy;
    if (s.z <= 0.0 || any(lessThan(uv, vec2(0.0))) || any(greaterThan(uv, vec2(1.0)))) {
        fragColor = vec4(0.0, 0.0, 0.0, 1.0);
        return;
    }
    vec3 c = texture(u_image, vec2(uv.x, 1.0 - uv.y)).rgb;
#ifdef WITH_TONE
    c = clamp(u_brightness * pow(c, vec3(1.0 / u_gamma)), 0.0, 1.0);
#endif
#ifdef WITH_ATTEN
    c *= texelFetch(u_atten, ivec2(gl_FragCoord.xy), 0).r;
#endif
    fragColor = vec4(c, 1.0);
#endif
}
"""


class _Baked:
    """A per-output-pixel texture a pass drew, and what it was drawn for."""

    def __init__(self, texture: moderngl.Texture, framebuffer: moderngl.Framebuffer) -> None:
        self.texture, self.framebuffer = texture, framebuffer
        self.key: object = None

    def release(self, ctx: moderngl.Context) -> None:
        release_framebuffer(ctx, self.framebuffer)
        self.texture.release()


def _set(program: moderngl.Program, name: str, fmt: str, *values: float) -> None:
    member = program.get(name, None)
    if member is not None:  # a uniform the compiler dropped is no error
        member.write(struct.pack(fmt, *values))  # type: ignore[union-attr]


def features(cal: ProjectorCalibration) -> tuple[str, ...]:
    """The parts of the pass `cal` uses: a program is compiled per set of these, so a
    plain corner-pin costs a homography and one texture fetch per pixel, nothing more. Soft
    edges and the mask, and the meshed source position, depend on the output pixel alone:
    they are drawn once into textures at the output's size (again only when they change),
    each then one more fetch per pixel."""
    used = []
    if cal.mesh is not None and not cal.mesh.is_flat:
        used.append("WITH_MESH")
    if cal.brightness != 1.0 or cal.gamma != 1.0:
        used.append("WITH_TONE")
    if cal.mask is not None or not cal.edges.none:
        used.append(ATTEN)
    return tuple(used)


class WarpPass:
    """The calibration drawn as one full-output pass (`draw`); `set` swaps the calibration
    (the calibration tool does so live, cheaply: uniforms, a tiny mesh texture, and a
    program per set of `features`, each compiled once)."""

    def __init__(self, ctx: moderngl.Context, calibration: ProjectorCalibration) -> None:
        self.ctx = ctx
        self._programs: dict[tuple[str, ...], tuple[moderngl.Program,
                                                    moderngl.VertexArray]] = {}
        self._mesh: moderngl.Texture | None = None
        self._baked: dict[tuple[str, ...], _Baked] = {}  # per pass: the texture it drew
        self.calibration = calibration
        self.set(calibration)

    def _program(self, used: tuple[str, ...]) -> tuple[moderngl.Program, moderngl.VertexArray]:
        if used not in self._programs:
            source = (WARP_FRAGMENT.replace("FEATURES", "".join(f"#define {f}\n" for f in used))
                      .replace("MASK_MAX", str(MASK_POINTS[1]))
                      .replace("MESH_STEPS", str(MESH_STEPS)))
            program = self.ctx.program(vertex_shader=WARP_VERTEX, fragment_shader=source)
            self._programs[used] = (program, self.ctx.vertex_array(program, []))
        return self._programs[used]

    @property
    def active(self) -> bool:
        """Whether the pass changes the picture (False for the identity: skip it)."""
        return not self.calibration.is_identity

    def set(self, calibration: ProjectorCalibration) -> None:
        """Use `calibration` from the next `draw` on."""
        self.calibration = cal = calibration
        self.used = features(cal)
        self.program, self.vao = self._program(self.used)
        if ATTEN in self.used:
            self._uniforms(self._program(ATTENUATION_PASS)[0], cal)
        if "WITH_MESH" in self.used:
            self._uniforms(self._program(UVMAP_PASS)[0], cal)
        self._uniforms(self.program, cal)

    def _uniforms(self, prog: moderngl.Program, cal: ProjectorCalibration) -> None:
        inverse = quad_to_square(cal.corners).astype("f4")
        member = prog.get("u_inverse", None)
        if member is not None:
            member.write(inverse.T.tobytes())  # type: ignore[union-attr]  # GL: column-major
        e = cal.edges
        _set(prog, "u_edges", "4f", e.left, e.right, e.top, e.bottom)
        _set(prog, "u_edge_gamma", "f", e.gamma)
        _set(prog, "u_brightness", "f", cal.brightness)
        _set(prog, "u_gamma", "f", cal.gamma)
        mask = list(cal.mask or ())
        _set(prog, "u_mask_count", "i", len(mask))
        if mask:
            padded = mask + [(0.0, 0.0)] * (MASK_POINTS[1] - len(mask))
            member = prog.get("u_mask", None)
            if member is not None:
                member.write(np.array(padded, dtype="f4").tobytes())  # type: ignore[union-attr]
        mesh = cal.mesh
        if mesh is None or mesh.is_flat:
            _set(prog, "u_mesh_size", "2f", 0.0, 0.0)
            return
        data = np.array(mesh.offsets, dtype="f4").tobytes()
        if self._mesh is None or self._mesh.size != (mesh.columns, mesh.rows):
            if self._mesh is not None:
                self._mesh.release()
            self._mesh = self.ctx.texture((mesh.columns, mesh.rows), 2, dtype="f4")
            self._mesh.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self._mesh.repeat_x = self._mesh.repeat_y = False
        self._mesh.write(data)
        _set(prog, "u_mesh_size", "2f", float(mesh.columns), float(mesh.rows))

    def draw(self, image: moderngl.Texture, output_size: tuple[int, int]) -> None:
        """Draw `image` (the stage) warped over the whole of the bound framebuffer, whose
        size is `output_size`."""
        _set(self.program, "u_output", "2f", float(output_size[0]), float(output_size[1]))
        _set(self.program, "u_image", "i", 0)
        _set(self.program, "u_mesh", "i", 1)
        _set(self.program, "u_atten", "i", 2)
        _set(self.program, "u_uvmap", "i", 3)
        cal = self.calibration
        if ATTEN in self.used:
            self._bake(ATTENUATION_PASS, (cal.edges, cal.mask), output_size, 1).use(2)
        if "WITH_MESH" in self.used:
            if self._mesh is not None:
                self._mesh.use(1)
            self._bake(UVMAP_PASS, (cal.corners, cal.mesh), output_size, 2).use(3)
        image.use(0)
        if self._mesh is not None:
            self._mesh.use(1)
        self.vao.render(moderngl.TRIANGLE_STRIP, vertices=4)

    def _bake(self, name: tuple[str, ...], key: object, size: tuple[int, int],
              components: int) -> moderngl.Texture:
        """The float texture pass `name` draws at the output's `size`, redrawn only when
        `key` (what it depends on) or the size changes."""
        baked = self._baked.get(name)
        if baked is None or baked.texture.size != size:
            if baked is not None:
                baked.release(self.ctx)
            texture = self.ctx.texture(size, components, dtype="f4")
            texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
            baked = _Baked(texture, self.ctx.framebuffer(color_attachments=[texture]))
            self._baked[name] = baked
        if baked.key != key:
            program, vao = self._program(name)
            _set(program, "u_output", "2f", float(size[0]), float(size[1]))
            _set(program, "u_mesh", "i", 1)
            previous = self.ctx.fbo
            baked.framebuffer.use()
            baked.framebuffer.viewport = (0, 0, *size)
            vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
            if previous is not None:
                previous.use()
            baked.key = key
        return baked.texture

    def release(self) -> None:
        for baked in self._baked.values():
            baked.release(self.ctx)
        self._baked.clear()
        if self._mesh is not None:
            self._mesh.release()
        for program, vao in self._programs.values():
            vao.release()
            program.release()
        self._programs.clear()


class WarpedOutput:
    """An offscreen output of `size` the stage is warped into (the offline render's final
    pass when it is given a calibration)."""

    def __init__(self, ctx: moderngl.Context, calibration: ProjectorCalibration,
                 size: tuple[int, int]) -> None:
        from performance.render.headless import OffscreenTarget

        self.ctx = ctx
        self.warp = WarpPass(ctx, calibration)
        self.target = OffscreenTarget(ctx, *size)

    def present(self, stage: moderngl.Texture) -> np.ndarray:
        """`stage` warped onto the output, read back as (H, W, 3) uint8, row 0 at the top."""
        self.target.framebuffer.use()
        self.target.framebuffer.viewport = (0, 0, *self.target.size)
        self.ctx.disable(moderngl.BLEND)
        self.ctx.clear(0.0, 0.0, 0.0, 1.0)
        self.warp.draw(stage, self.target.size)
        return self.target.read_rgb()

    def release(self) -> None:
        self.target.release()
        self.warp.release()


def offline_warp(ctx: moderngl.Context, path: str, size: tuple[int, int]
                 ) -> WarpedOutput | None:
    """The warped output for the calibration file `path` (CalibrationError naming file and
    key when it is bad); None when `path` is empty or the calibration is the identity (the
    frames are then exactly the unwarped ones)."""
    if not path:
        return None
    from pathlib import Path

    from performance.venue.projector import load_projector

    calibration = load_projector(Path(path))
    return None if calibration.is_identity else WarpedOutput(ctx, calibration, size)
