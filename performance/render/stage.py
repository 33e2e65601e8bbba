"""The stage: draws one ShowFrame with the room's emotion into a target framebuffer.

This is the only place where the show's output (visual, fade, act) and the emotion layer's
output (crowd, faces) meet the renderer; the live loop and the offline render both call it,
so the window and the video file show the same picture for the same ShowFrame.
"""

from __future__ import annotations

import moderngl

from performance.core.types import RoomEmotion
from performance.render.frame_uniforms import FrameUniforms
from performance.render.renderer import Renderer
from performance.show.frame import ShowFrame


def _stage_uniforms(
    show: ShowFrame,
    emotion: RoomEmotion,
    *,
    delta: float,
    frame: int,
    resolution: tuple[int, int],
    mirror_x: bool = False,
) -> FrameUniforms:
    """The shared uniform values for one frame of the show (each layer's shader inputs are
    passed to the renderer with its layer, see `draw_stage`)."""
    return FrameUniforms.from_crowd(
        emotion.crowd,
        emotion.faces,
        time=show.time,
        delta=delta,
        frame=frame,
        resolution=resolution,
        act=show.act,
        cue_progress=show.cue_progress,
        mirror_x=mirror_x,
    )


def draw_stage(
    renderer: Renderer,
    target: moderngl.Framebuffer,
    show: ShowFrame,
    emotion: RoomEmotion,
    *,
    delta: float,
    frame: int,
    mirror_x: bool = False,
) -> FrameUniforms:
    """Render `show` into `target`: its visual, fading from the previous one while a
    crossfade runs, at the show's master level (below 1 darkens the whole picture)."""
    uniforms = _stage_uniforms(
        show, emotion, delta=delta, frame=frame, resolution=target.size, mirror_x=mirror_x
    )
    current, previous = show.current, show.previous
    renderer.render(
        uniforms,
        target,
        visual=current.visual,
        inputs=current.inputs,
        previous=None if previous is None else (previous.visual, previous.inputs),
        mix=show.mix,
        master=show.master,
    )
    return uniforms
