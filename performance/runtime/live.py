"""Wiring for `essence run` and `essence rehearse`: input -> perception -> engine -> loop -> output.

Owns what one `--input` becomes (a camera, a video file or image through `open_source` with
capture and perception workers, or `scripted`: a ScriptedAudience publishing observations
from the clock), the GL stage with hot reload, the output (a pygame window or a headless EGL
target), and the `RunReport` a run returns. The show object is injectable (by default the
one `showtime.build_show` makes from the settings), and so are the command queue (OSC feeds
the same one), the clock, the source and detector factories (tests fake the camera and a
slow detector there). Everything a run opens is released however it ends.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from performance.config import Settings
from performance.core.clock import Clock, MonotonicClock
from performance.core.mailbox import CommandQueue, CommandSink, LatestSlot
from performance.core.types import Frame, Observations, RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.preview import OperatorView
from performance.perception.worker import Detector, PerceptionWorker
from performance.runtime.loop import LoopConfig, MainLoop, StatsSummary
from performance.runtime.pipeline import SCRIPTED, engine_from_settings, landmarker_factory
from performance.show.commands import Command
from performance.show.state import Show, ShowFrame
from performance.sources.base import FrameSource

log = logging.getLogger(__name__)

SCRIPTED_RATE = 30.0  # observations per second from the scripted audience


@dataclass(frozen=True)
class LiveOptions:
    """One run. `operator` draws the operator overlay; `preview` adds the camera preview."""

    input: str = SCRIPTED
    loop_video: bool = False
    size: tuple[int, int] = (1280, 720)
    fps: float = 60.0
    headless: bool = False
    fullscreen: bool = False
    display: int = 0
    mirror: bool = False
    seconds: float | None = None
    max_frames: int | None = None
    operator: bool = False
    preview: bool = False
    visual: str | None = None
    vsync: bool = True
    scripted_faces: int = 3


@dataclass(frozen=True)
class RunReport:
    """What a run did (printed at exit, asserted by tests)."""

    frames: int
    seconds: float
    stats: StatsSummary
    max_faces: int  # most faces perception reported in one frame
    max_tracked: int  # most faces the emotion engine tracked at once
    perception_frames: int  # frames perception finished (observations published)
    observations_taken: int  # observations the loop folded into the emotion
    input_status: str
    final_faces: int  # faces tracked at the end (0: the no-audience state)
    errors: dict[str, int] = field(default_factory=dict)


# -- inputs ------------------------------------------------------------------------------


class ScriptedFeed:
    """A scripted audience: observations computed from the loop's clock, no camera."""

    def __init__(self, faces: int = 3) -> None:
        from performance.perception.scripted import ScriptedAudience

        self.audience = ScriptedAudience(faces=faces)
        self.observations: LatestSlot[Observations] = LatestSlot()
        self.published = 0
        self._start: float | None = None
        self._due = 0.0

    @property
    def status(self) -> str:
        return SCRIPTED

    def pump(self, now: float) -> None:
        if self._start is None:
            self._start = now
        if now >= self._due:
            self._due = max(self._due + 1.0 / SCRIPTED_RATE, now - 1.0 / SCRIPTED_RATE)
            self.observations.put(self.audience.observe(now - self._start))
            self.published += 1

    def start(self) -> None: ...

    def stop(self) -> None: ...


class CaptureFeed:
    """Capture thread -> frame slot -> perception thread -> observation slot."""

    def __init__(
        self,
        source_factory: Callable[[], FrameSource],
        detector_factory: Callable[[], Detector],
        *,
        clock: Clock,
        live: bool,
    ) -> None:
        from performance.sources.capture import CaptureWorker

        self.live = live
        self.frames: LatestSlot[Frame] = LatestSlot()
        self.observations: LatestSlot[Observations] = LatestSlot()
        self.capture = CaptureWorker(source_factory, self.frames, clock=clock)
        self.perception = PerceptionWorker(detector_factory, self.frames, self.observations)

    @property
    def status(self) -> str:
        status = self.capture.status
        if self.perception.last_error and not status.startswith("lost"):
            status += f" (perception: {self.perception.last_error})"
        return status

    @property
    def camera_live(self) -> bool:
        return self.live and self.capture.status == "live"

    def pump(self, now: float) -> None: ...

    def start(self) -> None:
        self.perception.start()  # creates the detector: a bad model fails here, at boot
        self.capture.start()

    def stop(self) -> None:
        self.capture.stop()
        self.frames.close()
        self.perception.stop(timeout=2.0)


