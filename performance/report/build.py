"""The report's two inputs: a recording (`essence record`) or a video of an audience.

Owns telling them apart (a video by its extension, a recording by its header line; anything
else is one error naming the file), `timeline_from_video` (the video perceived frame by
frame and the show rendered offline on the media clock, `runtime/offline.py`, with a
recording tap on the show: its state and cue records are the timeline, exactly as a
recording's) and the contact sheet of the rendered visuals (a recording's is replayed and
rendered, `runtime/recorded.py`). Every render goes to a temporary folder, removed after.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from performance.config import CONTACT_FRAMES, REPORT_FPS, REPORT_SIZE, Settings
from performance.core.errors import EssenceError, InputError
from performance.recording.format import read_recording
from performance.recording.header import NotARecording
from performance.recording.records import Recording
from performance.report.timeline import (
    ActMarker,
    Series,
    Timeline,
    timeline_from_recording,
    work_time_rows,
)
from performance.runtime.offline import RenderJob, contact_sheet_path, render_offline, settings_show
from performance.runtime.recorded import make_tap, render_replay
from performance.show.frame import Show, ShowFrame
from performance.sources.video import is_video_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportOptions:
    """How the report renders the visuals: size, show rate (a video's), contact frames
    (0: no contact sheet and, for a recording, no render at all), progress bar, stop."""

    size: tuple[int, int] = REPORT_SIZE
    fps: float = REPORT_FPS
    contact_frames: int = CONTACT_FRAMES
    progress: bool = False
    stop: Callable[[], bool] | None = None


class _ActNames:
    """The show, remembering each act's name (a recording keeps only the act's number)."""

    def __init__(self, show: Any) -> None:
        self.inner = show
        self.names: dict[int, str] = {}

    def apply(self, command: Any, now: float) -> Any:
        return self.inner.apply(command, now)

    def tick(self, now: float, emotion: Any) -> ShowFrame:
        frame: ShowFrame = self.inner.tick(now, emotion)
        self.names.setdefault(frame.act, frame.act_name)
        return frame

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _sheet(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def timeline_from_video(path: str | Path, settings: Settings | None = None,
                        options: ReportOptions | None = None) -> Timeline:
    """The timeline of the show the audience in video `path` plays: the video's faces are
    read by the face model (the analysis), the show (the settings' cue list or autopilot)
    is rendered offline; state and cue records come from a recording tap on the show."""
    settings, options = settings or Settings(), options or ReportOptions()
    source = Path(path).expanduser()
    names: list[_ActNames] = []
    with tempfile.TemporaryDirectory(prefix="essence-report-") as folder:
        tap = make_tap(str(source), settings, stage=options.size, fps=options.fps,
                       announce=log.debug)
        stream = tap.start(Path(folder) / "show.jsonl")
        base = settings_show(settings, None)

        def factory(visuals: Collection[str]) -> Show:
            show = _ActNames(tap.wrap_show(base(visuals)))
            names.append(show)
            return show

        job = RenderJob(input=str(source), out=Path(folder) / "show.mp4", size=options.size,
                        fps=options.fps, contact_frames=options.contact_frames)
        quiet = logging.getLogger("performance.recording.recorder")  # a temp file, not news
        level = quiet.level
        quiet.setLevel(logging.WARNING)
        try:
            report = render_offline(job, settings, show_factory=factory,
                                    progress=options.progress, stop=options.stop)
        finally:
            saved = tap.stop()
            quiet.setLevel(level)
        if saved is not None and saved.problem():  # the temp folder's disk is full
            raise EssenceError(str(saved.problem()))
        recording = read_recording(stream)
        timeline = timeline_from_recording(recording)
        sheet = _sheet(contact_sheet_path(job.out))
    timeline.title = f"Rehearsal report: {source.name}"
    timeline.contact_sheet = sheet
    if names:
        timeline.acts = [ActMarker(a.t, a.act, names[0].names.get(a.act, ""))
                         for a in timeline.acts]
    per_frame = (1000.0 * report.perception_seconds / report.source_frames
                 if report.source_frames else 0.0)
    with_faces = sum(1 for f in timeline.values.get(Series.FACES, []) if f > 0)
    timeline.stats["recording"] = [
        ("video", str(source)), ("show file", settings.cues or "(the autopilot)"),
        ("rendered", f"{report.frames} frames, {report.seconds:.2f} s, "
                     f"{report.size[0]}x{report.size[1]} @ {report.fps:g} fps"),
        ("render wall time", f"{report.elapsed:.1f} s ({report.render_fps:.1f} frames/s)"),
        *[row for row in timeline.stats["recording"] if row[0] == "cues fired"],
    ]
    timeline.stats["perception"] = [
        ("video frames read by the face model", str(report.source_frames)),
        ("face model time", f"{report.perception_seconds:.1f} s ({per_frame:.0f} ms a frame)"),
        ("show frames with a face", f"{with_faces} of {len(timeline.times)}"),
        ("most faces in view", str(timeline.max_faces)),
    ]
    timeline.stats["frame times (show clock)"].append(
        ("note", "an offline render steps the media clock by 1/fps"))
    period = 1.0 / report.fps
    timeline.stats["drawing, wall time per show frame"] = [
        *work_time_rows(report.draw_times, period),
        ("note", f"the show, its shaders at {report.size[0]}x{report.size[1]} and the "
                 "read-back; not the face model, not the encoding"),
    ]
    timeline.stats["face model, wall time per video frame"] = work_time_rows(
        report.perception_times, period)
    return timeline


def _replay_sheet(recording: Recording, settings: Settings,
                  options: ReportOptions) -> tuple[bytes | None, str]:
    """The contact sheet of the recording replayed and rendered (None and why when not)."""
    with tempfile.TemporaryDirectory(prefix="essence-report-") as folder:
        out = Path(folder) / "replay.mp4"
        try:
            render_replay(recording, out, settings, size=options.size,
                          contact_frames=options.contact_frames, progress=options.progress,
                          stop=options.stop)
        except InputError as exc:
            return None, f"no contact sheet: {exc}"
        return _sheet(contact_sheet_path(out)), ""


def open_input(path: str | Path) -> Recording | Path:
    """A recording read, or the path of a video; InputError naming the file otherwise (a
    file that is neither: `not a recording (essence record) and not a video`; a recording
    with a bad line or header: the recording reader's own message)."""
    source = Path(path).expanduser()
    if not source.exists():
        raise InputError(source, "no such file (give a recording, essence record, or a video)")
    if is_video_path(source) and source.is_file():
        return source
    try:  # also what a folder or a FIFO is (read_recording never reads one)
        return read_recording(source)
    except NotARecording as exc:
        raise InputError(source, "not a recording (essence record) and not a video") from exc


def build_timeline(path: str | Path, settings: Settings | None = None,
                   options: ReportOptions | None = None) -> Timeline:
    """The timeline of `path`: a recording's, with the contact sheet of its replay, or a
    video's (`timeline_from_video`)."""
    settings, options = settings or Settings(), options or ReportOptions()
    opened = open_input(path)
    if isinstance(opened, Path):
        return timeline_from_video(opened, settings, options)
    timeline = timeline_from_recording(opened)
    if settings.cues and Path(settings.cues).expanduser().resolve() != \
            Path(opened.header.cues).expanduser().resolve():
        log.warning("%s: a recording replays the show file it recorded (%s), not %s",
                    opened.path, opened.header.cues or "the autopilot", settings.cues)
    if options.contact_frames > 0:
        try:
            timeline.contact_sheet, why = _replay_sheet(opened, settings, options)
        except EssenceError as exc:
            if options.stop is not None and options.stop():
                raise
            timeline.contact_sheet, why = None, f"no contact sheet: {exc}"
        if why:
            timeline.notes.append(why)
    return timeline
