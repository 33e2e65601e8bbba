"""The main loop: one frame = keys and commands -> emotion -> show -> reload -> draw -> present.

Owns the order of work in a frame, frame pacing by the injected clock (and an injected
`sleep`, so tests advance a ManualClock instead of sleeping) and the frame-time statistics.
It never waits for a camera, inference, a socket or a file: observations are taken from a
newest-wins slot without waiting, and nothing raised by the show or the stage stops the
picture (each kind of error is logged once and counted). The pieces come in as small
protocols so the same loop drives the window, the headless target and the unit tests.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol, TypeVar

from performance.config import LIVE_FPS, NEUTRAL_SECONDS
from performance.core.clock import Clock
from performance.core.mailbox import CommandSink, LatestSlot
from performance.core.status import InputStatus
from performance.core.types import Observations, RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.keys import KEYMAP, KeyAction, handle_keys
from performance.runtime.framestats import FrameStats, StatsSummary
from performance.show.commands import Command
from performance.show.frame import Layer, Show, ShowFrame

log = logging.getLogger(__name__)
T = TypeVar("T")

STATS_SHOWN_S = 6.0  # how long the `i` statistics stay on the operator overlay
STATS_REFRESH_S = 0.25  # how often the statistics shown on the overlay are recomputed


class Engine(Protocol):
    """The emotion engine's part the loop uses (EmotionEngine)."""

    def update(self, observations: Observations) -> RoomEmotion: ...

    def idle(self, now: float) -> RoomEmotion: ...

    def capture_neutral(self, seconds: float) -> None:
        """Read the performer's resting face for `seconds` (the operator's neutral key)."""
        ...

    @property
    def neutral_note(self) -> str:
        """What the neutral capture is doing or did, for the overlay ("" for nothing)."""
        ...


class Feed(Protocol):
    """Where observations come from (camera + perception threads, or a scripted audience)."""

    observations: LatestSlot[Observations]

    @property
    def input_status(self) -> InputStatus: ...

    @property
    def captured(self) -> int:
        """Frames the input captured so far (0 without a camera or file)."""
        ...

    @property
    def perceived(self) -> int:
        """Frames perception finished so far (observations published)."""
        ...

    def pump(self, now: float) -> None:
        """Called once a frame on the main thread (a scripted feed publishes here)."""
        ...


class Stage(Protocol):
    """Draws the show into the audience image and hot-reloads its shaders."""

    def draw(self, show: ShowFrame, emotion: RoomEmotion, *, delta: float, frame: int) -> None:
        ...

    def reload(self) -> list[str]:
        """Reload changed shaders; returns one message per failed reload (for the operator)."""
        ...


class Output(Protocol):
    """The window (or headless target): input events, presenting a frame, fullscreen."""

    def events(self) -> list[str]: ...

    def present(self, info: OperatorInfo) -> None: ...

    def toggle_fullscreen(self) -> None: ...


@dataclass(frozen=True)
class LoopConfig:
    """`fps` 0 runs uncapped; `seconds`/`max_frames` end the run (None: until quit);
    `keymap` None: the default keys (operator/keys.py); a kiosk passes only its exit chord."""

    fps: float = LIVE_FPS
    seconds: float | None = None
    max_frames: int | None = None
    reload_every: float = 0.25
    keymap: Mapping[str, KeyAction] | None = None


