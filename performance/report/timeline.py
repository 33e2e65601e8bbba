"""The rehearsal report's model: the time series and markers the page shows, built from a
recording's records (`timeline_from_recording`; build.py adds a video's render to it).

Owns what the page plots: per show frame the faces in view, valence, arousal, chaos and the
room's emotion shares; the act changes and the cues fired (with what fired them); the frame
times; the perception figures of the tracking stream; and the statistics tables. Only
numbers and short strings: a contact sheet, when there is one, is of rendered visuals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

from performance.core.stats import percentile
from performance.core.types import EMOTIONS
from performance.recording.records import FiredBy, Recording


class Series(StrEnum):
    """The time series of a timeline (one plot each, the emotion shares together)."""

    FACES = "faces"
    VALENCE = "valence"
    AROUSAL = "arousal"
    CHAOS = "chaos"


@dataclass(frozen=True)
class ActMarker:
    """The show entered act `act` at `t` (show clock seconds)."""

    t: float
    act: int
    name: str = ""

    @property
    def label(self) -> str:
        return f"Act {self.act}" + (f" {self.name}" if self.name else "")


@dataclass(frozen=True)
class CueMarker:
    """Cue `cue` (`name`, in act `act`) fired at `t`, fired by `by`."""

    t: float
    act: int
    cue: str
    name: str
    by: FiredBy

    @property
    def label(self) -> str:
        return f"{self.cue} {self.name}".strip()


@dataclass
class Timeline:
    """What the report shows (see the module docstring). `times` are show-clock seconds of
    each show frame; every series in `values` and `emotions` has one value per time."""

    title: str
    times: list[float] = field(default_factory=list)
    values: dict[Series, list[float]] = field(default_factory=dict)
    emotions: dict[str, list[float]] = field(default_factory=dict)
    acts: list[ActMarker] = field(default_factory=list)
    cues: list[CueMarker] = field(default_factory=list)
    visuals: list[str] = field(default_factory=list)  # the visual shown per frame
    stats: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # table -> rows
    contact_sheet: bytes | None = None  # PNG of rendered visuals (never a camera frame)
    notes: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.times[-1] - self.times[0] if len(self.times) > 1 else 0.0

    @property
    def max_faces(self) -> int:
        return int(max(self.values.get(Series.FACES, []), default=0))

    def add_frame(self, t: float, faces: int, valence: float, arousal: float, chaos: float,
                  emotions: Sequence[float], visual: str = "") -> None:
        """One show frame's numbers (emotion shares in EMOTIONS order)."""
        self.times.append(float(t))
        for key, value in ((Series.FACES, faces), (Series.VALENCE, valence),
                           (Series.AROUSAL, arousal), (Series.CHAOS, chaos)):
            self.values.setdefault(key, []).append(float(value))
        for name, share in zip(EMOTIONS, emotions, strict=False):
            self.emotions.setdefault(name, []).append(float(share))
        self.visuals.append(visual)

    def thinned(self, max_points: int) -> Timeline:
        """This timeline with at most `max_points` frames per series, for plotting a long
        show: each bucket of frames becomes one point at its first time, the mean of
        valence, arousal, chaos and the shares, and the most faces (a face seen for one frame
        stays visible). Markers, tables and the contact sheet are shared, not copied."""
        step = math.ceil(len(self.times) / max_points) if max_points > 0 else 1
        if step <= 1:
            return self
        buckets = range(0, len(self.times), step)

        def reduce(values: list[float], pick: Callable[[list[float]], float]) -> list[float]:
            return [pick(values[i:i + step]) for i in buckets]

        def mean(chunk: list[float]) -> float:
            return sum(chunk) / len(chunk)

        return Timeline(
            title=self.title, times=[self.times[i] for i in buckets],
            values={key: reduce(v, max if key is Series.FACES else mean)
                    for key, v in self.values.items()},
            emotions={name: reduce(v, mean) for name, v in self.emotions.items()},
            acts=self.acts, cues=self.cues, visuals=[self.visuals[i] for i in buckets],
            stats=self.stats, contact_sheet=self.contact_sheet,
            notes=[*self.notes, f"the plots show {len(buckets)} points, each the mean of "
                                f"{step} frames (the most faces of them)"])

    def fired_by(self) -> dict[FiredBy, int]:
        """How many cues each kind of trigger fired."""
        counts = {by: 0 for by in FiredBy}
        for cue in self.cues:
            counts[cue.by] += 1
        return counts


