"""Waiting for the GPU without holding Python's interpreter lock.

moderngl holds the interpreter lock (the GIL) for the whole of every call, so when the render
thread waits for the frame to be drawn (`ctx.finish()`, a read-back, or the draw that samples
a texture still being drawn), no other thread of the render process runs: the capture thread
misses frames, and perception waits for them (`bench/bench_live.py`, an enclave show on
llvmpipe: capture delivered 15-20 of a clip's 24 frames a second and perception read 71-78 %
of those, 12-15 a second; with this wait 23.8 and all of them). `GpuWait` calls the
driver's `glFinish` through ctypes instead, which lets go of the lock for the call, so the
wait costs the other threads nothing; the moderngl calls after it find the work done.

Owns: finding `glFinish` in the process's OpenGL library (GLVND's libOpenGL or libGL, which
dispatch to the context current on this thread, whether EGL or GLX made it), the fallback to
moderngl's own `finish` (holding the lock) where no such library is found, and which
renderers draw on the CPU (`is_software`: only there does the draw that samples a texture
still being drawn stop the calling thread, so only there is it worth waiting before it).
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import moderngl

log = logging.getLogger(__name__)

LIBRARIES: dict[str, tuple[str, ...]] = {
    "linux": ("libOpenGL.so.0", "libGL.so.1", "libGL.so"),
    "darwin": ("/System/Library/Frameworks/OpenGL.framework/OpenGL",),
    "win32": ("opengl32",),
}
"""Where glFinish is looked for, per platform, in order."""
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swiftshader", "software rasterizer",
                      "software renderer", "gdi generic")
"""GL_RENDERER words of drivers that draw on the CPU and block a call that samples a texture
still being drawn (a GPU orders that itself, without stopping the calling thread)."""


def is_software(renderer: str) -> bool:
    """Whether the GL_RENDERER string names a renderer that draws on the CPU."""
    name = renderer.lower()
    return any(word in name for word in SOFTWARE_RENDERERS)


def _gl_finish() -> Callable[[], None] | None:
    """The driver's glFinish as a ctypes function (the GIL released while it runs), or None."""
    loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL  # type: ignore[attr-defined]
    for name in LIBRARIES.get(sys.platform, LIBRARIES["linux"]):
        try:
            function = loader(name).glFinish
        except (OSError, AttributeError):
            continue
        function.restype = None
        function.argtypes = []
        return function
    return None


class GpuWait:
    """`wait()` returns when everything drawn in `ctx` so far is done, with the GIL released
    for the wait where the OpenGL library can be called directly (`gil_free`); otherwise
    it is moderngl's `ctx.finish()`, said once in the log. `before_sampling()` is the same
    wait on a software renderer (`software`), where the draw that samples a texture still
    being drawn would wait holding the lock, and nothing on a GPU, which would lose the
    overlap of its drawing with the thread's next calls. `ctx` must be current on the
    calling thread (the render thread's context is)."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.software = is_software(str(ctx.info.get("GL_RENDERER", "")))
        self._finish = _gl_finish()
        self.gil_free = self._finish is not None
        if self._finish is None:
            log.info("no OpenGL library to call glFinish in: the render thread waits for "
                     "the GPU holding the interpreter lock")

    def wait(self) -> None:
        """Wait for the GPU's work so far (the frame drawn), letting other threads run."""
        if self._finish is not None:
            self._finish()
        else:
            self.ctx.finish()

    def before_sampling(self) -> None:
        """Before a draw that samples what was just drawn: `wait()` on a software renderer."""
        if self.software:
            self.wait()