class MainLoop:
    """Runs frames until quit, `seconds` or `max_frames`; see the module docstring."""

    def __init__(
        self,
        *,
        show: Show,
        engine: Engine,
        feed: Feed,
        stage: Stage,
        output: Output,
        commands: CommandSink[Command],
        clock: Clock,
        sleep: Callable[[float], None],
        config: LoopConfig = LoopConfig(),
        report: Callable[[str], None] = print,
        publish: Callable[[ShowFrame, RoomEmotion], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.publish = publish  # e.g. the audio engine's update, once a frame
        self.stop = stop  # asked once a frame: True ends the run (a signal, the kiosk)
        self.show, self.engine, self.feed = show, engine, feed
        self.stage, self.output, self.commands = stage, output, commands
        self.clock, self.sleep, self.config, self.report = clock, sleep, config, report
        self.period = 1.0 / config.fps if config.fps > 0 else None
        self.stats = FrameStats(self.period)
        self.frame = 0
        self.quit = False
        self.emotion = RoomEmotion(timestamp=clock.now())
        self.show_frame: ShowFrame | None = None
        self.last_observations: Observations | None = None
        self.observations_taken = 0
        self.max_faces = 0  # most faces in one observation
        self.max_tracked = 0  # most faces the emotion engine tracked at once
        self.shader_messages: tuple[str, ...] = ()  # the last reload's failures, replaced
        self.messages: dict[str, str] = {}  # what `_guard` caught, by kind (kept for the run)
        self.errors: dict[str, int] = {}
        self._stats_until = -math.inf
        self._neutral_until = -math.inf  # the neutral capture's line shows until then
        self._stats_text: str | None = None
        self._stats_due = -math.inf
        self._next_reload = -math.inf
        self._start = clock.now()
        self._last_start: float | None = None
        self._showing: float | None = None  # capture time of the observation this frame shows

    # -- one frame ---------------------------------------------------------------------

    def step(self) -> None:
        """Render one frame (never waits on inputs)."""
        now = self.clock.now()
        delta = 0.0 if self._last_start is None else now - self._last_start
        self._controls(now)
        self._emotion(now)
        self.show_frame = self._guard("show", lambda: self.show.tick(now, self.emotion)) \
            or self.show_frame or ShowFrame(time=now, current=Layer("fallback"))
        if now >= self._next_reload:
            self._next_reload = now + self.config.reload_every
            self.shader_messages = tuple(self._guard("reload", self.stage.reload) or ())
        shown = self.show_frame
        if self.publish is not None:
            self._guard("publish", partial(self.publish, shown, self.emotion))
        self._guard("draw", lambda: self.stage.draw(shown, self.emotion, delta=delta,
                                                    frame=self.frame))
        self._guard("present", lambda: self.output.present(self._operator_info(now)))
        if self._showing is not None:  # this frame is the first to show that observation
            self.stats.presented(self.clock.now() - self._showing)
            self._showing = None
        self.frame += 1

    def _controls(self, now: float) -> None:
        local = handle_keys(self._guard("events", self.output.events) or [], self.commands,
                            self.show_frame, KEYMAP if self.config.keymap is None
                            else self.config.keymap)
        for action in local:
            if action is KeyAction.QUIT:
                self.quit = True
            elif action is KeyAction.STATS:
                self._stats_text = self.stats.summary().format()
                self._stats_due = now + STATS_REFRESH_S
                self._stats_until = now + STATS_SHOWN_S
                self.report("essence: " + self._stats_text)
            elif action is KeyAction.FULLSCREEN:
                self._guard("fullscreen", self.output.toggle_fullscreen)
            elif action is KeyAction.NEUTRAL:
                self._neutral_until = now + NEUTRAL_SECONDS + STATS_SHOWN_S
                self.engine.capture_neutral(NEUTRAL_SECONDS)
        for command in self.commands.drain():
            self._guard("command", partial(self.show.apply, command, now))

    def _emotion(self, now: float) -> None:
        self._guard("input", lambda: self.feed.pump(now))
        self.stats.captured = self._guard("input", lambda: self.feed.captured) or 0
        self.stats.perceived = self._guard("input", lambda: self.feed.perceived) or 0
        observations = self.feed.observations.take(timeout=0)
        if observations is None:
            self.emotion = self._guard("emotion", lambda: self.engine.idle(now)) or self.emotion
            return
        # the engine's time is the loop's (video files carry media time, cameras their own);
        # `captured`, the frame's capture time on this clock, stays for the latency figures
        observations = replace(observations, timestamp=max(now, self.emotion.timestamp))
        self.last_observations = observations
        self.observations_taken += 1
        self.max_faces = max(self.max_faces, len(observations.faces))
        self.emotion = self._guard("emotion", lambda: self.engine.update(observations)) \
            or self.emotion
        self.max_tracked = max(self.max_tracked, len(self.emotion.faces))
        captured = observations.captured  # capture time on this loop's clock
        self.stats.observation(None if captured is None else self.clock.now() - captured,
                               observations.inference_s)
        self._showing = captured

    def _operator_info(self, now: float) -> OperatorInfo:
        assert self.show_frame is not None
        return OperatorInfo(
            now=now, frame=self.frame, show=self.show_frame, emotion=self.emotion,
            input_status=self.feed.input_status,
            messages=self.shader_messages + tuple(self.messages.values())
            + self._neutral_shown(now),
            stats=self._stats_shown(now), observations=self.last_observations,
        )

    def _neutral_shown(self, now: float) -> tuple[str, ...]:
        """The neutral capture's line (key n) while it reads and for a while after."""
        if now >= self._neutral_until:
            return ()
        note = self.engine.neutral_note
        return (note,) if note else ()

    def _stats_shown(self, now: float) -> str | None:
        """The statistics line while `i` shows it, recomputed at most 4 times a second."""
        if now >= self._stats_until:
            self._stats_text = None
            return None
        if self._stats_text is None or now >= self._stats_due:
            self._stats_text = self.stats.summary().format()
            self._stats_due = now + STATS_REFRESH_S
        return self._stats_text

    def _guard(self, what: str, fn: Callable[[], T]) -> T | None:
        """Run `fn`; an exception is logged once per (step, kind), counted, and swallowed."""
        try:
            return fn()
        except Exception as exc:
            key = f"{what}: {type(exc).__name__}"
            if key not in self.errors:
                log.error("%s failed (%s); the show goes on, further ones are counted",
                          what, exc, exc_info=exc)
                self.messages[key] = f"{what} failed: {exc}"
            self.errors[key] = self.errors.get(key, 0) + 1
            return None

    # -- the run -----------------------------------------------------------------------

    def finished(self) -> bool:
        cfg = self.config
        if self.quit or (self.stop is not None and self._guard("stop", self.stop)):
            return True
        if cfg.max_frames is not None and self.frame >= cfg.max_frames:
            return True
        return cfg.seconds is not None and self.clock.now() - self._start >= cfg.seconds - 1e-9

    def run(self) -> StatsSummary:
        """Frames until finished, paced to `fps`; returns the statistics (also printed)."""
        self._start = self.clock.now()
        next_due = self._start
        while not self.finished():
            started = self.clock.now()
            if self._last_start is not None:
                self.stats.record(started - self._last_start, self._work)
            self.step()
            self._last_start = started
            self._work = self.clock.now() - started
            if self.period is not None:
                next_due += self.period
                wait = next_due - self.clock.now()
                if wait > 0:
                    self.sleep(wait)
                elif wait < -0.5 * self.period:
                    next_due = self.clock.now()  # behind: restart the schedule, no burst
        if self._last_start is not None:
            self.stats.record(self.clock.now() - self._last_start, self._work)
        summary = self.stats.summary()
        self.report("essence: " + summary.format())
        return summary

    _work: float = 0.0
