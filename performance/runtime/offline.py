"""The offline render: the show drawn frame by frame into a video file, on the media clock.

Owns the offline driver. Output frame i is at t = i / fps (never the wall clock); frame i
shows the room as the audience (`audience.py`: a file perceived in step with the media clock,
or the scripted audience) has it at t. Emotion -> show (built by `assemble.build_show`, as for
a live run) -> draw_stage into an offscreen target -> RGB -> VideoWriter, with an optional
audio block per frame (sample-accurate) and a contact sheet of sampled frames beside the video.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from performance.adapters.contact_sheet import ContactSheet
from performance.adapters.video_writer import VideoWriter, check_size, check_writable, fps_fraction
from performance.config import (
    CONTACT_FRAMES,
    DEFAULT_SCRIPTED_FACES,
    RENDER_FPS,
    RENDER_SECONDS,
    STAGE_SIZE,
    Settings,
)
from performance.core.clock import work_seconds
from performance.core.errors import InputError, Interrupted, OutputError
from performance.core.files import commit, kept_note
from performance.core.types import RoomEmotion
from performance.runtime.assemble import build_show, check_visual, shader_catalog
from performance.runtime.audience import Audience, open_audience
from performance.show.frame import Show, ShowFrame

log = logging.getLogger(__name__)

MAX_FPS = 240.0

ShowFactory = Callable[[Collection[str]], Show]
"""Builds the show for one render; gets the names of the visuals the shader library knows
(so a cue list can be checked against them before the first frame)."""


class AudioBlocks(Protocol):
    """What the offline render asks for sound: exactly `samples` frames after each picture."""

    sample_rate: int
    channels: int

    def render(self, show: ShowFrame, emotion: RoomEmotion, samples: int) -> np.ndarray:
        """float32 (samples, channels) in [-1, 1] following `show` and `emotion`."""
        ...


@dataclass(frozen=True)
class RenderJob:
    """What to render: input ('scripted', a video or an image), output, length, size, rate."""

    input: str
    out: Path
    seconds: float | None = None  # default: the video's duration, else RENDER_SECONDS
    size: tuple[int, int] = STAGE_SIZE
    fps: float = RENDER_FPS
    visual: str | None = None  # hold this visual (see assemble.check_visual)
    scripted_faces: int = DEFAULT_SCRIPTED_FACES
    seed: int = 0
    contact_frames: int = CONTACT_FRAMES
    calibration: str = ""  # projector mapping applied as the final pass (docs/venue.md); "": none


@dataclass
class ActSummary:
    """What happened during one act of the rendered show."""

    act: int
    name: str
    start: float
    end: float
    frames: int = 0
    frames_with_faces: int = 0
    max_faces: int = 0


@dataclass(frozen=True)
class RenderReport:
    """The result of one offline render."""

    output: Path
    contact_sheet: Path | None
    frames: int
    seconds: float
    size: tuple[int, int]
    fps: float
    acts: tuple[ActSummary, ...]
    elapsed: float  # wall seconds the render took (reporting only)
    audio_samples: int = 0
    source: str = ""
    perception_times: tuple[float, ...] = ()  # each input frame's wall s in the face model
    draw_times: tuple[float, ...] = ()  # each output frame's wall s: show, draw, read back
    shader_errors: dict[str, str] = field(default_factory=dict)

    @property
    def source_frames(self) -> int:
        """Input frames that went through the face model."""
        return len(self.perception_times)

    @property
    def perception_seconds(self) -> float:
        """Wall seconds in the face model, all frames together (reporting only)."""
        return sum(self.perception_times)

    @property
    def render_fps(self) -> float:
        return self.frames / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def max_faces(self) -> int:
        return max((a.max_faces for a in self.acts), default=0)

    def summary(self) -> str:
        """Lines for the terminal."""
        w, h = self.size
        lines = [f"wrote {self.output} ({self.frames} frames, {self.seconds:.2f} s, {w}x{h} "
                 f"@ {self.fps:g} fps) in {self.elapsed:.1f} s ({self.render_fps:.1f} frames/s)"]
        if self.source_frames:
            per_frame = 1000.0 * self.perception_seconds / self.source_frames
            lines.append(f"face model: {self.source_frames} source frames, "
                         f"{self.perception_seconds:.1f} s ({per_frame:.0f} ms each)")
        if self.contact_sheet is not None:
            lines.append(f"contact sheet: {self.contact_sheet}")
        for a in self.acts:
            lines.append(f"  act {a.act} {a.name:<16} {a.start:7.2f}-{a.end:7.2f} s  faces: "
                         f"max {a.max_faces}, in {a.frames_with_faces}/{a.frames} frames")
        return "\n".join(lines)


def contact_sheet_path(out: Path) -> Path:
    """Where the contact sheet of `out` goes: show.mp4 -> show.contact.png."""
    return out.with_name(f"{out.stem}.contact.png")


# -- the render -------------------------------------------------------------------------------


def _check_job(job: RenderJob, settings: Settings) -> tuple[int, int]:
    size = check_size(job.size)
    if not (math.isfinite(job.fps) and 0 < job.fps <= MAX_FPS):
        raise InputError("--fps", f"must be more than 0 and at most {MAX_FPS:g}, got {job.fps}")
    fps_fraction(job.fps)
    if job.seconds is not None and not (math.isfinite(job.seconds) and job.seconds > 0):
        raise InputError("--seconds", f"must be a positive number, got {job.seconds}")
    if job.out.suffix.lower() != ".mp4":
        raise InputError(job.out, "--out must be an .mp4 file")
    spec = Path(job.input.strip()).expanduser()
    if spec.exists() and spec.resolve() == job.out.expanduser().resolve():
        raise InputError(job.out, "--out is the input file; choose another name")
    if job.visual is not None:
        check_visual(job.visual, shader_catalog(), cues=settings.cues)
    return size


def settings_show(settings: Settings, visual: str | None) -> ShowFactory:
    """The show `settings` describe (`assemble.build_show`: the cue list, with GO pressed
    after `render_auto_go` seconds of waiting, or the autopilot holding `visual`)."""
    return lambda visuals: build_show(settings, visual=visual, visuals=visuals,
                                      auto_go=settings.render_auto_go)


def _label(t: float, show_frame: ShowFrame) -> tuple[str, str]:
    minutes, seconds = divmod(t, 60.0)
    return (f"{int(minutes):02d}:{seconds:04.1f}  ACT {show_frame.act}",
            show_frame.act_name or show_frame.current.visual)


def render_offline(
    job: RenderJob,
    settings: Settings | None = None,
    *,
    show_factory: ShowFactory | None = None,
    audio: AudioBlocks | None = None,
    progress: bool = False,
    stop: Callable[[], bool] | None = None,
    audience: Audience | None = None,
) -> RenderReport:
    """Render `job` to its .mp4 (and contact sheet); returns what was rendered. The show is
    `show_factory`'s, by default the one the settings describe (`settings_show`); the
    audience is `audience` when given (a replay, runtime/recorded.py), else `job.input`'s.

    Every option and the output path are checked before the first frame (temp files a
    killed render of the same target left are removed then); on any error, and when `stop()`
    turns true (asked before each frame: a SIGTERM, `essence render`), the temp files are
    removed and an existing video and contact sheet are left as they were (Interrupted,
    OutputError for a full disk).
    """
    settings = settings or Settings()
    width, height = _check_job(job, settings)
    out = job.out.expanduser()
    sheet_path = contact_sheet_path(out) if job.contact_frames > 0 else None
    check_writable(out)
    if sheet_path is not None:
        check_writable(sheet_path)
    if audience is None:
        audience = open_audience(job.input, settings, scripted_faces=job.scripted_faces,
                                 seed=job.seed)
    try:
        seconds = job.seconds or audience.duration or RENDER_SECONDS
        total = max(1, round(seconds * job.fps))
        return _render(job, audience, out, sheet_path, total, (width, height),
                       show_factory or settings_show(settings, job.visual), audio, progress,
                       stop)
    finally:
        audience.close()


def _render(
    job: RenderJob, audience: Audience, out: Path, sheet_path: Path | None,
    total: int, size: tuple[int, int], show_factory: ShowFactory, audio: AudioBlocks | None,
    progress: bool, stop: Callable[[], bool] | None = None,
) -> RenderReport:
    from tqdm import tqdm

    from performance.render.headless import OffscreenTarget, create_headless_context
    from performance.render.program import ShaderLibrary
    from performance.render.renderer import Renderer
    from performance.render.stage import draw_stage
    from performance.render.warp import offline_warp

    with contextlib.ExitStack() as stack:  # every GL object is released, on any exit
        ctx = create_headless_context()
        stack.callback(ctx.release)
        library = ShaderLibrary(ctx)
        stack.callback(library.release)
        errors = library.errors()
        for name, error in errors.items():
            log.warning("visual %s does not compile, the render shows the fallback: %s",
                        name, error)
        show = show_factory(library.visuals())
        renderer = Renderer(ctx, library)
        stack.callback(renderer.release)
        target = OffscreenTarget(ctx, *size)
        stack.callback(target.release)
        warped = offline_warp(ctx, job.calibration, size)  # None: frames as drawn
        if warped is not None:
            stack.callback(warped.release)
        sheet = ContactSheet(total, size, count=job.contact_frames) if sheet_path else None
        acts: dict[int, ActSummary] = {}
        draw_times: list[float] = []
        started = work_seconds()
        # An error or a stop below aborts the writer: its temp file goes, an old file stays.
        writer = stack.enter_context(VideoWriter(
            out, size, job.fps, audio_rate=audio.sample_rate if audio else None,
            audio_channels=audio.channels if audio else 2))
        bar = stack.enter_context(tqdm(total=total, unit="frame", desc="render",
                                       disable=not progress, file=sys.stderr))
        for i in range(total):
            if stop is not None and stop():
                raise Interrupted.on_request(out, "render", stop, f" at frame {i} of {total}; "
                                                                   f"{kept_note(out)}")
            t = i / job.fps
            emotion = audience.advance(t)
            drawing = work_seconds()  # the drawing, for the report: no perception, no encoding
            show_frame = show.tick(t, emotion)
            draw_stage(renderer, target.framebuffer, show_frame, emotion,
                       delta=1.0 / job.fps, frame=i)
            rgb = target.read_rgb() if warped is None else warped.present(target.texture)
            draw_times.append(work_seconds() - drawing)
            writer.write_frame(rgb)
            if audio is not None:
                need = writer.audio_target - writer.queued_samples
                writer.write_audio(audio.render(show_frame, emotion, need))
            _count(acts, show_frame, emotion, t)
            if sheet is not None and sheet.wants(i):
                sheet.add(i, rgb, _label(t, show_frame))
            bar.update(1)
        audio_samples = writer.audio_target
        writer.finish()
        elapsed = work_seconds() - started
        # Both files complete before either replaces an old one: a sheet that does not fit
        # leaves the old video and the old sheet as they were.
        sheet_tmp = None
        if sheet is not None and sheet_path is not None:
            try:
                sheet_tmp = sheet.save_temp(sheet_path)
            except OutputError as exc:
                old = [p.name for p in (out, sheet_path) if p.exists()]
                raise OutputError(sheet_path, exc.reason, kept=(
                    f"no new video either (the old {' and '.join(old)} kept)" if old
                    else "no video was written either")) from exc
            stack.callback(sheet_tmp.unlink, missing_ok=True)  # a no-op once renamed
        writer.commit()
        if sheet_tmp is not None and sheet_path is not None:
            commit(sheet_tmp, sheet_path)
    return RenderReport(
        output=out, contact_sheet=sheet_path, frames=total, seconds=total / job.fps,
        size=size, fps=job.fps, acts=tuple(acts.values()), elapsed=elapsed,
        audio_samples=audio_samples, source=audience.name, shader_errors=errors,
        perception_times=tuple(audience.perception_times), draw_times=tuple(draw_times),
    )


def _count(acts: dict[int, ActSummary], show_frame: ShowFrame, emotion: RoomEmotion,
           t: float) -> None:
    summary = acts.get(show_frame.act)
    if summary is None:
        summary = acts[show_frame.act] = ActSummary(show_frame.act, show_frame.act_name, t, t)
    faces = sum(1 for f in emotion.faces if f.visible)
    summary.end = t
    summary.frames += 1
    summary.max_faces = max(summary.max_faces, faces)
    summary.frames_with_faces += faces > 0