def _figure(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "-"


def _percentile_ms(ordered: Sequence[float], q: float) -> float:
    """The `q`th percentile (0-100, `core/stats.py`) of sorted seconds `ordered`, in ms."""
    return 1000.0 * percentile(ordered, q)


def frame_time_rows(times: Sequence[float]) -> list[tuple[str, str]]:
    """Frame-time statistics of show-clock frame times: count, mean rate, median, 95th and
    99th percentile and worst interval (ms), and intervals over twice the median."""
    steps = sorted(b - a for a, b in pairwise(times))
    if not steps:
        return [("frames", str(len(times)))]
    median = _percentile_ms(steps, 50)
    span = times[-1] - times[0]
    return [
        ("frames", str(len(times))),
        ("seconds", _figure(span, 2)),
        ("mean rate (frames/s)", _figure(len(steps) / span if span > 0 else math.nan)),
        ("median frame time (ms)", _figure(median)),
        ("95th percentile (ms)", _figure(_percentile_ms(steps, 95))),
        ("99th percentile (ms)", _figure(_percentile_ms(steps, 99))),
        ("worst (ms)", _figure(1000.0 * steps[-1])),
        ("frames over 2x median", str(sum(1 for s in steps if 1000.0 * s > 2 * median))),
    ]


def work_time_rows(seconds: Sequence[float], period: float) -> list[tuple[str, str]]:
    """Statistics of per-frame work times (wall seconds each): count, median, 95th and 99th
    percentile and worst (ms), and how many took longer than `period` (one show frame at the
    show's rate: work that long would not have kept up live)."""
    ordered = sorted(seconds)
    if not ordered:
        return [("frames", "0")]
    late = sum(1 for s in ordered if s > period)
    return [
        ("frames", str(len(ordered))),
        ("median (ms)", _figure(_percentile_ms(ordered, 50))),
        ("95th percentile (ms)", _figure(_percentile_ms(ordered, 95))),
        ("99th percentile (ms)", _figure(_percentile_ms(ordered, 99))),
        ("worst (ms)", _figure(1000.0 * ordered[-1])),
        (f"over {_figure(1000.0 * period)} ms (one show frame)",
         f"{late} ({100.0 * late / len(ordered):.0f} %)"),
    ]


def _perception_rows(recording: Recording) -> list[tuple[str, str]]:
    frames = recording.frames
    if not frames:
        return [("tracking frames", "0 (the recording has no tracking stream)")]
    counts = [len(f.faces) for f in frames]
    with_faces = sum(1 for c in counts if c)
    span = frames[-1].t - frames[0].t
    read = sum(1 for f in frames for face in f.faces if face.expression is not None)
    faces = sum(counts)
    return [
        ("tracking frames", str(len(frames))),
        ("tracking rate (frames/s)", _figure((len(frames) - 1) / span if span > 0 else math.nan)),
        ("frames with a face", f"{with_faces} ({100.0 * with_faces / len(frames):.0f} %)"),
        ("most faces in a frame", str(max(counts))),
        ("mean faces per frame", _figure(faces / len(frames), 2)),
        ("faces read by the expression network",
         f"{read} of {faces}" if faces else "-"),
    ]


def timeline_from_recording(recording: Recording) -> Timeline:
    """The timeline of a recording: its state records plotted, its cue records as markers,
    frame times from the state records, perception figures from the frame records."""
    header = recording.header
    timeline = Timeline(title=f"Rehearsal {recording.path.name}")
    act: int | None = None
    for state in recording.states:
        timeline.add_frame(state.t, state.faces, state.valence, state.arousal, state.chaos,
                           state.emotions, state.visual)
        if state.act != act:
            act = state.act
            timeline.acts.append(ActMarker(state.t, state.act))
    timeline.cues = [CueMarker(c.t, c.act, c.cue, c.name, c.by) for c in recording.cues]
    fired = timeline.fired_by()
    timeline.stats["recording"] = [
        ("file", str(recording.path)), ("started", header.started),
        ("source", header.source), ("show file", header.cues or "(the autopilot)"),
        ("stage", f"{header.stage[0]}x{header.stage[1]} @ {header.fps:g} fps"),
        ("cues fired", ", ".join(f"{n} by {by}" for by, n in fired.items() if n) or "none"),
        ("commands", str(len(recording.commands))), ("OSC messages", str(len(recording.osc))),
    ]
    timeline.stats["frame times (show clock)"] = frame_time_rows(timeline.times)
    timeline.stats["perception"] = _perception_rows(recording)
    timeline.notes.extend(recording.warnings)
    if not recording.states:
        timeline.notes.append("the recording has no show states: nothing to plot over time")
    return timeline
