"""The render thread's waits for the GPU let go of the interpreter lock (render/finish.py)."""

from __future__ import annotations

import threading
import time

import moderngl
import numpy as np
import pytest

from performance.render.finish import GpuWait
from performance.render.headless import release_framebuffer

pytestmark = pytest.mark.gl

VERTEX = """#version 330
in vec2 pos;
void main() { gl_Position = vec4(pos, 0.0, 1.0); }
"""
HEAVY = """#version 330
uniform int n;
out vec4 color;
void main() {
    float v = gl_FragCoord.x * 0.001;
    for (int i = 0; i < n; i++) { v = fract(sin(v * 12.9898 + float(i)) * 43758.5453); }
    color = vec4(v, 0.5, 0.25, 1.0);
}
"""
SIZE = (256, 256)


class Counter:
    """A Python thread counting as fast as it can: it counts only while it holds the GIL."""

    def __init__(self) -> None:
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.count += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


Owned = list[moderngl.Program | moderngl.Buffer]


def _heavy_frame(gl: moderngl.Context
                 ) -> tuple[moderngl.Framebuffer, moderngl.VertexArray, float, Owned]:
    """A framebuffer, a vertex array of a loop shader drawing into it, one frame's time (at
    least 0.15 s with moderngl's own finish: the loop doubled until it is) and the program and
    buffer to release after."""
    prog = gl.program(vertex_shader=VERTEX, fragment_shader=HEAVY)
    quad = gl.buffer(np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype="f4").tobytes())
    vao = gl.vertex_array(prog, [(quad, "2f", "pos")])
    fbo = gl.simple_framebuffer(SIZE)
    fbo.use()
    n = 64
    while True:
        prog["n"].value = n
        started = time.perf_counter()
        vao.render(moderngl.TRIANGLE_STRIP)
        gl.finish()
        took = time.perf_counter() - started
        if took >= 0.15 or n >= 1 << 22:
            break
        n *= 2
    return fbo, vao, took, [prog, quad]


def test_the_wait_lets_other_threads_run_and_the_frame_is_done_when_it_returns(
        gl: moderngl.Context) -> None:
    wait = GpuWait(gl)
    assert wait.gil_free, "glFinish not found in the process's OpenGL library"
    fbo, vao, frame_s, owned = _heavy_frame(gl)
    counted: dict[str, int] = {}
    counter = Counter()
    try:
        for name, finish in (("moderngl", gl.finish), ("gpu wait", wait.wait),
                             ("before sampling", wait.before_sampling)):
            vao.render(moderngl.TRIANGLE_STRIP)
            before = counter.count
            finish()
            counted[name] = counter.count - before
        vao.render(moderngl.TRIANGLE_STRIP)
        wait.wait()
        started = time.perf_counter()
        fbo.read(components=3)  # the frame is drawn: nothing is left to wait for
        read_s = time.perf_counter() - started
    finally:
        counter.stop()
    assert counted["gpu wait"] > 10 * counted["moderngl"] + 1000, counted
    assert wait.software == ("llvmpipe" in gl.info["GL_RENDERER"])
    if wait.software:  # the draw that samples the frame would wait holding the lock
        assert counted["before sampling"] > 10 * counted["moderngl"] + 1000, counted
    assert read_s < frame_s / 4, (read_s, frame_s)
    for thing in (vao, *owned):
        thing.release()
    release_framebuffer(gl, fbo)  # the current one: the default is bound first
