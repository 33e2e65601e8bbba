"""The GL stage and the output: the show drawn for the audience, then presented.

Owns `GLStage` (the shader library with hot reload and the crossfading renderer, drawing
one ShowFrame where the compositor says: its stage target, or the output itself when the
output is the stage's size; shader errors logged once and handed to the operator). Its
visuals compile at once when it is made (what ships is trusted); every later edit is first
tried in the trial process (render.trial: it must compile and render within the frame
budget there), so `reload()`, on the render thread, only stats files and swaps in a program
that passed; a slow or looping edit is refused with one message and never drawn. And
`CompositorOutput` (the stage plus the operator's overlay, presented in a pygame window or
headless, with window events turned into key names; the console's pictures are taken
between the two, see runtime/pictures.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from performance.core.types import RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.preview import OperatorView
from performance.render.finish import GpuWait
from performance.show.frame import ShowFrame

if TYPE_CHECKING:
    from performance.adapters.window import Window
    from performance.render.context import Compositor, GLContext
    from performance.runtime.pictures import PictureTap

log = logging.getLogger(__name__)

SHADER_FOLDER: Path | None = None
"""The folder a live stage's visuals come from; None: the `shaders/` folder that ships (the
one place a test points a whole live run at a folder of its own)."""


class GLStage:
    """The show drawn for the compositor (see `Compositor.drawing`); shader errors for the
    operator. `shaders`: the visuals' folder (None: SHADER_FOLDER); `fps`: the frame rate an
    edit's trial budgets for (None or 0: the live default, LIVE_FPS)."""

    def __init__(self, ctx: GLContext, compositor: Compositor, *, mirror: bool,
                 shaders: Path | None = None, fps: float | None = None) -> None:
        from performance.render.program import ShaderLibrary
        from performance.render.renderer import Renderer
        from performance.render.trial import ShaderTrials
        from performance.render.uniforms import SHADER_ROOT

        folder = shaders or SHADER_FOLDER or SHADER_ROOT
        trials = ShaderTrials(compositor.stage.size, fps=fps)  # no process before an edit
        self.library = ShaderLibrary(ctx, folder, trials=trials)  # compiles every visual
        try:
            self.renderer = Renderer(ctx, self.library)
        except BaseException:
            self.library.release()
            raise
        self.compositor = compositor
        self.mirror = mirror
        self._reported: dict[str, str] = {}
        self._report()

    def draw(self, show: ShowFrame, emotion: RoomEmotion, *, delta: float, frame: int) -> None:
        from performance.render.stage import draw_stage

        with self.compositor.drawing() as target:  # the output itself when nothing is scaled
            draw_stage(self.renderer, target, show, emotion, delta=delta, frame=frame,
                       mirror_x=self.mirror)

    def reload(self) -> list[str]:
        """Look for edits (cheap stats) and take those that passed their trial."""
        for result in self.library.poll():
            if result.ok and result.name not in self._reported:  # else: "compiles again"
                log.info("shader %s: edit taken", result.name)
        return self._report()

    def _report(self) -> list[str]:
        """Log what changed since the last report; one line per visual in error."""
        errors = self.library.errors()
        for name, text in errors.items():
            if self._reported.get(name) != text:
                log.error("shader %s: %s (keeping the last good program)", name, text)
        for name in set(self._reported) - set(errors):
            log.info("shader %s compiles again", name)
        self._reported = dict(errors)
        return [f"{name}: " + " | ".join(text.splitlines()[:2]) for name, text in errors.items()]

    def release(self) -> None:
        self.renderer.release()
        self.library.release()


Inspect = Callable[[int, "Compositor"], None]
"""`inspect(frame, compositor)`: called after drawing, before the flip (tests read pixels)."""


class CompositorOutput:
    """Presents the stage plus the operator overlay, in a window or headless.

    `window` None is headless: keys come from `events` (tests), nothing is flipped.
    `inspect(frame, compositor)` runs after drawing, before the flip (tests read pixels).
    `pictures` is offered each frame once the stage is on the output, before the overlays
    (the console's thumbnail; a failure there is logged once and never stops the frame).
    """

    def __init__(self, ctx: GLContext, compositor: Compositor, view: OperatorView, *,
                 window: Window | None = None,
                 events: Callable[[], list[str]] | None = None,
                 inspect: Inspect | None = None,
                 pictures: PictureTap | None = None) -> None:
        self.ctx, self.compositor, self.view, self.window = ctx, compositor, view, window
        self.gpu = GpuWait(ctx)  # the frame's waits for the GPU let other threads run
        self._events = events
        self.inspect = inspect
        self.pictures = pictures
        self.picture_errors = 0

    def events(self) -> list[str]:
        if self.window is None:
            return self._events() if self._events is not None else []
        names = self.window.events()
        if "resized" in names:
            self.compositor.resize(self.window.size)
        return names

    def present(self, info: OperatorInfo) -> None:
        comp = self.compositor
        self.gpu.before_sampling()  # llvmpipe: the stage drawn, the lock let go (finish.py)
        comp.begin()
        if self.pictures is not None:
            self._offer(info)
        for layer in self.view.layers(info, comp.output_size):
            comp.overlay(layer.key, layer.image, layer.position)
        if self.inspect is not None:
            self.inspect(info.frame, comp)
        self.gpu.wait()  # the frame done, the lock let go (headless: counted in its time)
        if self.window is not None:
            self.window.flip()

    def _offer(self, info: OperatorInfo) -> None:
        assert self.pictures is not None
        try:
            self.pictures.offer(info.now, self.compositor, info)
        except Exception as exc:
            if not self.picture_errors:
                log.error("console pictures failed (%s); the show goes on", exc, exc_info=exc)
            self.picture_errors += 1

    def toggle_fullscreen(self) -> None:
        if self.window is not None:
            self.window.toggle_fullscreen()
            self.compositor.resize(self.window.size)
