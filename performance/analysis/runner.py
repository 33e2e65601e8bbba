"""Wiring for `essence analyze` and `essence baseline`: inputs, detector, engine, output."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from performance.analysis.analyze import (
    InputSummary,
    Row,
    analyze_source,
    format_summary,
    stderr_is_terminal,
    write_csv,
)
from performance.config import Settings
from performance.core.errors import ConfigError
from performance.emotion.baseline import save_baseline
from performance.emotion.mapping import EmotionMapping
from performance.perception.worker import Detector
from performance.runtime.pipeline import engine_from_settings, landmarker_factory
from performance.sources.base import FrameSource
from performance.sources.factory import expand_inputs, is_image_path
from performance.sources.images import ImageSource
from performance.sources.video import VideoFileSource


class _Detectors:
    """One IMAGE-mode detector shared by stills, a fresh VIDEO-mode one per clip."""

    def __init__(self, settings: Settings) -> None:
        self._image = landmarker_factory(settings, "image")  # the model is resolved here
        self._video = landmarker_factory(settings, "video")
        self._still: Detector | None = None

    def for_source(self, still: bool) -> contextlib.AbstractContextManager[Detector]:
        if still:
            if self._still is None:
                self._still = self._image()
            return contextlib.nullcontext(self._still)
        return contextlib.closing(self._video())

    def close(self) -> None:
        if self._still is not None:
            self._still.close()


def _open(path: Path) -> FrameSource:
    return ImageSource([path]) if is_image_path(path) else VideoFileSource(path)


def _check_inputs(paths: Sequence[Path]) -> int:
    """Open every input once, so a bad one fails before any work (naming it); returns the
    frames they hold (a still counts one). Each is opened again when its turn comes."""
    total = 0
    for path in paths:
        with _open(path) as source:
            total += 1 if source.frame_count is None else source.frame_count
    return total


def _all_rows(
    paths: Sequence[Path], settings: Settings, summaries: list[InputSummary], progress: bool
) -> Iterator[list[Row]]:
    from tqdm import tqdm

    engine = engine_from_settings(settings)
    detectors = _Detectors(settings)
    try:
        total = _check_inputs(paths)
        bar = tqdm(total=total, unit="frame", disable=not progress or total < 30,
                   file=sys.stderr)
        try:
            for path in paths:
                summary = InputSummary(str(path))
                summaries.append(summary)
                still = is_image_path(path)
                with _open(path) as source, detectors.for_source(still) as detector:
                    for rows in analyze_source(
                        source, detector, engine, label=str(path), progress=bar.update
                    ):
                        summary.add(rows)
                        yield rows
        finally:
            bar.close()
    finally:
        detectors.close()


def run_analyze(
    inputs: Sequence[str], settings: Settings, *, csv_out: Path | None, progress: bool = True
) -> int:
    """Analyse every input; write CSV rows to `csv_out` (or '-') or print a summary table."""
    paths = expand_inputs(inputs)
    summaries: list[InputSummary] = []
    rows = _all_rows(paths, settings, summaries, progress and stderr_is_terminal())
    if csv_out is None:
        for _ in rows:
            pass
        print(format_summary(summaries))
    elif str(csv_out) == "-":
        write_csv(rows, sys.stdout)
    else:
        csv_out.parent.mkdir(parents=True, exist_ok=True)
        partial = csv_out.with_name(f".{csv_out.name}.partial")
        try:  # streamed beside the target, renamed when whole; a failure leaves neither
            with partial.open("w", encoding="utf-8", newline="") as fh:
                write_csv(rows, fh)
            partial.replace(csv_out)
        finally:
            partial.unlink(missing_ok=True)
        print(f"wrote {csv_out} ({sum(s.readings for s in summaries)} face rows)")
    return 0


def run_baseline(inputs: Sequence[str], settings: Settings, *, out: Path) -> int:
    """Average the resting features of every face found and write them as a baseline TOML."""
    mapping = EmotionMapping.load()
    paths = expand_inputs(inputs)
    detectors = _Detectors(settings)
    vectors: list[np.ndarray] = []
    try:
        for path in paths:
            still = is_image_path(path)
            with _open(path) as source, detectors.for_source(still) as detector:
                for frame in source:
                    for face in detector.detect(frame).faces:
                        vectors.append(mapping.features(face.blendshapes))
    finally:
        detectors.close()
    if not vectors:
        raise ConfigError(f"{', '.join(inputs)}: no face found, so no baseline was written")
    save_baseline(out, mapping.feature_names, np.mean(vectors, axis=0))
    print(f"wrote {out} (mean of {len(vectors)} face readings)")
    return 0
