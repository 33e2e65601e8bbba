"""Wiring of recording and replay (performance/recording/) into live runs and renders.

Owns the recording header a run writes (which settings change the show: `SHOW_SETTINGS`),
the settings a replay runs with (the recorded ones: the same show file, reader, smoothing,
auto-go), the show and engine a replay builds fresh, `replay_offline` (every frame's show
state, no picture) and `render_replay` (`essence render --replay`: the offline render with
the recording as its audience and its frame times as the clock).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from performance.config import Settings
from performance.core.errors import InputError
from performance.recording.format import read_recording
from performance.recording.records import Header, Recording, StateRecord
from performance.recording.replay import (
    ReplayAudience,
    ReplayCursor,
    ReplayFeed,
    ReplayShow,
    replay_states,
)
from performance.recording.tap import RecordingTap, state_record
from performance.runtime.assemble import build_show, shader_catalog
from performance.runtime.pipeline import engine_from_settings
from performance.show.frame import Show, ShowFrame

SHOW_SETTINGS: tuple[str, ...] = (
    "reader", "smooth_time", "forget_after", "learn_baseline", "baseline", "max_faces", "tiles",
    "auto_go", "show_mode", "min_go_interval",
)
"""The settings that change what the show does with the same tracking stream (recorded in
the header; a replay runs with them)."""


def make_header(source: str, settings: Settings, *, stage: tuple[int, int], fps: float,
                visual: str | None = None) -> Header:
    """The header of a recording of a run of `source` with `settings`."""
    chosen: dict[str, Any] = {k: getattr(settings, k) for k in SHOW_SETTINGS}
    chosen["visual"] = visual
    return Header(started=datetime.now().astimezone().isoformat(timespec="seconds"),
                  source=source, cues=settings.cues, settings=chosen, stage=stage, fps=fps)


def make_tap(source: str, settings: Settings, *, stage: tuple[int, int], fps: float,
             visual: str | None = None,
             announce: Callable[[str], None] = print) -> RecordingTap:
    """A run's recording tap (idle until the record key, `/essence/record` or `--record`);
    the line of a recording not saved whole goes to stderr, as the rig's errors do."""
    return RecordingTap(lambda: make_header(source, settings, stage=stage, fps=fps,
                                            visual=visual), announce=announce,
                        warn=lambda line: print(line, file=sys.stderr))


def replay_settings(recording: Recording, settings: Settings) -> Settings:
    """`settings` with the recorded show settings and show file (it and a recorded baseline
    must still exist: else one error naming the recording, line 1 and the key)."""
    known = {f.name for f in dataclasses.fields(Settings)}
    chosen = {k: v for k, v in recording.header.settings.items()
              if k in SHOW_SETTINGS and k in known}
    cues = recording.header.cues
    for key, name, value in (("cues", "show file", cues),
                             ("settings.baseline", "baseline", chosen.get("baseline", ""))):
        if value and not Path(value).expanduser().is_file():
            raise InputError(recording.path, f"line 1: {key}: the recorded {name} {value} is "
                                             "gone")
    return replace(settings, **chosen, cues=cues)


def replay_visual(recording: Recording) -> str | None:
    """The visual the recorded run held (`--visual`), or None."""
    visual = recording.header.settings.get("visual")
    return str(visual) if visual else None


def replay_show(recording: Recording, settings: Settings,
                visuals: Any | None = None) -> Show:
    """The show of the recorded run, fresh (its show file, auto-go and held visual; a held
    visual these shaders lack is one error naming the recording, line 1 and the key)."""
    visuals = shader_catalog() if visuals is None else visuals
    visual = replay_visual(recording)
    if visual is not None and visual not in visuals:
        raise InputError(recording.path, f"line 1: settings.visual: no visual {visual!r} here "
                                         f"(known: {', '.join(sorted(visuals))})")
    return build_show(settings, visual=visual, visuals=visuals, auto_go=settings.auto_go)


