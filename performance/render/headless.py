"""Headless rendering: an EGL standalone context and an offscreen target read back as RGB."""

from __future__ import annotations

import moderngl
import numpy as np


def create_headless_context() -> moderngl.Context:
    """An OpenGL 3.3 core context without a window (EGL; works on Mesa llvmpipe)."""
    return moderngl.create_standalone_context(require=330, backend="egl")  # type: ignore[arg-type]


def release_framebuffer(ctx: moderngl.Context, fbo: moderngl.Framebuffer) -> None:
    """Release `fbo`, first binding the default framebuffer if `fbo` is the current one.

    moderngl re-binds its current framebuffer after creating objects; a deleted one would
    raise GL_INVALID_OPERATION there.
    """
    if ctx.fbo is fbo:
        (ctx.screen or ctx.detect_framebuffer(0)).use()
    fbo.release()


def read_rgb(framebuffer: moderngl.Framebuffer, size: tuple[int, int]) -> np.ndarray:
    """The bottom-left `size` pixels of `framebuffer` as (H, W, 3) uint8, row 0 at the top."""
    width, height = size
    data = framebuffer.read(viewport=(0, 0, width, height), components=3, alignment=1)
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)[::-1].copy()


class OffscreenTarget:
    """An RGBA8 framebuffer of a fixed size, for tests, previews and offline renders."""

    def __init__(self, ctx: moderngl.Context, width: int, height: int) -> None:
        self.ctx = ctx
        self.texture = ctx.texture((width, height), 4)
        self.framebuffer = ctx.framebuffer(color_attachments=[self.texture])

    @property
    def size(self) -> tuple[int, int]:
        return self.texture.size

    def read_rgb(self) -> np.ndarray:
        """The picture as (H, W, 3) uint8, row 0 at the top."""
        return read_rgb(self.framebuffer, self.size)

    def release(self) -> None:
        release_framebuffer(self.ctx, self.framebuffer)
        self.texture.release()
