"""Wiring for `essence analyze` and `essence baseline`: inputs, detector, engine, output."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from performance.app.analyze import (
    InputSummary,
    Row,
    analyze_source,
    format_summary,
    stderr_is_terminal,
    write_csv,
)
from performance.config import Settings
from performance.core.errors import ConfigError
from performance.emotion.baseline import load_baseline, save_baseline
from performance.emotion.engine import EmotionEngine
from performance.emotion.mapping import EmotionMapping
from performance.perception.tiling import TilingSettings
from performance.perception.worker import Detector
from performance.sources.base import FrameSource
from performance.sources.factory import expand_inputs, is_image_path
from performance.sources.images import ImageSource
from performance.sources.video import VideoFileSource


def parse_tiles(value: str) -> TilingSettings | None:
    """`off` -> None, `auto` -> automatic grid, `CxR` -> that many columns and rows."""
    text = value.strip().lower()
    if text in ("", "off", "none", "0"):
        return None
    if text == "auto":
        return TilingSettings()
    columns, sep, rows = text.partition("x")
    if sep and columns.isdigit() and rows.isdigit() and int(columns) >= 1 and int(rows) >= 1:
        return TilingSettings(grid=(int(columns), int(rows)))
    raise ConfigError(f"tiles: expected off, auto or CxR such as 3x2, got {value!r}")


class _Detectors:
    """One IMAGE-mode detector shared by stills, a fresh VIDEO-mode one per clip."""

    def __init__(self, settings: Settings) -> None:
        from performance.perception.model import resolve_model_path

        self.model = resolve_model_path(settings.face_model or None)
        self.max_faces = settings.max_faces
        self.tiling = parse_tiles(settings.tiles)
        self._still: Detector | None = None

    def for_source(self, still: bool) -> contextlib.AbstractContextManager[Detector]:
        from performance.perception.landmarker import FaceLandmarkerAdapter

        if still:
            if self._still is None:
                self._still = FaceLandmarkerAdapter(
                    self.model, max_faces=self.max_faces, mode="image", tiling=self.tiling
                )
            return contextlib.nullcontext(self._still)
        return FaceLandmarkerAdapter(
            self.model, max_faces=self.max_faces, mode="video", tiling=self.tiling
        )

    def close(self) -> None:
        if self._still is not None:
            self._still.close()


def _open(path: Path) -> FrameSource:
    return ImageSource([path]) if is_image_path(path) else VideoFileSource(path)


def _engine(settings: Settings, mapping: EmotionMapping) -> EmotionEngine:
    baseline = None
    if settings.baseline:
        baseline = load_baseline(Path(settings.baseline), mapping.feature_names)
    return EmotionEngine(
        mapping,
        smooth_time=settings.smooth_time,
        forget_after=settings.forget_after,
        baseline=baseline,
        learn_baseline=settings.learn_baseline,
    )


def _all_rows(
    paths: Sequence[Path], settings: Settings, summaries: list[InputSummary], progress: bool
) -> Iterator[list[Row]]:
    from tqdm import tqdm

    mapping = EmotionMapping.load()
    engine = _engine(settings, mapping)
    detectors = _Detectors(settings)
    sources = [_open(p) for p in paths]  # opening checks every input before any work
    total = sum(1 if s.frame_count is None else s.frame_count for s in sources)
    bar = tqdm(total=total, unit="frame", disable=not progress or total < 30, file=sys.stderr)
    try:
        for path, source in zip(paths, sources, strict=True):
            summary = InputSummary(str(path))
            summaries.append(summary)
            still = is_image_path(path)
            with source, detectors.for_source(still) as detector:
                for rows in analyze_source(
                    source, detector, engine, label=str(path), progress=bar.update
                ):
                    summary.add(rows)
                    yield rows
    finally:
        bar.close()
        detectors.close()
        for source in sources:
            source.close()


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
        with partial.open("w", encoding="utf-8", newline="") as fh:
            write_csv(rows, fh)
        partial.replace(csv_out)
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