def replay_offline(recording: Recording, settings: Settings | None = None) -> list[StateRecord]:
    """Replay `recording` without a picture; the show state of every frame."""
    settings = replay_settings(recording, settings or Settings())
    return replay_states(recording, replay_show(recording, settings),
                         engine_from_settings(settings))


class _Collecting:
    """The replay's show for a render, collecting each frame's state."""

    def __init__(self, replay: ReplayShow, audience: ReplayAudience) -> None:
        self.replay, self.audience = replay, audience
        self.states: list[StateRecord] = []

    def apply(self, command: Any, now: float) -> Any:
        return self.replay.apply(command, now)

    def tick(self, now: float, emotion: Any) -> ShowFrame:
        k, t = self.replay.cursor.k, self.replay.cursor.now()
        frame = self.replay.tick(now, emotion)
        self.states.append(state_record(t, k, frame, emotion))
        return frame


@dataclass(frozen=True)
class ReplayRender:
    """What `render_replay` made: the render's report and every frame's show state."""

    report: Any  # offline.RenderReport
    states: list[StateRecord]


def render_replay(recording: Recording, out: Path, settings: Settings | None = None, *,
                  size: tuple[int, int] | None = None, contact_frames: int = 0,
                  audio: Any = None, progress: bool = False,
                  stop: Callable[[], bool] | None = None) -> ReplayRender:
    """`essence render --replay`: one video frame per recorded frame at the recorded rate
    (the stage size recorded unless `size`), the show replayed into it deterministically."""
    from performance.adapters.video_writer import check_size
    from performance.runtime.offline import MAX_FPS, RenderJob, render_offline

    settings = replay_settings(recording, settings or Settings())
    cursor = ReplayCursor(recording)
    audience = ReplayAudience(cursor, engine_from_settings(settings))
    collected: list[_Collecting] = []

    def factory(visuals: Any) -> Show:
        show = _Collecting(ReplayShow(replay_show(recording, settings, visuals), cursor),
                           audience)
        collected.append(show)
        return show

    fps = recording.header.fps
    if fps > MAX_FPS:
        raise InputError(recording.path, f"line 1: fps {fps:g} is more than a render takes "
                                         f"({MAX_FPS:g})")
    if size is None:  # the recorded stage: an odd side is no H.264 picture
        check_size(recording.header.stage, option=f"{recording.path}: line 1: stage")
    job = RenderJob(input=str(recording.path), out=out, seconds=cursor.total / fps,
                    size=size or recording.header.stage, fps=fps, contact_frames=contact_frames,
                    calibration=settings.projector_calibration)
    report = render_offline(job, settings, show_factory=factory, audio=audio,
                            progress=progress, stop=stop, audience=audience)
    return ReplayRender(report, collected[0].states if collected else [])


class WallPacer:
    """Keeps a live replay at the recorded pace: waits until as much wall time has passed
    as show time since the first frame (the wall clock only paces; it changes nothing)."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep,
                 wall: Callable[[], float] = time.monotonic) -> None:
        self.sleep, self.wall = sleep, wall
        self._origin: tuple[float, float] | None = None

    def __call__(self, t: float) -> None:
        if self._origin is None:
            self._origin = (self.wall(), t)
            return
        wait = (t - self._origin[1]) - (self.wall() - self._origin[0])
        if wait > 0:
            self.sleep(min(wait, 1.0))


def replay_parts(path: str, settings: Settings) -> tuple[Show, Show, ReplayFeed, Settings]:
    """For `rehearse --replay`: the recorded show (fresh), the show the loop ticks (the
    replay around it), the feed (its cursor is the loop's clock; paced to real time) and the
    settings it runs with."""
    recording = read_recording(path)
    settings = replay_settings(recording, settings)
    show = replay_show(recording, settings)
    cursor = ReplayCursor(recording)
    return show, ReplayShow(show, cursor), ReplayFeed(cursor, pace=WallPacer()), settings
