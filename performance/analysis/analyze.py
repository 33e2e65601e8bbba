"""`essence analyze`: per-face emotion for image files, folders and video files, as CSV.

One row per detected face per image or frame; an image or frame with no face gives one row
with label `none` and empty numbers. Stills are read raw against the prior baseline; video
frames go through the full engine (identity, per-face baseline, smoothing), so a face keeps
its id through a clip. Only numbers leave: no frame or crop is written anywhere.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from performance.core.types import EMOTIONS, EmotionReading
from performance.emotion.engine import EmotionEngine
from performance.perception.worker import Detector
from performance.sources.base import FrameSource

COLUMNS = ("path", "frame", "time_s", "face_id", "label",
           *(f"p_{name}" for name in EMOTIONS), "valence", "arousal")


@dataclass
class Row:
    """One CSV row: a face in a frame, or a frame without a face (reading is None)."""

    path: str
    frame: int
    time_s: float
    face_id: int | None
    reading: EmotionReading | None

    def cells(self) -> list[str]:
        if self.reading is None or self.face_id is None:
            return [self.path, str(self.frame), f"{self.time_s:.3f}", "", "none",
                    *([""] * (len(EMOTIONS) + 2))]
        r = self.reading
        return [self.path, str(self.frame), f"{self.time_s:.3f}", str(self.face_id), r.label,
                *(f"{p:.4f}" for p in r.probabilities), f"{r.valence:.4f}", f"{r.arousal:.4f}"]


@dataclass
class InputSummary:
    """What a person wants to know about one input after the run."""

    path: str
    frames: int = 0
    frames_with_faces: int = 0
    max_faces: int = 0
    ids: set[int] = field(default_factory=set)
    labels: Counter[str] = field(default_factory=Counter)
    valence_sum: float = 0.0
    arousal_sum: float = 0.0
    readings: int = 0

    def add(self, rows: Sequence[Row]) -> None:
        self.frames += 1
        faces = [r for r in rows if r.reading is not None]
        if faces:
            self.frames_with_faces += 1
        self.max_faces = max(self.max_faces, len(faces))
        for row in faces:
            assert row.reading is not None and row.face_id is not None
            self.ids.add(row.face_id)
            self.labels[row.reading.label] += 1
            self.valence_sum += row.reading.valence
            self.arousal_sum += row.reading.arousal
            self.readings += 1


def analyze_source(
    source: FrameSource,
    detector: Detector,
    engine: EmotionEngine,
    *,
    label: str,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Row]]:
    """Yield the rows of each frame of `source` in order. A still's faces are numbered 1, 2,
    ... in the order the detector gives them (left to right); a clip's keep their track ids."""
    engine.reset()
    for frame in source:
        observations = detector.detect(frame)
        if frame.is_still:  # read against the prior: no state carries from frame to frame
            rows = [Row(label, frame.index, 0.0, i + 1, engine.read_still(face))
                    for i, face in enumerate(observations.faces)]
        else:
            state = engine.update(observations)
            rows = [Row(label, frame.index, frame.media_time, f.face_id, f.smoothed)
                    for f in state.faces if f.visible]
        if progress is not None:
            progress(1)
        yield rows or [Row(label, frame.index, frame.media_time, None, None)]


class TextSink(Protocol):
    """Where CSV text goes: a text file, standard output."""

    def write(self, text: str, /) -> int: ...


def write_csv(rows: Iterator[list[Row]], out: TextSink) -> None:
    """Write the header and every row, flushing per frame so a long run can be watched."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for frame_rows in rows:
        writer.writerows(row.cells() for row in frame_rows)


def format_summary(summaries: Sequence[InputSummary]) -> str:
    """A readable table: one line per input."""
    header = ("input", "frames", "with faces", "max faces", "ids", "top labels",
              "valence", "arousal")
    lines = [header]
    for s in summaries:
        top = ", ".join(f"{name} {count}" for name, count in s.labels.most_common(3)) or "-"
        mean_v = f"{s.valence_sum / s.readings:+.2f}" if s.readings else "-"
        mean_a = f"{s.arousal_sum / s.readings:+.2f}" if s.readings else "-"
        lines.append((Path(s.path).name, str(s.frames), str(s.frames_with_faces),
                      str(s.max_faces), str(len(s.ids)), top, mean_v, mean_a))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                for line in lines]
    rendered.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(rendered)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