def first_then_reopen(spec: str, *, loop: bool, clock: Clock,
                      cleanup: contextlib.ExitStack) -> tuple[Callable[[], FrameSource], bool]:
    """Open `spec` now (bad input fails at boot, naming it) and a factory that hands out that
    source first and reopens it after a loss. Also whether it is a live camera. `cleanup`
    closes the first source if the run ends before capture took it."""
    from performance.sources.factory import open_source

    opened = [open_source(spec, loop=loop, clock=clock)]
    live = opened[0].is_live

    def close_unused() -> None:
        while opened:
            opened.pop().close()

    cleanup.callback(close_unused)

    def factory() -> FrameSource:
        return opened.pop() if opened else open_source(spec, loop=loop, clock=clock)

    return factory, live


# -- GL stage and outputs ----------------------------------------------------------------


class GLStage:
    """The show drawn into the compositor's stage target; shader errors for the operator."""

    def __init__(self, ctx: Any, compositor: Any, *, mirror: bool) -> None:
        from performance.render.program import ShaderLibrary
        from performance.render.renderer import Renderer

        self.library = ShaderLibrary(ctx)  # compiles every visual
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

        draw_stage(self.renderer, self.compositor.stage_framebuffer, show, emotion,
                   delta=delta, frame=frame, mirror_x=self.mirror)

    def reload(self) -> list[str]:
        self.library.poll()
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


Inspect = Callable[[int, Any], None]


class CompositorOutput:
    """Presents the stage plus the operator overlay, in a window or headless.

    `window` None is headless: keys come from `events` (tests), nothing is flipped.
    `inspect(frame, compositor)` runs after drawing, before the flip (tests read pixels).
    """

    def __init__(self, ctx: Any, compositor: Any, view: OperatorView, *, window: Any = None,
                 events: Callable[[], list[str]] | None = None,
                 inspect: Inspect | None = None) -> None:
        self.ctx, self.compositor, self.view, self.window = ctx, compositor, view, window
        self._events = events
        self.inspect = inspect

    def events(self) -> list[str]:
        if self.window is None:
            return self._events() if self._events is not None else []
        names = self.window.events()
        if "resized" in names:
            self.compositor.resize(self.window.size)
        return names

    def present(self, info: OperatorInfo) -> None:
        comp = self.compositor
        comp.begin()
        for layer in self.view.layers(info, comp.output_size):
            comp.overlay(layer.key, layer.image, layer.position)
        if self.inspect is not None:
            self.inspect(info.frame, comp)
        if self.window is not None:
            self.window.flip()
        else:
            self.ctx.finish()  # headless: count the GPU's work in the frame time

    def toggle_fullscreen(self) -> None:
        if self.window is not None:
            self.window.toggle_fullscreen()
            self.compositor.resize(self.window.size)


# -- the run -----------------------------------------------------------------------------


