"""Wiring for `essence run` and `essence rehearse`: input -> perception -> engine -> loop -> output.

Owns what one `--input` becomes (a feed: the scripted audience, or a camera, video file or
image with capture and perception workers, see `feeds`), the GL stage and the output (a
pygame window or a headless EGL target, see `stage`), and the `RunReport` a run returns.
The show object is injectable (by default the one `assemble.build_show` makes from the
settings), and so are the command queue (OSC feeds the same one), the clock, the source and
detector factories (tests fake the camera and a slow detector there). Everything a run
opens is released however it ends.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from performance.config import (
    DEFAULT_SCRIPTED_FACES,
    LIVE_FPS,
    STAGE_SIZE,
    Isolation,
    RendererCpus,
    Settings,
)
from performance.core.clock import Clock, MonotonicClock
from performance.core.mailbox import CommandQueue, CommandSink
from performance.core.priority import (
    keep_renderer_threads,
    prepare_renderer_threads,
    renderer_cpus,
    yield_renderer_threads,
)
from performance.core.status import InputStatus
from performance.core.types import RoomEmotion
from performance.operator.keys import KeyAction
from performance.operator.preview import OperatorView
from performance.perception.process import cpu_set
from performance.perception.worker import Detector
from performance.runtime.feeds import CaptureFeed, ScriptedFeed, first_then_reopen
from performance.runtime.framestats import StatsSummary
from performance.runtime.loop import Engine, LoopConfig, MainLoop
from performance.runtime.pictures import PictureTap
from performance.runtime.pipeline import (
    SCRIPTED,
    camera_from_settings,
    engine_from_settings,
    landmarker_factory,
)
from performance.runtime.stage import CompositorOutput, GLStage, Inspect
from performance.show.autogo import sequencer_of
from performance.show.commands import Command
from performance.show.frame import Show, ShowFrame
from performance.sources.base import FrameSource

if TYPE_CHECKING:
    from performance.adapters.window import Window
    from performance.console.pictures import PictureSink
    from performance.recording.recorder import Saved
    from performance.recording.replay import ReplayFeed
    from performance.recording.tap import RecordingTap
    from performance.render.context import GLContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveOptions:
    """One run. `operator` draws the operator overlay; `preview` adds the camera preview."""

    input: str = SCRIPTED
    loop_video: bool = False
    size: tuple[int, int] = STAGE_SIZE
    fps: float = LIVE_FPS
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
    scripted_faces: int = DEFAULT_SCRIPTED_FACES
    keymap: Mapping[str, KeyAction] | None = None  # None: the default keys; a kiosk: its chord
    missing_input_ok: bool = False  # a kiosk starts without its camera and keeps retrying
    record: str | None = None  # record from the first frame into this file ("": the default)
    replay: str | None = None  # play this recording back instead of `input` (recording/)


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
    input_status: InputStatus  # the input's state at the end
    final_faces: int  # faces tracked at the end (0: the no-audience state)
    errors: dict[str, int] = field(default_factory=dict)
    recordings: tuple[Saved, ...] = ()  # what each recording of the run left (run_show)

    def summary(self) -> str:
        """One line for the terminal."""
        return (f"essence: {self.frames} frames in {self.seconds:.1f} s; input "
                f"{self.input_status}; perception frames {self.perception_frames}; most "
                f"faces {self.max_faces}; tracked {self.max_tracked}"
                + (f"; errors {self.errors}" if self.errors else ""))


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
    watch_input: Callable[[Callable[[], InputStatus]], None] | None = None,
    watch_stats: Callable[[Callable[[], StatsSummary]], None] | None = None,
    stop: Callable[[], bool] | None = None,
    watch_restarts: Callable[[Callable[[], int]], None] | None = None,
    tap: RecordingTap | None = None,
    replay_feed: ReplayFeed | None = None,
    pictures: PictureSink | None = None,
) -> RunReport:
    """Run the show until quit or `options.seconds`; returns what happened.

    `watch_input` is handed a getter of the input's status, for whoever reports health
    (OSC feedback); `watch_stats` a getter of the run's statistics (latency over OSC);
    `stop`, asked once a frame, ends the run when it returns True; `watch_restarts` is handed
    a getter of how often the perception process was replaced (for a health report).

    `show` None: `assemble.build_show` from `settings` (holding `options.visual` if given).
    `tap` (recording/tap.py) is wrapped around the show, the engine and the commands (the
    record key, `/essence/record`); `replay_feed` replaces the input (recording/replay.py).
    Bad input, a bad display, a missing model or an unknown visual raise EssenceError
    before the first frame, and whatever was opened by then is released.
    """
    clock = clock or MonotonicClock()
    commands = commands if commands is not None else CommandQueue()
    if tap is not None:
        commands = tap.wrap_commands(commands)
    with contextlib.ExitStack() as stack:  # whatever opened is released, on any exit
        feed: ScriptedFeed | CaptureFeed | ReplayFeed
        if replay_feed is not None:
            feed = replay_feed
        elif source_factory is None and options.input.strip().lower() == SCRIPTED:
            feed = ScriptedFeed(options.scripted_faces)
        else:
            live = False
            if source_factory is None:
                source_factory, live = first_then_reopen(
                    options.input, loop=options.loop_video, clock=clock, cleanup=stack,
                    missing_ok=options.missing_input_ok, camera=camera_from_settings(settings))
            feed = CaptureFeed(source_factory,
                               detector_factory or landmarker_factory(settings, "video"),
                               clock=clock, live=live,
                               isolation=Isolation(settings.perception),
                               cpus=cpu_set(settings.perception_cpu))
        if watch_input is not None:
            watch_input(lambda: feed.input_status)
        if watch_restarts is not None:
            watch_restarts(lambda: feed.restarts if isinstance(feed, CaptureFeed) else 0)
        engine: Engine = engine_from_settings(settings)
        if replay_feed is not None:  # the recording's show, exactly: no new baseline
            from performance.recording.replay import ReplayEngine

            engine = ReplayEngine(engine)
        if tap is not None:
            engine = tap.wrap_engine(engine)
            stack.callback(tap.stop)  # a recording is saved however the run ends
        others = settings.renderer_cpus == RendererCpus.OTHERS
        cpus = renderer_cpus(others, feed.perception_cpus
                             if isinstance(feed, CaptureFeed) else None)
        if others and cpus is None:  # a warning where a face model runs but is not kept
            (log.warning if isinstance(feed, CaptureFeed) else log.info)(
                "renderer_cpus = others: no perception process kept on a CPU of its own"
                " here (scripted or replayed input, perception = thread, perception_cpu"
                " = any, or one CPU); the renderer uses any")
        prepare_renderer_threads(cpus)
        ctx, window = _open_output(options, stack)
        if keep_renderer_threads(cpus):
            log.info("the software renderer runs on CPUs %s, off the perception's",
                     ", ".join(str(c) for c in sorted(cpus or ())))
        lowered = yield_renderer_threads(settings.renderer_nice)
        if lowered:
            log.info("the software renderer's %d threads run at nice %d: perception, "
                     "capture, control and sound come first", lowered, settings.renderer_nice)
        from performance.render.context import Compositor

        compositor = Compositor(ctx, options.size,
                                output=None if window is None else ctx.screen,
                                output_size=options.size)
        stack.callback(compositor.release)
        if settings.projector_calibration:  # the wall's mapping, as the final pass
            from performance.venue.projector import load_projector

            compositor.set_calibration(load_projector(Path(settings.projector_calibration)))
        if window is not None:
            compositor.resize(window.size)
        stage = GLStage(ctx, compositor, mirror=options.mirror, fps=options.fps)
        stack.callback(stage.release)
        if show is None:
            from performance.runtime.assemble import build_show

            show = build_show(settings, visual=options.visual, visuals=stage.library.visuals())
        sequencer = sequencer_of(show)  # the cue list's, for the overlay (before any wrap)
        if tap is not None:
            show = tap.wrap_show(show)
            if options.record is not None:
                tap.start(Path(options.record) if options.record else None)
        view = OperatorView(
            recording=None if tap is None else tap.recording_line,
            operator=options.operator,
            camera_live=lambda: isinstance(feed, CaptureFeed) and feed.camera_live,
            latest_frame=feed.latest_frame if options.preview else None,
            camera=camera_from_settings(settings),
            sequencer=None if sequencer is None else sequencer.status,
            keymap=options.keymap,
        )
        output = CompositorOutput(ctx, compositor, view, window=window, events=events,
                                  inspect=inspect, pictures=None if pictures is None else
                                  PictureTap(pictures, latest_frame=feed.latest_frame,
                                             camera=view.camera))
        loop = MainLoop(show=show, engine=engine, feed=feed, stage=stage, output=output,
                        commands=commands, clock=clock, sleep=sleep, report=report,
                        publish=publish, stop=stop,
                        config=LoopConfig(fps=options.fps, seconds=options.seconds,
                                          max_frames=options.max_frames,
                                          keymap=options.keymap))
        if watch_stats is not None:
            watch_stats(loop.stats.summary)
        with _running(feed):
            started = clock.now()
            stats = loop.run()
            status = feed.input_status
        return RunReport(
            frames=loop.frame, seconds=clock.now() - started, stats=stats,
            max_faces=loop.max_faces, max_tracked=loop.max_tracked,
            perception_frames=feed.perceived,
            observations_taken=loop.observations_taken, input_status=status,
            final_faces=len(loop.emotion.faces),
            errors=dict(loop.errors),
        )


def _open_output(options: LiveOptions,
                 stack: contextlib.ExitStack) -> tuple[GLContext, Window | None]:
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


def run_show(options: LiveOptions, settings: Settings,
             report: Callable[[str], None] = print) -> tuple[RunReport, str]:
    """`essence run` and `rehearse`: the show the settings describe (`assemble.build_show`)
    with its services (OSC, cue OSC out, sound, the web console) around the live loop, all
    on one clock; `report` is told where the console listens. Returns the run's report and
    the services' status line. On the main thread, SIGTERM and SIGHUP end the run the
    normal way (runtime.signals): the sound fades, exit status 0."""
    from performance.runtime.assemble import build_show, shader_catalog
    from performance.runtime.recorded import make_tap, replay_parts
    from performance.runtime.services import start_services
    from performance.runtime.signals import StopRequest, on_main_thread, stop_on_signals

    clock: Clock = MonotonicClock()
    played: Show | None = None
    replay_feed = None
    fps = options.fps or LIVE_FPS  # the rate the recording says the show ran at
    if options.replay is not None:  # the recorded show, its clock and its tracking stream
        show, played, replay_feed, settings = replay_parts(options.replay, settings)
        options = replace(options, max_frames=replay_feed.cursor.total, fps=0.0,
                          input=replay_feed.cursor.source)
        clock = replay_feed.cursor
        fps = replay_feed.cursor.recording.header.fps
    else:
        visuals = shader_catalog() if options.visual is not None else {}  # only to check it
        show = build_show(settings, visual=options.visual, visuals=visuals)
    tap = make_tap(options.input, settings, stage=options.size, fps=fps,
                   visual=options.visual)
    signals = stop_on_signals() if on_main_thread() else contextlib.nullcontext(StopRequest())
    with signals as asked:
        services = start_services(show, settings, clock=clock)
        services.recording = lambda: tap.recording  # /essence/status/recording
        services.on_osc = tap.osc  # OSC messages received, while recording
        services.taken = tap.take_receipts  # `/essence/record` answered under the autopilot
        if services.served is not None:
            report(console_line(*services.served))
        try:
            result = run_live(replace(options, visual=None), settings, show=played or show,
                              commands=services.commands, clock=clock,
                              publish=services.publish, watch_input=services.watch_input,
                              watch_stats=services.watch_stats, stop=asked, tap=tap,
                              replay_feed=replay_feed, pictures=services.pictures)
            extra = services.status_line()
        finally:
            services.close()
    return replace(result, recordings=tuple(tap.results)), extra


def console_line(console: tuple[str, int], oscquery: tuple[str, int] | None) -> str:
    """Where the web console (and OSCQuery) listen, for the person who started the show."""
    line = f"essence: console on http://{console[0]}:{console[1]}/"
    if oscquery is not None:
        line += f" (OSCQuery on http://{oscquery[0]}:{oscquery[1]}/)"
    return line


@contextlib.contextmanager
def _running(feed: ScriptedFeed | CaptureFeed | ReplayFeed) -> Iterator[None]:
    """The feed's threads run inside; stopped on the way out (also after a failed start)."""
    try:
        feed.start()
        yield
    finally:
        feed.stop()
