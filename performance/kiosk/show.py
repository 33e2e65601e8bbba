"""The kiosk's show: the story (a sequencer pressing GO by itself, or the autopilot) with
what an unattended gallery adds on top.

`KioskShow` wraps any Show and picks a `KioskMode` each tick:
- SAFE (after repeated crashes, fixed for the run): a safe visual, sound off, the story
  not ticked (no cue fires, no cue OSC goes out);
- CLOSED (outside opening hours): the story paused, the picture and sound faded out;
- ATTRACT (nobody in view for `attract_after` seconds): the attract visual crossfades over
  the story, which goes on underneath, and back when someone arrives;
- SHOW: the story as it is.
Every cue change is handed to `on_cue` (the kiosk saves the resume point there). The
wall-clock time for the opening hours is injected (`wall`); everything else runs on the
show's own `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from performance.core.types import RoomEmotion
from performance.kiosk.hours import OpeningHours
from performance.show.commands import Command, Pause, Resume
from performance.show.frame import Layer, Show, ShowFrame, ShowStatus, SoundSetting
from performance.show.seqoptions import Outcome
from performance.show.sequencer import Sequencer

PRESENT_FACES = 0.5  # the smoothed face count above which someone counts as in view


class KioskMode(StrEnum):
    """What the kiosk shows (health and the status line report it)."""

    SHOW = "show"
    ATTRACT = "attract"
    CLOSED = "closed"
    SAFE = "safe"


@dataclass(frozen=True)
class KioskShowOptions:
    """`attract_after` 0: never attract. `fade`: seconds of each kiosk crossfade."""

    attract_after: float = 90.0
    attract_visual: str = "essence_module"
    safe_visual: str = "fallback"
    fade: float = 3.0


class KioskShow:
    """The Show protocol (`apply`, `tick`) around `show`; see the module docstring."""

    def __init__(self, show: Show, options: KioskShowOptions, *, hours: OpeningHours,
                 wall: Callable[[], datetime], sequencer: Sequencer | None = None,
                 safe: bool = False, on_cue: Callable[[ShowFrame], None] | None = None) -> None:
        self.show, self.options, self.hours, self.wall = show, options, hours, wall
        self.sequencer = sequencer
        self.safe = safe
        self.on_cue = on_cue
        self.mode = KioskMode.SAFE if safe else KioskMode.SHOW
        self._cue: str | None = None
        self._last_seen: float | None = None
        self._last_tick: float | None = None
        self._attract = 0.0  # 0..1: how far the attract visual has faded in
        self._closed = 0.0  # 0..1: how far the picture has faded out for the night
        self._paused_by_kiosk = False

    def apply(self, command: Command, now: float) -> Outcome | None:
        """Commands from people go to the story (in safe mode too: an operator may GO)."""
        return self.show.apply(command, now)

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        """The frame for `now` (see the module docstring)."""
        if self.safe:
            return ShowFrame(time=now, current=Layer(self.options.safe_visual),
                             sound=SoundSetting(enabled=False), status=ShowStatus.RUNNING)
        step = 0.0 if self._last_tick is None else max(now - self._last_tick, 0.0)
        self._last_tick = now
        self.mode = self._pick(now, emotion)
        self._pause_for_the_night(self.mode is KioskMode.CLOSED, now)
        frame = self.show.tick(now, emotion)
        if frame.cue_id is not None and frame.cue_id != self._cue:
            self._cue = frame.cue_id
            if self.on_cue is not None:
                self.on_cue(frame)
        rate = step / self.options.fade if self.options.fade > 0 else 1.0
        self._attract = _toward(self._attract, self.mode is KioskMode.ATTRACT, rate)
        self._closed = _toward(self._closed, self.mode is KioskMode.CLOSED, rate)
        return self._compose(frame)

    def _pick(self, now: float, emotion: RoomEmotion) -> KioskMode:
        if not self.hours.is_open(self.wall()):
            return KioskMode.CLOSED
        if self._last_seen is None or emotion.crowd.face_count >= PRESENT_FACES:
            self._last_seen = now
        after = self.options.attract_after
        if after > 0 and now - self._last_seen >= after:
            return KioskMode.ATTRACT
        return KioskMode.SHOW

    def _pause_for_the_night(self, closed: bool, now: float) -> None:
        """Pause the story while closed (waits and fades freeze, no cue fires at night);
        resume it at opening only if the kiosk paused it."""
        if self.sequencer is None or closed == self._paused_by_kiosk:
            return
        if closed and self.sequencer.status().phase.show_status is ShowStatus.PAUSED:
            return  # an operator's pause stays theirs
        self.sequencer.handle(Pause() if closed else Resume(), now)
        self._paused_by_kiosk = closed

    def _compose(self, frame: ShowFrame) -> ShowFrame:
        if self._attract > 0.0:
            attract = Layer(self.options.attract_visual)
            frame = replace(frame, current=attract, mix=self._attract,
                            previous=frame.current if self._attract < 1.0 else None)
        if self._closed > 0.0:
            frame = replace(frame, master=frame.master * (1.0 - self._closed))
            if self._closed >= 1.0:
                frame = replace(frame, sound=replace(frame.sound, enabled=False))
        return frame


def _toward(level: float, up: bool, rate: float) -> float:
    """`level` moved by `rate` toward 1 (up) or 0, kept in [0, 1]."""
    return min(level + rate, 1.0) if up else max(level - rate, 0.0)