def run_live(
    options: LiveOptions,
    settings: Settings,
    *,
    show: Show | None = None,
    commands: CommandSink[Command] | None = None,
    clock: Clock | None = None,
    sleep: Callable[[float], None] = time.sleep,
    source_factory: Callable[[], FrameSource] | None = None,
    detector_factory: Callable[[], Detector] | None = None,
    events: Callable[[], list[str]] | None = None,
    inspect: Inspect | None = None,
    report: Callable[[str], None] = print,
    publish: Callable[[ShowFrame, RoomEmotion], None] | None = None,
    watch_input: Callable[[Callable[[], str]], None] | None = None,
) -> RunReport:
    """Run the show until quit or `options.seconds`; returns what happened.

    `watch_input` is handed a getter of the input's status line ("live", "lost: …"), for
    whoever reports health (OSC feedback).

    `show` None: `showtime.build_show` from `settings` (holding `options.visual` if given).
    Bad input, a bad display, a missing model or an unknown visual raise EssenceError
    before the first frame, and whatever was opened by then is released.
    """
    clock = clock or MonotonicClock()
    commands = commands if commands is not None else CommandQueue()
    with contextlib.ExitStack() as stack:  # whatever opened is released, on any exit
        feed: ScriptedFeed | CaptureFeed
        if source_factory is None and options.input.strip().lower() == SCRIPTED:
            feed = ScriptedFeed(options.scripted_faces)
        else:
            live = False
            if source_factory is None:
                source_factory, live = first_then_reopen(
                    options.input, loop=options.loop_video, clock=clock, cleanup=stack)
            feed = CaptureFeed(source_factory,
                               detector_factory or landmarker_factory(settings, "video"),
                               clock=clock, live=live)
        if watch_input is not None:
            watch_input(lambda: feed.status)
        engine = engine_from_settings(settings)
        ctx, window = _open_output(options, stack)
        from performance.render.context import Compositor

        compositor = Compositor(ctx, options.size,
                                output=None if window is None else ctx.screen,
                                output_size=options.size)
        stack.callback(compositor.release)
        if window is not None:
            compositor.resize(window.size)
        stage = GLStage(ctx, compositor, mirror=options.mirror)
        stack.callback(stage.release)
        if show is None:
            from performance.runtime.services import build_show

            show = build_show(settings, visual=options.visual, visuals=stage.library.visuals())
        view = OperatorView(
            operator=options.operator,
            camera_live=lambda: isinstance(feed, CaptureFeed) and feed.camera_live,
            latest_frame=feed.frames.peek if options.preview and isinstance(feed, CaptureFeed)
            else None,
        )
        output = CompositorOutput(ctx, compositor, view, window=window, events=events,
                                  inspect=inspect)
        loop = MainLoop(show=show, engine=engine, feed=feed, stage=stage, output=output,
                        commands=commands, clock=clock, sleep=sleep, report=report,
                        publish=publish,
                        config=LoopConfig(fps=options.fps, seconds=options.seconds,
                                          max_frames=options.max_frames))
        with _running(feed):
            started = clock.now()
            stats = loop.run()
            status = feed.status
        return RunReport(
            frames=loop.frame, seconds=clock.now() - started, stats=stats,
            max_faces=loop.max_faces, max_tracked=loop.max_tracked,
            perception_frames=feed.perception.processed if isinstance(feed, CaptureFeed)
            else feed.published,
            observations_taken=loop.observations_taken, input_status=status,
            final_faces=len(loop.emotion.faces),
            errors=dict(loop.errors),
        )


def _open_output(options: LiveOptions, stack: contextlib.ExitStack) -> tuple[Any, Any]:
    """The GL context and the window (None headless), closed by `stack`."""
    if options.headless:
        from performance.render.headless import create_headless_context

        ctx = create_headless_context()
        stack.callback(ctx.release)
        return ctx, None
    from performance.adapters.window import Window
    from performance.render.context import context_from_current_window

    window = Window(options.size, fullscreen=options.fullscreen, display=options.display,
                    vsync=options.vsync, hide_cursor=not options.operator)
    stack.callback(window.close)  # the window's context goes with it
    return context_from_current_window(), window


@contextlib.contextmanager
def _running(feed: ScriptedFeed | CaptureFeed) -> Iterator[None]:
    """The feed's threads run inside; stopped on the way out (also after a failed start)."""
    try:
        feed.start()
        yield
    finally:
        feed.stop()
